"""The memory budget: one estimate from the spec, checked before anything is allocated.

`core.budget.estimate_bytes` must follow what the pipeline really allocates (measured with
tracemalloc, chunked and compact layers included), and every public entry that allocates a
layer refuses one over the limit with both figures, before allocating.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from measured_peak import peak_of

from core import (
    BudgetError,
    LayerSpec,
    SpecError,
    budget,
    compute,
    conv2d,
    conv2d_input,
    conv2d_weight,
)
from core.im2col_steps import im2col_steps


@pytest.fixture(autouse=True)
def default_limit(monkeypatch):
    monkeypatch.delenv(budget.ENV_VAR, raising=False)
    yield
    budget.set_limit(None)


SHAPES = [
    LayerSpec(3, 4, (3, 3), padding=1, input_size=(16, 16), batch=2),
    LayerSpec(16, 16, (3, 3), padding=1, input_size=(64, 64), batch=6, dtype="float32"),
    LayerSpec(4, 4, (3, 3), padding=2, padding_mode="reflect", input_size=(20, 20), batch=2),
    LayerSpec(8, 8, (3, 3), stride=5, padding=30, input_size=(64, 64), batch=2),  # compact
    LayerSpec(8, 8, (3, 3), groups=8, padding=1, input_size=(48, 48), batch=3),  # depthwise
    # one sample in bands, which the workers share (conv2d, conv2d_weight)
    LayerSpec(16, 16, (3, 3), padding=1, input_size=(64, 64), batch=1, dtype="float32"),
]


@pytest.mark.parametrize("spec", SHAPES, ids=repr)
def test_the_estimate_follows_the_measured_peak(spec: LayerSpec) -> None:
    """The layer's tensors are made inside the measurement: the estimate counts them too."""
    rng = np.random.default_rng(0)
    peak = peak_of(lambda: compute(spec, *_tensors(spec, rng)))
    estimate = budget.estimate_bytes(spec)
    assert peak <= estimate <= 3 * peak, (peak, estimate)


@pytest.mark.parametrize("function", ["conv2d", "conv2d_input", "conv2d_weight"])
@pytest.mark.parametrize("spec", SHAPES, ids=repr)
def test_the_estimate_of_each_public_function_follows_its_peak(spec, function) -> None:
    """A public function allocates its result and scratch; the caller's arrays exist."""
    layer = {"stride": spec.stride, "padding": spec.padding, "groups": spec.groups,
             "padding_mode": spec.padding_mode}
    x, w, b, gy = _tensors(spec, np.random.default_rng(0))
    call, result = {
        "conv2d": (lambda: conv2d(x, w, b, **layer), "output"),
        "conv2d_input": (lambda: conv2d_input(x.shape, w, gy, **layer), "grad_input"),
        "conv2d_weight": (lambda: conv2d_weight(x, w.shape, gy, **layer), "grad_weight"),
    }[function]
    peak = peak_of(call)
    estimate = budget.estimate_bytes(spec, {result})
    assert peak <= estimate <= 3 * peak, (peak, estimate)


def _tensors(spec: LayerSpec, rng: np.random.Generator):
    x = rng.standard_normal(spec.input_shape).astype(spec.dtype)
    w = rng.standard_normal(spec.weight_shape).astype(spec.dtype)
    b = rng.standard_normal(spec.bias_shape).astype(spec.dtype) if spec.bias else None
    gy = rng.standard_normal(spec.output_shape).astype(spec.dtype)
    return x, w, b, gy


def test_a_refusal_names_the_estimate_and_the_limit() -> None:
    spec = SHAPES[1]
    budget.set_limit(2**20)
    with pytest.raises(BudgetError) as info:
        compute(spec, *_tensors(spec, np.random.default_rng(1)))
    error = info.value
    assert isinstance(error, ValueError)
    assert error.limit == 2**20
    assert error.estimate == budget.estimate_bytes(spec) > 2**20
    assert budget.format_bytes(error.estimate) in str(error)
    assert "1.0 MiB" in str(error) and budget.ENV_VAR in str(error)
    # a SpecError naming the size fields lowering would shrink, and both figures
    assert isinstance(error, SpecError)
    assert error.fields == ("batch", "in_channels", "out_channels", "kernel_size", "input_size")
    assert error.numbers == {"estimate": error.estimate, "limit": 2**20}


@pytest.mark.parametrize(("spec", "fields"), [
    (LayerSpec(1, 1, 1, input_size=(1, 1), batch=None), ()),
    (LayerSpec(1, 1, 1, input_size=(1, 1), batch=1), ()),
    (LayerSpec(1, 2, (1, 3), padding=(0, 1), input_size=(1, 1), batch=0),
     ("out_channels", "kernel_size")),
    (LayerSpec(2, 1, 1, stride=3, input_size=(4, 1)), ("in_channels", "input_size")),
    (LayerSpec(1, 1, 1, stride=(1, 3), input_size=(1, 1), batch=5, transposed=True),
     ("batch", "stride")),
])
def test_the_size_fields_are_those_above_their_least(spec: LayerSpec, fields) -> None:
    assert budget.size_fields(spec) == fields
    with pytest.raises(BudgetError) as info:
        budget.check(spec, limit_bytes=1)
    assert info.value.fields == fields


def test_the_limit_comes_from_set_limit_else_the_environment_else_the_default(
    monkeypatch,
) -> None:
    assert budget.limit() == budget.DEFAULT_LIMIT
    monkeypatch.setenv(budget.ENV_VAR, "3M")
    assert budget.limit() == 3 * 2**20
    budget.set_limit(12345)
    assert budget.limit() == 12345
    budget.set_limit(None)
    assert budget.limit() == 3 * 2**20
    monkeypatch.setenv(budget.ENV_VAR, "lots")
    with pytest.raises(ValueError, match=f"{budget.ENV_VAR}.*'lots'"):
        budget.limit()
    for bad in (0, -5, 1.5, "1G", True):
        with pytest.raises(ValueError, match="memory limit"):
            budget.set_limit(bad)


def test_the_environment_limit_refuses_a_public_call(monkeypatch) -> None:
    x = np.ones((4, 16, 64, 64), dtype=np.float32)
    w = np.ones((16, 16, 3, 3), dtype=np.float32)
    monkeypatch.setenv(budget.ENV_VAR, "256K")
    with pytest.raises(BudgetError, match="conv2d needs about .* over the memory limit of 256.0"):
        conv2d(x, w, padding=1)
    monkeypatch.setenv(budget.ENV_VAR, "1G")
    assert conv2d(x, w, padding=1).shape == (4, 16, 64, 64)


def _peak_of(call) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(BudgetError):
            call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_refused_calls_allocate_nothing_big() -> None:
    """Layers of tens of GiB from small arrays: refused before anything of their size."""
    tiny = np.ones((1, 1, 1, 1))
    # a padding of 30000 around one pixel: a 60001² output, 27 GiB
    assert _peak_of(lambda: conv2d(tiny, tiny, padding=30000)) < 2**20
    # grad_input of 10⁴ samples of 512², 20 GiB, from a (10⁴, 1, 1, 1) grad_output
    w = np.ones((1, 1, 512, 512))
    gy = np.ones((10**4, 1, 1, 1))
    assert _peak_of(lambda: conv2d_input((10**4, 1, 512, 512), w, gy)) < 2**20
    # grad_weight of 30000 output channels on a 4000² input
    budget.set_limit(2**30)
    x = np.ones((1, 1, 64, 64))
    gy = np.ones((1, 3 * 10**5, 1, 1))
    assert _peak_of(lambda: conv2d_weight(x, (3 * 10**5, 1, 64, 64), gy)) < 2**20
    spec = LayerSpec(1, 1, (1, 1), padding=30000, input_size=(1, 1), batch=1, bias=False)
    gy_view = np.broadcast_to(np.ones(1), spec.output_shape)  # no memory of its own
    assert _peak_of(lambda: compute(spec, tiny, tiny, None, gy_view)) < 2**20


def test_the_im2col_steps_refuse_matrices_over_the_limit() -> None:
    spec = LayerSpec(8, 8, (5, 5), padding=2, input_size=(64, 64), batch=1)
    x, w, b, gy = _tensors(spec, np.random.default_rng(2))
    budget.set_limit(2**20)
    with pytest.raises(BudgetError, match="im2col steps") as info:
        im2col_steps(spec, x, w, b, gy)
    assert info.value.fields == ("in_channels", "out_channels", "kernel_size", "input_size")
    budget.set_limit(None)
    assert im2col_steps(spec, x, w, b, gy).cols.shape == (1, 64 * 64, 8 * 25)
