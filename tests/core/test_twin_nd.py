"""core.twin for Conv1d / Conv3d and their transposed forms: the twin is a layer of the same
number of axes whose forward pass (torch's own) is this layer's grad_input, and back."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.session import Session
from core.spec import LayerSpec
from core.twin import twin

LAYERS = [
    dict(in_channels=2, out_channels=4, kernel_size=3, stride=2, padding=1, dilation=2, groups=2,
         input_size=9, dims=1, batch=2),
    dict(in_channels=2, out_channels=2, kernel_size=(2, 3, 2), stride=(2, 1, 3), padding=(1, 1, 0),
         input_size=(4, 5, 5), dims=3, batch=None, dtype="complex128"),
]


def _t(a):
    return torch.tensor(a)


@pytest.mark.parametrize("layer", LAYERS)
def test_a_conv_s_grad_input_is_its_transposed_twin_s_output(layer):
    s = Session.default(LayerSpec(**layer), seed=3)
    spec, other = s.spec, twin(s)
    assert other.spec.transposed and other.spec.dims == spec.dims
    assert other.spec.output_size == spec.input_size
    d = spec.dims
    x = torch.tensor(s.input, requires_grad=True)
    conv = getattr(F, f"conv{d}d")
    conv(x, _t(s.weight), None, spec.stride, spec.padding, spec.dilation,
         spec.groups).backward(_t(s.grad_output))
    painted = getattr(F, f"conv_transpose{d}d")(
        _t(other.input), _t(other.weight), None, other.spec.stride, other.spec.padding,
        other.spec.output_padding, other.spec.groups, other.spec.dilation)
    np.testing.assert_allclose(painted.numpy(), x.grad.numpy(), rtol=0, atol=1e-10)
    back = twin(other).spec  # the twin of the twin is the layer again, without bias
    assert back == spec.replace(bias=False, padding=back.padding)


@pytest.mark.parametrize("layer", LAYERS)
def test_a_transposed_layer_s_output_is_its_conv_twin_s_grad_input(layer):
    spec = LayerSpec(transposed=True, **{**layer, "in_channels": 2, "out_channels": 2})
    # the largest output_padding each axis allows, below its stride (or its dilation)
    spec = spec.replace(output_padding=tuple(max(s, d) - 1 for s, d in
                                             zip(spec.stride, spec.dilation, strict=True)))
    s = Session.default(spec, seed=4)
    other = twin(s)
    assert not other.spec.transposed and other.spec.input_size == spec.output_size
    x = torch.zeros(other.spec.input_shape, dtype=getattr(torch, spec.dtype), requires_grad=True)
    getattr(F, f"conv{spec.dims}d")(x, _t(other.weight), None, other.spec.stride,
                                    other.spec.padding, other.spec.dilation,
                                    other.spec.groups).backward(_t(other.grad_output))
    y = getattr(F, f"conv_transpose{spec.dims}d")(
        _t(s.input), _t(s.weight), None, spec.stride, spec.padding, spec.output_padding,
        spec.groups, spec.dilation)
    np.testing.assert_allclose(x.grad.numpy(), y.numpy(), rtol=0, atol=1e-10)


def test_a_causal_conv1d_has_no_twin_and_says_which_axis_pads_unevenly():
    spec = LayerSpec(1, 1, 3, dilation=2, causal=True, input_size=6, dims=1)
    with pytest.raises(ValueError, match=r"pads unevenly \(length 4/0\): a ConvTranspose1d"):
        twin(Session.default(spec))


@pytest.mark.parametrize("layer", LAYERS)
def test_compare_with_twin_puts_equal_numbers_side_by_side(layer):
    from core.conv import compute
    from core.twin import compare_with_twin

    for spec in (LayerSpec(**layer), LayerSpec(transposed=True, **{**layer, "in_channels": 2,
                                                                    "out_channels": 2})):
        s = Session.default(spec, seed=5)
        pair = compare_with_twin(s, compute(spec, s.input, s.weight, s.bias, s.grad_output))
        assert pair.max_abs_delta < 1e-10 and pair.ours_values.shape == spec.shape(pair.ours)
        assert pair.bias_removed == (spec.transposed and spec.bias)
