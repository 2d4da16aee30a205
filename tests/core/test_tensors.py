"""The tensor registry and `LayerSpec.shape`: every tensor once, shapes as torch makes them."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from core.spec import LayerSpec, SpecError
from core.tensors import (
    BACKWARD,
    EDITABLE,
    FORWARD,
    NAMES,
    RESULTS,
    TENSORS,
    operator,
    tensor,
    title,
)


def test_every_tensor_once_with_its_twin():
    assert set(NAMES) == set(EDITABLE) | set(RESULTS) and not set(EDITABLE) & set(RESULTS)
    for name, t in TENSORS.items():
        assert TENSORS[t.twin].twin == name  # the twin relation is symmetric
        assert t.layout == TENSORS[t.twin].layout or {t.layout, TENSORS[t.twin].layout} == {
            "output"
        }
    with pytest.raises(ValueError, match="unknown tensor 'gradient'.*grad_bias"):
        tensor("gradient")


@pytest.mark.parametrize("transposed", [False, True])
def test_shapes_are_torchs(transposed):
    spec = LayerSpec(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2,
                     input_size=(5, 7), batch=3, transposed=transposed,
                     output_padding=(1, 0) if transposed else (0, 0))
    x = torch.zeros(spec.shape("input"), dtype=torch.float64, requires_grad=True)
    w = torch.zeros(spec.shape("weight"), dtype=torch.float64, requires_grad=True)
    b = torch.zeros(spec.shape("bias"), dtype=torch.float64, requires_grad=True)
    args = dict(stride=spec.stride, padding=spec.padding, dilation=spec.dilation, groups=2)
    y = (F.conv_transpose2d(x, w, b, output_padding=spec.output_padding, **args) if transposed
         else F.conv2d(x, w, b, **args))
    y.sum().backward()
    got = {"output": y, "grad_output": y, "grad_input": x.grad, "grad_weight": w.grad,
           "grad_bias": b.grad, "input": x, "weight": w, "bias": b}
    for name in NAMES:
        assert spec.shape(name) == tuple(got[name].shape), name
    padded = "output" if transposed else "input"
    top, bottom, left, right = spec.pads
    full = spec.shape(padded)
    assert spec.shape(padded, padded=True) == (*full[:2], full[2] + top + bottom,
                                                full[3] + left + right)
    other = "input" if transposed else "output"
    assert spec.shape(other, padded=True) == spec.shape(other)


def test_no_bias_has_no_shape():
    assert LayerSpec(1, 1, 3, bias=False).shape("grad_bias") is None


@pytest.mark.parametrize("changes, fields", [
    (dict(groups=4), ("in_channels", "groups")),
    (dict(padding=-1), ("padding", "padding_mode")),
    (dict(kernel_size=9), ("kernel_size", "dilation", "padding", "input_size")),
    (dict(output_padding=1), ("output_padding",)),
    (dict(transposed=True, stride=2, output_padding=2), ("output_padding", "stride", "dilation")),
    (dict(transposed=True, padding="same"), ("padding",)),
    (dict(transposed=True, padding_mode="reflect"), ("padding_mode",)),
    (dict(transposed=True, padding=3), ("padding", "input_size", "kernel_size")),
])
def test_refusals_name_their_fields(changes, fields):
    with pytest.raises(SpecError) as caught:
        LayerSpec(2, 2, 3, input_size=(4, 4)).replace(**changes)
    assert caught.value.fields == fields


def test_transposed_round_trips_and_conv_keeps_its_keys():
    spec = LayerSpec(2, 4, 3, stride=2, transposed=True, output_padding=1)
    assert LayerSpec.from_dict(spec.to_dict()) == spec
    assert "output_padding" not in LayerSpec(2, 4, 3).to_dict()


def test_rows_put_each_gradient_under_its_tensor():
    assert FORWARD == ("input", "weight", "bias", "output")
    assert [TENSORS[n].twin for n in FORWARD] == list(BACKWARD)
    assert set(FORWARD) | set(BACKWARD) == set(NAMES)


@pytest.mark.parametrize("transposed", [False, True])
def test_lead_axes_name_the_axes_torch_gives(transposed):
    spec = LayerSpec(4, 6, 3, groups=2, batch=3, transposed=transposed)
    sizes = {"n": 3, "c": 4, "o": 6}
    for name in NAMES:
        axes, shape = spec.lead_axes(name), spec.shape(name)
        assert len(axes) == (0 if tensor(name).layout == "bias" else 2), name
        # a weight's second axis holds the channels of one group
        per_group = [1, spec.groups] if tensor(name).layout == "weight" else [1, 1]
        assert [sizes[a] // g for a, g in zip(axes, per_group, strict=False)] == \
            list(shape[:len(axes)]), name
    assert spec.lead_axes("weight") == (("c", "o") if transposed else ("o", "c"))


SMALL = LayerSpec(in_channels=1, out_channels=1, kernel_size=3, input_size=(5, 5))


def test_the_output_title_follows_the_layer_kind_and_bias():
    transposed = SMALL.replace(transposed=True)
    assert title("output", SMALL) == "output y = x ⊛ W + b"
    assert title("output", transposed) == "output y = x ⊛ᵀ W + b"
    assert title("output", transposed.replace(bias=False)) == "output y = x ⊛ᵀ W"
    assert title("output", SMALL.replace(bias=False)) == "output y = x ⊛ W"
    # the other tensors' titles are the registry's whatever the layer
    for name in NAMES:
        if name != "output":
            assert title(name, transposed) == title(name, SMALL) == TENSORS[name].title


def test_grad_input_is_the_other_operation():
    transposed = SMALL.replace(transposed=True)
    assert (operator(SMALL), operator(SMALL, "grad_input")) == ("⊛", "⊛ᵀ")
    assert (operator(transposed), operator(transposed, "grad_input")) == ("⊛ᵀ", "⊛")
