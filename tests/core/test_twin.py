"""A ConvTranspose2d's forward pass is its Conv2d twin's grad_input, and the other way round."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.conv import compute
from core.io.presets import load_preset
from core.session import Session
from core.spec import LayerSpec
from core.torch_layer import layer_class
from core.twin import compare_with_twin, twin

LAYERS = [
    dict(in_channels=2, out_channels=1, kernel_size=3, stride=2, padding=1, input_size=(3, 3)),
    dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 3), padding=(1, 0),
         dilation=(1, 2), groups=2, input_size=(4, 5), batch=2, output_padding=(1, 2)),
    dict(in_channels=3, out_channels=2, kernel_size=2, input_size=(3, 4), batch=None,
         bias=False, dtype="complex128"),
]


def results_of(s: Session):
    return compute(s.spec, s.input, s.weight, s.bias, s.grad_output)


@pytest.mark.parametrize("layer", LAYERS)
def test_transposed_output_is_the_conv2d_twins_grad_input(layer):
    s = Session.default(LayerSpec(transposed=True, **layer), seed=1)
    pair = compare_with_twin(s, results_of(s))
    assert (pair.ours, pair.theirs) == ("output", "grad_input")
    other = pair.twin_session.spec
    assert not other.transposed and other.input_size == s.spec.output_size
    assert (other.in_channels, other.out_channels) == (s.spec.out_channels, s.spec.in_channels)
    # torch's own Conv2d backward on the twin gives the same numbers (its weight is W, or
    # conj(W) for complex dtypes: autograd's convention)
    want_w = np.conj(s.weight) if s.spec.dtype.startswith("complex") else s.weight
    np.testing.assert_array_equal(pair.twin_session.weight, want_w)
    x = torch.zeros(other.input_shape, dtype=getattr(torch, other.dtype), requires_grad=True)
    F.conv2d(x, torch.tensor(pair.twin_session.weight), stride=other.stride, padding=other.padding,
             dilation=other.dilation, groups=other.groups).backward(torch.tensor(s.input))
    np.testing.assert_allclose(pair.theirs_values, x.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(pair.ours_values, pair.theirs_values, rtol=0, atol=1e-10)
    assert pair.max_abs_delta < 1e-10 and pair.bias_removed == s.spec.bias


@pytest.mark.parametrize("layer", LAYERS[:2])
def test_conv2d_grad_input_is_the_transposed_twins_output(layer):
    layer = {k: v for k, v in layer.items() if k != "output_padding"}
    s = Session.default(LayerSpec(**layer), seed=2)
    pair = compare_with_twin(s, results_of(s))
    assert (pair.ours, pair.theirs) == ("grad_input", "output")
    assert pair.twin_session.spec.transposed
    assert pair.twin_session.spec.output_size == s.spec.input_size  # its output_padding
    np.testing.assert_allclose(pair.ours_values, pair.theirs_values, rtol=0, atol=1e-10)
    # and the twin of the twin is the layer again (without bias)
    back = twin(pair.twin_session).spec
    assert back == s.spec.replace(bias=False, padding=back.padding)


@pytest.mark.parametrize("changes, phrase", [
    (dict(padding=1, padding_mode="reflect"), "padding_mode 'reflect' has no transposed twin"),
    (dict(kernel_size=2, padding="same"), "pads unevenly"),
])
def test_no_twin_says_why(changes, phrase):
    s = Session.default(LayerSpec(1, 1, **{"kernel_size": 3, **changes}, input_size=(5, 5)))
    with pytest.raises(ValueError, match=phrase):
        twin(s)


def test_output_padding_below_the_dilation_alone_has_no_conv2d_twin():
    spec = LayerSpec(1, 1, 3, dilation=3, output_padding=2, transposed=True, input_size=(3, 3))
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) is not smaller than the stride"):
        twin(Session.default(spec))


def test_the_preset_shows_equal_numbers():
    s = load_preset("transposed_vs_conv2d")
    pair = compare_with_twin(s, results_of(s))
    assert layer_class(pair.twin_session.spec) == "Conv2d"
    assert pair.ours_values.shape == (1, 1, 5, 5) and np.abs(pair.ours_values).max() > 1
    np.testing.assert_array_equal(pair.ours_values, pair.theirs_values)  # small integers
