"""The memory budget of layers of 1 and 3 spatial axes: the estimate follows what the
pipeline really allocates (tracemalloc), and huge layers are refused with their size
fields named before anything of their size is allocated."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from measured_peak import peak_of

import core
from core import BudgetError, LayerSpec, budget, compute
from core.im2col_steps import im2col_steps


@pytest.fixture(autouse=True)
def default_limit(monkeypatch):
    monkeypatch.delenv(budget.ENV_VAR, raising=False)
    yield
    budget.set_limit(None)


SHAPES = [
    LayerSpec(16, 16, 3, padding=1, input_size=2048, batch=4, dims=1),
    LayerSpec(8, 8, 5, padding=2, padding_mode="reflect", input_size=4096, batch=2, dims=1,
              dtype="float32"),
    LayerSpec(8, 8, 3, dilation=4, causal=True, input_size=4096, batch=2, dims=1),
    # its row's im2col matrix (18 MiB) runs in slabs of columns (`numpy_fast.as_3d`)
    LayerSpec(32, 16, 9, padding=4, input_size=16384, batch=2, dims=1, dtype="float32"),
    LayerSpec(16, 16, 3, stride=50, padding=3000, input_size=8192, batch=4, dims=1),  # compact
    LayerSpec(4, 8, 3, padding=1, input_size=(12, 16, 16), batch=2, dims=3),
    LayerSpec(4, 4, 3, padding=1, padding_mode="circular", input_size=(8, 12, 12), batch=2,
              dims=3, dtype="complex64"),
    LayerSpec(8, 4, 3, stride=2, padding=1, output_padding=1, input_size=(6, 8, 8), batch=2,
              dims=3, transposed=True),
    LayerSpec(8, 4, 5, stride=3, padding=2, output_padding=2, input_size=1024, batch=2,
              dims=1, transposed=True),
]


def _tensors(spec: LayerSpec, rng: np.random.Generator):
    def make(shape):
        a = rng.standard_normal(shape)
        return (a + 1j * rng.standard_normal(shape) if spec.dtype.startswith("c") else a
                ).astype(spec.dtype)

    b = make(spec.bias_shape) if spec.bias else None
    return make(spec.input_shape), make(spec.weight_shape), b, make(spec.output_shape)


@pytest.mark.parametrize("spec", SHAPES, ids=repr)
def test_the_estimate_follows_the_measured_peak(spec: LayerSpec) -> None:
    """compute with the layer's tensors made inside the measurement, as the estimate
    counts them."""
    rng = np.random.default_rng(0)
    peak = peak_of(lambda: compute(spec, *_tensors(spec, rng)))
    estimate = budget.estimate_bytes(spec)
    assert peak <= estimate <= 3 * peak, (peak, estimate)


@pytest.mark.parametrize("function", ["", "_input", "_weight"])
@pytest.mark.parametrize("spec", [s for s in SHAPES if not s.causal], ids=repr)
def test_the_estimate_of_each_public_function_follows_its_peak(spec, function) -> None:
    """A public function allocates its result and scratch; the caller's arrays exist.
    (A causal layer's F.pad is no argument of theirs: it is a spec, run by compute.)"""
    x, w, b, gy = _tensors(spec, np.random.default_rng(0))
    kind = "conv_transpose" if spec.transposed else "conv"
    f = getattr(core, f"{kind}{spec.dims}d{function}")
    if spec.transposed:
        args = (spec.stride, spec.padding, spec.output_padding, spec.groups, spec.dilation)
    else:
        args = (spec.stride, spec.padding, spec.dilation, spec.groups, spec.padding_mode)
    call, result = {
        "": (lambda: f(x, w, b, *args), "output"),
        "_input": (lambda: f(x.shape, w, gy, *args), "grad_input"),
        "_weight": (lambda: f(x, w.shape, gy, *args), "grad_weight"),
    }[function]
    peak = peak_of(call)
    estimate = budget.estimate_bytes(spec, {result})
    assert peak <= estimate <= 3 * peak, (peak, estimate)


def _refused_peak(call) -> tuple[int, BudgetError]:
    tracemalloc.start()
    try:
        with pytest.raises(BudgetError) as info:
            call()
        return tracemalloc.get_traced_memory()[1], info.value
    finally:
        tracemalloc.stop()


def test_huge_1d_and_3d_layers_are_refused_naming_their_size_fields() -> None:
    """Layers of tens of GiB from small arrays: refused before anything of their size."""
    one = np.ones((1, 1, 1))
    # a padding of 10⁹ around one sample: an output of 2·10⁹ entries
    peak, error = _refused_peak(lambda: core.conv1d(one, one, padding=10**9))
    assert peak < 2**20 and "conv1d needs about" in str(error)
    # grad_input of 10⁴ samples of 10⁶ entries each, from a (10⁴, 1, 1) grad_output
    w = np.ones((1, 1, 10**6))
    peak, error = _refused_peak(lambda: core.conv1d_input((10**4, 1, 10**6), w,
                                                          np.ones((10**4, 1, 1))))
    assert peak < 2**20
    assert error.fields == ("batch", "kernel_size", "input_size")
    assert "conv1d_input needs about" in str(error)
    # a 3-D grad_weight of 3·10⁴ output channels of 64³ kernels
    x = np.ones((1, 1, 64, 64, 64))
    peak, error = _refused_peak(lambda: core.conv3d_weight(x, (3 * 10**4, 1, 64, 64, 64),
                                                           np.ones((1, 3 * 10**4, 1, 1, 1))))
    assert peak < 2**20
    assert error.fields == ("out_channels", "kernel_size", "input_size")
    # a 3-D transposed layer painting a 2000³ output
    w = np.ones((1, 1, 2, 2, 2))
    peak, error = _refused_peak(lambda: core.conv_transpose3d(np.ones((1, 1, 10, 10, 10)),
                                                              w, stride=200))
    assert peak < 2**20 and "conv_transpose3d" in str(error)
    assert error.fields == ("kernel_size", "stride", "input_size")


def test_compute_of_a_huge_3d_spec_is_refused_before_it_is_made() -> None:
    spec = LayerSpec(64, 64, 3, padding=1, input_size=(256, 256, 256), batch=8, dims=3,
                     bias=False)
    x = np.broadcast_to(np.ones(1), spec.input_shape)  # views: no memory of their own
    w = np.broadcast_to(np.ones(1), spec.weight_shape)
    gy = np.broadcast_to(np.ones(1), spec.output_shape)
    peak, error = _refused_peak(lambda: compute(spec, x, w, None, gy))
    assert peak < 2**20
    assert error.fields == ("batch", "in_channels", "out_channels", "kernel_size",
                            "input_size")
    assert error.estimate == budget.estimate_bytes(spec)


@pytest.mark.parametrize("dims", [1, 3])
def test_the_im2col_steps_of_1d_and_3d_layers_refuse_matrices_over_the_limit(dims) -> None:
    spec = LayerSpec(8, 8, 5, padding=2, input_size=(4096,) if dims == 1 else (16, 16, 16),
                     batch=1, dims=dims)
    x, w, b, gy = _tensors(spec, np.random.default_rng(2))
    budget.set_limit(2**20)
    with pytest.raises(BudgetError, match="im2col steps") as info:
        im2col_steps(spec, x, w, b, gy)
    assert info.value.fields == ("in_channels", "out_channels", "kernel_size", "input_size")
    budget.set_limit(None)
    positions = 4096 if dims == 1 else 16**3
    assert im2col_steps(spec, x, w, b, gy).cols.shape == (1, positions, 8 * 5**dims)
