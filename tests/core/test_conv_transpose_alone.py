"""The transposed functions called alone: on the chunked, threaded path, at a real size, and
within the memory budget `core.budget` estimates for them.

As `test_public_alone` does for Conv2d: the chunk budget, band size and worker count are
forced small so that every call splits even a small batch over several workers; then the
real-size layer (8,64,28,28)→32 k3 s2 p1 op1 once per function; then the estimate against
the measured peak, and a refusal before anything of the layer's size is allocated.
"""

from __future__ import annotations

import dataclasses
import tracemalloc

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from measured_peak import peak_of
from test_budget import _tensors, default_limit  # noqa: F401 (a fixture)
from test_conv_transpose import Case, reference, valid_cases
from test_conv_vs_torch import TOL
from test_public_alone import small_chunks
from torch_reference import assert_matches

from core import (
    BudgetError,
    LayerSpec,
    budget,
    compute,
    conv2d_bias,
    conv_transpose2d,
    conv_transpose2d_input,
    conv_transpose2d_weight,
)

DTYPES = ("float64", "complex128", "float32", "complex64")


def check_each_alone(case: Case) -> None:
    rng, x, w, b = case.tensors()
    tol = TOL[case.dtype]
    ref = reference(case, x, w, b, rng)
    gy = ref["grad_output"]
    assert_matches(conv_transpose2d(x, w, b, **case.layer), ref["output"], tol)
    assert_matches(conv_transpose2d_input(x.shape, w, gy, **case.layer), ref["grad_input"], tol)
    assert_matches(conv_transpose2d_weight(x, w.shape, gy, **case.layer), ref["grad_weight"],
                   tol)
    if b is not None:
        assert_matches(conv2d_bias(gy), ref["grad_bias"], tol)
    got = compute(case.spec(), x, w, b, gy)
    for name in ("output", "grad_input", "grad_weight"):
        assert_matches(getattr(got, name), ref[name], tol)


@st.composite
def spread_cases(draw: st.DrawFn) -> Case:
    """`valid_cases` over every dtype, sometimes with a stride far past the kernel: copies
    painted far apart (the Conv2d underneath then takes core.compact's route)."""
    case = draw(valid_cases(dtypes=DTYPES))
    if not draw(st.booleans()):
        return case
    # grown only: output_padding stays below the stride, the output only grows
    sh, sw = (case.stride, case.stride) if isinstance(case.stride, int) else case.stride
    stride = (sh + draw(st.integers(0, 7)), sw + draw(st.integers(0, 7)))
    return dataclasses.replace(case, stride=stride)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=spread_cases())
def test_each_function_alone_on_the_threaded_path(case: Case) -> None:
    with small_chunks():
        check_each_alone(case)


def test_the_workers_really_split_each_call() -> None:
    case = Case(2, 4, (3, 3), 2, 1, 1, 2, 1, True, (4, 5), 3, "float64", 1)
    with small_chunks() as runs:
        check_each_alone(case)
    assert len(runs) >= 4 * 3  # three workers for each of the four calls


# -- the real size -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_layer() -> dict:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 64, 28, 28), dtype=np.float32)
    w = rng.standard_normal((64, 32, 3, 3), dtype=np.float32) / 24
    gy = rng.standard_normal((8, 32, 56, 56), dtype=np.float32)
    layer = dict(stride=2, padding=1, output_padding=1)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = F.conv_transpose2d(xt, wt, **layer)
    y.backward(torch.tensor(gy))
    return {"x": x, "w": w, "gy": gy, "layer": layer, "output": y.detach().numpy(),
            "grad_input": xt.grad.numpy(), "grad_weight": wt.grad.numpy()}


def test_conv_transpose2d_alone_at_the_real_size(real_layer) -> None:
    r = real_layer
    assert_matches(conv_transpose2d(r["x"], r["w"], **r["layer"]), r["output"], 1e-5)


def test_conv_transpose2d_input_alone_at_the_real_size(real_layer) -> None:
    r = real_layer
    got = conv_transpose2d_input(r["x"].shape, r["w"], r["gy"], **r["layer"])
    assert_matches(got, r["grad_input"], 1e-5)


def test_conv_transpose2d_weight_alone_at_the_real_size(real_layer) -> None:
    r = real_layer
    got = conv_transpose2d_weight(r["x"], r["w"].shape, r["gy"], **r["layer"])
    assert_matches(got, r["grad_weight"], 1e-5)


def test_compute_at_the_real_size(real_layer) -> None:
    r = real_layer
    spec = LayerSpec(64, 32, 3, stride=2, padding=1, output_padding=1, input_size=(28, 28),
                     batch=8, bias=False, dtype="float32", transposed=True)
    got = compute(spec, r["x"], r["w"], None, r["gy"])
    for name in ("output", "grad_input", "grad_weight"):
        assert_matches(getattr(got, name), r[name], 1e-5)


# -- the budget ----------------------------------------------------------------------------
SHAPES = [
    LayerSpec(16, 8, 4, stride=2, padding=1, input_size=(32, 32), batch=2, dtype="float32",
              transposed=True),
    # output_padding past the stride (the Conv2d is wider than the input), complex, a bias
    LayerSpec(4, 6, 3, dilation=2, output_padding=1, groups=2, input_size=(20, 20), batch=3,
              dtype="complex128", transposed=True),
    LayerSpec(8, 8, 3, stride=6, padding=1, input_size=(16, 16), batch=2, bias=False,
              transposed=True),  # copies far apart: the Conv2d runs compact
]


@pytest.mark.parametrize("spec", SHAPES, ids=repr)
def test_the_estimate_follows_the_measured_peak(spec: LayerSpec) -> None:
    rng = np.random.default_rng(0)
    # The layer's tensors are made inside the measurement: the estimate counts them too.
    peak = peak_of(lambda: compute(spec, *_tensors(spec, rng)))
    estimate = budget.estimate_bytes(spec)
    assert peak <= estimate <= 3 * peak, (peak, estimate)


@pytest.mark.parametrize("function", ["output", "grad_input", "grad_weight"])
@pytest.mark.parametrize("spec", SHAPES, ids=repr)
def test_the_estimate_of_each_function_follows_its_peak(spec, function) -> None:
    layer = dict(stride=spec.stride, padding=spec.padding, output_padding=spec.output_padding,
                 groups=spec.groups, dilation=spec.dilation)
    x, w, b, gy = _tensors(spec, np.random.default_rng(0))
    call = {
        "output": lambda: conv_transpose2d(x, w, b, **layer),
        "grad_input": lambda: conv_transpose2d_input(x.shape, w, gy, **layer),
        "grad_weight": lambda: conv_transpose2d_weight(x, w.shape, gy, **layer),
    }[function]
    peak = peak_of(call)
    estimate = budget.estimate_bytes(spec, {function})
    assert peak <= estimate <= 3 * peak, (peak, estimate)


def test_a_huge_transposed_layer_is_refused_before_it_is_made() -> None:
    """A stride of 10⁵ paints 3×3 copies 10⁵ apart: a 10⁵² output from a 2×2 input."""
    x, w = np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3))
    tracemalloc.start()
    try:
        with pytest.raises(BudgetError, match="conv_transpose2d needs about .* over the "
                                              "memory limit"):
            conv_transpose2d(x, w, stride=10**5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_each_function_is_refused_over_the_limit_naming_itself() -> None:
    spec = LayerSpec(16, 8, 4, stride=2, padding=1, input_size=(16, 16), batch=2,
                     transposed=True)
    x, w, b, gy = _tensors(spec, np.random.default_rng(1))
    layer = dict(stride=2, padding=1)
    budget.set_limit(min(budget.estimate_bytes(spec, {name}) for name in
                         ("output", "grad_input", "grad_weight")) - 1)
    for name, call in (
        ("conv_transpose2d", lambda: conv_transpose2d(x, w, b, **layer)),
        ("conv_transpose2d_input", lambda: conv_transpose2d_input(x.shape, w, gy, **layer)),
        ("conv_transpose2d_weight", lambda: conv_transpose2d_weight(x, w.shape, gy, **layer)),
        ("compute", lambda: compute(spec, x, w, b, gy)),
    ):
        with pytest.raises(BudgetError, match=f"^{name} needs about"):
            call()
