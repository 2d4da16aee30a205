"""Presets: every shipped preset loads and core.compute matches torch + autograd on it."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from nd_reference import of_session
from torch_reference import assert_matches, reference

from core.conv import compute
from core.io.presets import (
    PRESETS_DIR,
    PresetError,
    default_session,
    list_presets,
    load_preset,
    parse_preset,
)
from core.session import Session
from core.spec import LayerSpec
from core.verify.crosscheck import torch_reference

SHIPPED = [p.name for p in list_presets()]
REQUIRED = {
    "default",
    "seed000_conv2d_input",
    "seed001_im2col_gradients",
    "seed002_pointwise",
    "sobel_edges",
    "depthwise",
    "reflect_padding",
    "strided_dilated",
}


def test_the_required_presets_ship():
    assert REQUIRED <= set(SHIPPED)
    assert SHIPPED[0] == "default"


@pytest.mark.parametrize("name", SHIPPED)
def test_preset_is_versioned_json_with_name_and_description(name):
    data = json.loads((PRESETS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert data["format"] == 1
    assert data["name"] and data["description"]
    assert LayerSpec.from_dict(data["spec"]).to_dict() == data["spec"]


@pytest.mark.parametrize("name", SHIPPED)
def test_preset_matches_torch(name):
    s = load_preset(name)
    spec = s.spec
    got = compute(spec, s.input, s.weight, s.bias, s.grad_output)
    if spec.dims != 2:  # torch's functional conv1d/conv3d (after F.pad), transposed or not
        expected = SimpleNamespace(**of_session(s))
    elif spec.transposed:  # torch's own nn.ConvTranspose2d + autograd
        theirs = torch_reference(spec, s.input, s.weight, s.bias, s.grad_output)
        expected = SimpleNamespace(**theirs)
    else:
        expected = reference(s.input, s.weight, s.bias, s.grad_output, stride=spec.stride,
                             padding=spec.padding, dilation=spec.dilation, groups=spec.groups,
                             padding_mode=spec.padding_mode)
    tol = 1e-5 if spec.dtype in ("float32", "complex64") else 1e-12
    for key in ("output", "grad_input", "grad_weight", "grad_bias"):
        if spec.bias or key != "grad_bias":
            assert_matches(getattr(got, key), getattr(expected, key), tol)


#: conv_arithmetic's transposed figures, and the ConvTranspose2d beside its Conv2d
TRANSPOSED = {
    "transposed_unit_stride": ((2, 2), 3, 1, 0, 0, 1, (4, 4)),
    "transposed_stride2_padding": ((3, 3), 3, 2, 1, 0, 1, (5, 5)),
    "transposed_output_padding": ((3, 3), 3, 2, 1, 1, 1, (6, 6)),
    "transposed_dilation": ((3, 3), 3, 1, 0, 0, 2, (7, 7)),
    "transposed_vs_conv2d": ((3, 3), 3, 2, 1, 0, 1, (5, 5)),
}


@pytest.mark.parametrize("name", TRANSPOSED)
def test_transposed_presets_show_what_their_titles_say(name):
    size, k, stride, padding, output_padding, dilation, out = TRANSPOSED[name]
    spec = load_preset(name).spec
    assert spec.transposed and spec.input_size == size and spec.output_size == out
    assert (spec.kernel_size, spec.stride, spec.padding) == ((k, k), (stride,) * 2, (padding,) * 2)
    assert spec.output_padding == (output_padding,) * 2 and spec.dilation == (dilation,) * 2
    title = next(p.title for p in list_presets() if p.name == name)
    assert title.startswith("ConvTranspose2d")
    sizes = f"{size[0]}×{size[1]} → {out[0]}×{out[1]}"
    assert sizes in title if name != "transposed_vs_conv2d" else "Conv2d's grad_input" in title


def test_default_scene():
    session = default_session()
    spec = session.spec
    assert spec.input_shape == (1, 3, 16, 16) and spec.weight_shape == (4, 3, 3, 3)
    assert spec.padding == (1, 1) and spec.bias
    expected = Session.default(spec)
    for name, a in expected.tensors().items():
        np.testing.assert_array_equal(session.tensor(name), a)


def test_seed000_grad_input():
    s = load_preset("seed000_conv2d_input")
    got = compute(s.spec, s.input, s.weight, s.bias, s.grad_output)
    expected = [[0, 1, 0, 2], [1, 0, 2, 0], [0, 3, 0, 4], [3, 0, 4, 0]]
    np.testing.assert_array_equal(got.grad_input[0, 0], expected)
    np.testing.assert_array_equal(s.weight[0, 0], [[0, 1], [1, 0]])


def test_seed002_matches_the_printed_output():
    s = load_preset("seed002_pointwise")
    assert s.spec.batch is None and s.input.shape == (1, 1, 6)
    got = compute(s.spec, s.input, s.weight, s.bias, s.grad_output)
    printed = [[7.0349, -1.3750, 0.9186, 1.6831, 4.7413, -0.6105],
               [6.4210, -2.7091, -0.2191, 0.6109, 3.9309, -1.8791],
               [-1.6724, 0.9046, 0.2018, -0.0325, -0.9696, 0.6703]]
    np.testing.assert_allclose(got.output[:, 0, :], printed, atol=5e-4)


def test_sobel_responds_on_edges_only():
    s = load_preset("sobel_edges")
    got = compute(s.spec, s.input, s.weight, s.bias, s.grad_output)
    gx, gy = got.output[0]
    assert gx[5, 0] == 0 and gx[5, 5] == 0 and gx[5, 2] > 0 and gx[5, 9] < 0
    assert gy[2, 5] > 0 and gy[9, 5] < 0


# -- the format --------------------------------------------------------------------------
SPEC = {"in_channels": 1, "out_channels": 1, "kernel_size": [2, 2], "input_size": [3, 3]}


def preset(**extra: object) -> dict:
    return {"format": 1, "name": "t", "description": "", "spec": SPEC, **extra}


def test_fills_lists_and_complex_values():
    s = parse_preset(preset(
        spec=SPEC | {"dtype": "complex128", "bias": False},
        tensors={
            "input": {"fill": "ones"},
            "weight": {"real": [[[[1, 2], [3, 4]]]], "imag": [[[[0, 0], [0, -1]]]]},
            "grad_output": {"fill": "random", "seed": 4},
        },
    ))
    np.testing.assert_array_equal(s.input, np.ones((1, 1, 3, 3)))
    assert s.weight[0, 0, 1, 1] == 4 - 1j
    again = parse_preset(preset(spec=SPEC | {"dtype": "complex128", "bias": False},
                                tensors={"grad_output": {"fill": "random", "seed": 4}}))
    np.testing.assert_array_equal(s.grad_output, again.grad_output)
    assert np.iscomplexobj(s.grad_output) and np.any(s.grad_output.imag)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (preset(spec=SPEC | {"groups": 2, "in_channels": 3}), "invalid spec: in_channels 3"),
        (preset(tensors={"weight": [[1, 2], [3, 4]]}),
         "tensor 'weight': shape (2, 2) does not fit the spec, which needs (1, 1, 2, 2)"),
        (preset(tensors={"input": {"fill": "noise"}}), "fill must be one of zeros, ones, random"),
        (preset(tensors={"output": [1.0]}), "unknown tensor 'output'"),
        (preset(spec=SPEC | {"bias": False}, tensors={"bias": [1.0]}), "bias=False"),
        (preset(tensors={"bias": ["a"]}), "values must be numbers"),
        (preset(tensors={"bias": {"real": [1.0], "imag": [2.0]}}),
         "complex values need a complex dtype"),
        (preset(tensors=[1]), "'tensors' must be an object"),
    ],
)
def test_bad_presets_are_refused_with_a_reason(data, message):
    with pytest.raises(PresetError) as info:
        parse_preset(data, "preset x.json")
    assert str(info.value).startswith("preset x.json: ")
    assert message in str(info.value)


def test_unknown_name_and_bad_files(tmp_path):
    (tmp_path / "good.json").write_text(json.dumps(preset()))
    with pytest.raises(PresetError, match="unknown preset 'nope'; presets are: good"):
        load_preset("nope", tmp_path)
    (tmp_path / "v2.json").write_text(json.dumps(preset(format=2)))
    with pytest.raises(PresetError, match="format 2 is not supported"):
        list_presets(tmp_path)
    (tmp_path / "v2.json").write_text(json.dumps(preset(colour="red")))
    with pytest.raises(PresetError, match="unknown key"):
        load_preset("v2", tmp_path)
    (tmp_path / "v2.json").write_text(json.dumps(preset(order="1")))
    with pytest.raises(PresetError, match="v2.json: order must be an integer, got '1'"):
        load_preset("v2", tmp_path)
    (tmp_path / "v2.json").write_text("{")
    with pytest.raises(PresetError, match="cannot read it"):
        load_preset("v2", tmp_path)


def test_presets_are_listed_in_their_order_then_by_name(tmp_path):
    """A lesson's order, not the alphabet's: those without one last, by name."""
    for name, order in (("a", None), ("b", 20), ("c", 10), ("d", 20), ("default", 99)):
        extra = {} if order is None else {"order": order}
        (tmp_path / f"{name}.json").write_text(json.dumps(preset(**extra)))
    assert [p.name for p in list_presets(tmp_path)] == ["default", "c", "b", "d", "a"]
