"""Work grows with the output and the kernel, never with stride, padding or dilation.

A stride of 4000 over a 5×5 input took 47 s and a stride of 10⁶ asked for 21.8 TiB. Each
public function, `compute`, the im2col steps and the provenance look-ups run such layers
here against torch, under a generous time bound. Where torch itself would materialise the
padding (replicate with a padding of 10⁶), the answer is compared with a small layer that
reads the same pixels.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from torch_reference import assert_matches, random_array, reference

from core import LayerSpec, compute, conv2d, conv2d_input, conv2d_weight, explain_spec, readers
from core.im2col_steps import im2col_steps

BOUND_S = 5.0
M = 10**6


@contextmanager
def within(seconds: float = BOUND_S) -> Iterator[None]:
    start = time.perf_counter()
    yield
    took = time.perf_counter() - start
    assert took < seconds, f"took {took:.1f} s"


def tensors(x_shape, w_shape, seed: int = 0, bias: bool = True):
    rng = np.random.default_rng(seed)
    x = random_array(rng, x_shape, "float64")
    w = random_array(rng, w_shape, "float64")
    b = random_array(rng, (w_shape[0],), "float64") if bias else None
    return rng, x, w, b


def check_all(x, w, b, gy, expected, layer: dict[str, Any], backend: str = "numpy") -> None:
    """Each public function alone, then `compute`, against ``expected`` (a Reference)."""
    layer = {**layer, "backend": backend}
    with within():
        assert_matches(conv2d(x, w, b, **layer), expected.output, 1e-10)
    with within():
        assert_matches(conv2d_input(x.shape, w, gy, **layer), expected.grad_input, 1e-10)
    with within():
        assert_matches(conv2d_weight(x, w.shape, gy, **layer), expected.grad_weight, 1e-10)
    del layer["backend"]
    spec = LayerSpec.from_arrays(x.shape, w.shape, bias=b is not None, **layer)
    with within():
        got = compute(spec, x, w, b, gy, backend=backend)
    for name in ("output", "grad_input", "grad_weight"):
        assert_matches(getattr(got, name), getattr(expected, name), 1e-10)


# Layers torch answers at once (its kernels handle zero padding without materialising it).
TORCH_LAYERS = [
    {"stride": 4000},
    {"stride": M},
    {"stride": (M, 2), "padding": (0, 1)},
    {"stride": M, "padding": M},
    {"dilation": M, "padding": M},
    {"dilation": (M, 1), "padding": (M, 1), "stride": (1, M)},
    {"stride": 7, "padding": 5, "dilation": 3},
]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("layer", TORCH_LAYERS, ids=repr)
def test_huge_stride_padding_and_dilation_match_torch_in_time(
    layer: dict[str, Any], backend: str
) -> None:
    rng, x, w, b = tensors((2, 3, 5, 6), (4, 3, 3, 3))
    ref = reference(x, w, b, lambda shape: random_array(rng, shape, "float64"), **layer)
    check_all(x, w, b, ref.grad_output, ref, layer, backend)


def test_the_reported_layer_returns_at_once() -> None:
    """``conv2d(ones((1,3,5,5)), ones((2,3,3,3)), stride=4000)``: 47 s before; 27 each."""
    with within(1.0):
        y = conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 3, 3, 3)), stride=4000)
    np.testing.assert_array_equal(y, np.full((1, 2, 1, 1), 27.0))


# Layers torch would pad in full (10¹² cells): the same sums as a small layer reads them.
# replicate, padding 10⁶, stride 10⁶: windows over the top edge, rows 0-2, the bottom edge
# — as padding 4, stride 4 reads them. Dilation 10⁶, padding 10⁶: taps on the edge, on row
# o, on the other edge — as padding 5, dilation 5.
SMALL_EQUIVALENTS = [
    ({"stride": M, "padding": M}, {"stride": 4, "padding": 4}),
    ({"dilation": M, "padding": M}, {"dilation": 5, "padding": 5}),
]


@pytest.mark.parametrize(("huge", "small"), SMALL_EQUIVALENTS, ids=repr)
def test_replicate_with_huge_padding_equals_its_small_equivalent(huge, small) -> None:
    rng, x, w, b = tensors((2, 3, 5, 5), (4, 3, 3, 3))
    huge, small = ({**h, "padding_mode": "replicate"} for h in (huge, small))
    ref = reference(x, w, b, lambda shape: random_array(rng, shape, "float64"), **small)
    assert LayerSpec.from_arrays(x.shape, w.shape, bias=True, **huge).output_shape == (
        ref.output.shape
    )
    check_all(x, w, b, ref.grad_output, ref, huge)


@pytest.mark.parametrize("layer", [{"stride": M}, {"dilation": M}], ids=repr)
@pytest.mark.parametrize("mode", ["zeros", "replicate"])
def test_im2col_steps_and_provenance_cost_what_the_windows_read(mode: str, layer) -> None:
    """The app's im2col tab and its hover look-ups on a layer padded by 10⁶."""
    spec = LayerSpec(3, 4, (3, 3), padding=M, padding_mode=mode, input_size=(5, 5),
                     batch=2, dtype="float64", **layer)
    rng, x, w, b = tensors(spec.input_shape, spec.weight_shape)
    gy = random_array(rng, spec.output_shape, "float64")
    with within():
        expected = compute(spec, x, w, b, gy)
    with within():
        steps = im2col_steps(spec, x, w, b, gy, sample=1)
    assert_matches(steps.output, expected.output[1], 1e-10)
    assert_matches(steps.grad_input, conv2d_input((1, *x.shape[1:]), w, gy[1:], padding=M,
                                                   padding_mode=mode, **layer)[0], 1e-10)
    tensors_ = {"input": x, "weight": w, "bias": b, "grad_output": gy}
    with within():
        for target, index in (("output", (1, 2, 1, 2)), ("grad_input", (0, 1, 4, 0)),
                              ("grad_weight", (3, 2, 0, 2)), ("grad_bias", (1,))):
            terms = explain_spec(spec, target, index, **tensors_)
            np.testing.assert_allclose(terms.sum(), getattr(expected, target)[index],
                                       rtol=1e-10, atol=1e-10)
        for source, index in (("input", (0, 2, 0, 0)), ("weight", (1, 0, 1, 1)),
                              ("grad_output", (1, 3, 1, 1))):
            assert len(readers(spec, source, index)) > 0
