"""`core.torch_layer`: the layer a spec describes, built by torch from our arguments and text."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from core.spec import LayerSpec
from core.torch_layer import layer_arguments, layer_call, layer_class

SPECS = [
    LayerSpec(3, 4, 3, padding=1, input_size=(6, 6)),
    LayerSpec(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2),
              groups=2, bias=False, padding_mode="reflect", input_size=(7, 5), dtype="float32"),
    LayerSpec(2, 2, 2, padding="valid", input_size=(4, 4), batch=None, dtype="complex64"),
    LayerSpec(4, 6, 3, stride=2, padding=1, groups=2, transposed=True, output_padding=(1, 0)),
]


def _same_layer(a: nn.Module, b: nn.Module) -> None:
    assert type(a) is type(b)
    for key in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
                "groups", "padding_mode", "output_padding", "transposed"):
        assert getattr(a, key) == getattr(b, key), key
    assert (a.bias is None) == (b.bias is None)
    assert a.weight.dtype == b.weight.dtype


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_torch_builds_the_spec_from_our_arguments_and_text(spec):
    dtype = getattr(torch, spec.dtype)
    layer = getattr(nn, layer_class(spec))(**layer_arguments(spec), dtype=dtype)
    assert tuple(layer.weight.shape) == spec.shape("weight")
    x = torch.zeros(spec.shape("input"), dtype=dtype)
    assert tuple(layer(x).shape) == spec.shape("output")
    for full in (False, True):
        text = layer_call(spec, f"torch.{spec.dtype}", full=full)
        _same_layer(eval(text, {"nn": nn, "torch": torch}), layer)  # noqa: S307 (our text)


def test_short_call_leaves_out_torchs_defaults():
    assert layer_call(LayerSpec(3, 4, 3), "torch.float64") == (
        "nn.Conv2d(3, 4, kernel_size=3, dtype=torch.float64)")
    assert layer_call(SPECS[1], "dtype") == (
        "nn.Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), "
        "groups=2, bias=False, padding_mode='reflect', dtype=dtype)")
