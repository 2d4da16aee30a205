"""backend='cuda' against ``nn.Conv2d`` + autograd on the same CUDA device."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from test_conv_vs_torch import Case, valid_cases
from torch_reference import assert_matches, random_array, reference

from core import LayerSpec, compute, conv2d, conv2d_input, conv2d_weight

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

LAYERS = [
    ((2, 3, 7, 6), (4, 3, 3, 3), {}),
    (
        (2, 4, 8, 8),
        (6, 2, 3, 2),
        {"stride": (2, 1), "padding": 1, "groups": 2, "padding_mode": "reflect"},
    ),
    (
        (3, 9, 9),
        (3, 1, 3, 3),
        {"padding": "same", "dilation": 2, "groups": 3, "padding_mode": "circular"},
    ),
    ((0, 2, 5, 5), (2, 2, 2, 2), {"padding": (1, 0), "padding_mode": "replicate"}),
    ((1, 2, 6, 6), (2, 2, 4, 1), {"padding": "same", "padding_mode": "zeros"}),
]


@pytest.fixture(autouse=True)
def exact_cudnn():
    """No TF32 in torch's own convolution, so that float32 is float32 on both sides."""
    with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
        yield


@pytest.mark.parametrize("dtype", ["float64", "complex128", "float32"])
@pytest.mark.parametrize(("x_shape", "w_shape", "layer"), LAYERS)
def test_cuda_backend_matches_torch_on_cuda(
    x_shape: tuple[int, ...], w_shape: tuple[int, ...], layer: dict[str, Any], dtype: str
) -> None:
    tol = 1e-5 if dtype == "float32" else 1e-10
    rng = np.random.default_rng(0)
    x = random_array(rng, x_shape, dtype)
    w = random_array(rng, w_shape, dtype)
    b = random_array(rng, w_shape[:1], dtype)
    ref = reference(x, w, b, lambda shape: random_array(rng, shape, dtype), device="cuda", **layer)
    gy = ref.grad_output
    assert_matches(conv2d(x, w, b, **layer, backend="cuda"), ref.output, tol)
    assert_matches(conv2d_input(x.shape, w, gy, **layer, backend="cuda"), ref.grad_input, tol)
    assert_matches(conv2d_weight(x, w.shape, gy, **layer, backend="cuda"), ref.grad_weight, tol)

    spec = LayerSpec.from_arrays(x.shape, w.shape, bias=True, dtype=dtype, **layer)
    got = compute(spec, x, w, b, gy, backend="cuda")
    assert_matches(got.output, ref.output, tol)
    assert_matches(got.grad_input, ref.grad_input, tol)
    assert_matches(got.grad_weight, ref.grad_weight, tol)
    assert_matches(got.grad_bias, ref.grad_bias, tol)


@settings(max_examples=300)
@given(case=valid_cases(dtypes=("float64", "complex128", "float32")))
def test_cuda_backend_matches_torch_over_random_layers(case: Case) -> None:
    """The property suite's random layers, with torch's reference on the GPU as well."""
    rng, x, w, b = case.tensors()
    tol = 1e-5 if case.dtype == "float32" else 1e-10
    ref = reference(
        x, w, b, lambda shape: random_array(rng, shape, case.dtype), device="cuda", **case.layer
    )
    got = compute(case.spec(), x, w, b, ref.grad_output, backend="cuda")
    assert_matches(got.output, ref.output, tol)
    assert_matches(got.grad_input, ref.grad_input, tol)
    assert_matches(got.grad_weight, ref.grad_weight, tol)
    if b is not None:
        assert_matches(got.grad_bias, ref.grad_bias, tol)
