"""The truth the core tests compare against: ``torch.nn.Conv2d`` and autograd.

`reference` builds an ``nn.Conv2d`` holding the given weight and bias, runs it forward on a
copy of the input and back-propagates the given ``grad_output`` with autograd; everything
comes back as numpy arrays. Tensors are made with ``torch.tensor(a)`` (a copy), never
``from_numpy`` (which shares memory and warns on read-only arrays).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
import torch

# The tests' tensors are tiny: a second intra-op thread only adds hand-over cost, and on a
# machine whose cores are busy it spins (ten times slower in our measurements).
torch.set_num_threads(1)

TORCH_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
}


class Reference(NamedTuple):
    """What ``nn.Conv2d`` and autograd compute, as numpy arrays."""

    output: np.ndarray
    grad_output: np.ndarray
    grad_input: np.ndarray
    grad_weight: np.ndarray
    grad_bias: np.ndarray | None


@contextmanager
def quiet_torch() -> Iterator[None]:
    """Silence the two warnings torch emits for legal layers, and nothing else.

    ``padding='same'`` with an even kernel warns that a padded copy may be made, and an
    ``nn.Conv2d`` with a zero-sized weight warns that initialising it is a no-op.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Using padding='same' with even kernel", category=UserWarning
        )
        warnings.filterwarnings(
            "ignore", message="Initializing zero-element tensors is a no-op", category=UserWarning
        )
        yield


def torch_dtype(a: np.ndarray) -> torch.dtype:
    return TORCH_DTYPES[a.dtype.name]


def build_conv(
    weight: np.ndarray,
    bias: np.ndarray | None,
    *,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
    device: str = "cpu",
) -> torch.nn.Conv2d:
    """An ``nn.Conv2d`` whose weight and bias are copies of ``weight`` and ``bias``."""
    out_channels, per_group, kh, kw = weight.shape
    with quiet_torch():
        conv = torch.nn.Conv2d(
            per_group * groups,
            out_channels,
            (kh, kw),
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=bias is not None,
            padding_mode=padding_mode,
            device=device,
            dtype=torch_dtype(weight),
        )
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(weight))
        if bias is not None:
            conv.bias.copy_(torch.tensor(bias))
    return conv


def reference(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    grad_output: np.ndarray | Callable[[tuple[int, ...]], np.ndarray],
    *,
    device: str = "cpu",
    **layer: Any,
) -> Reference:
    """Forward and backward of ``nn.Conv2d(**layer)`` with the given tensors.

    ``grad_output`` is an array, or a function from the output's shape to one (for callers
    that do not know the shape before torch has computed it). ``layer`` takes ``stride``,
    ``padding``, ``dilation``, ``groups`` and ``padding_mode``.
    """
    conv = build_conv(weight, bias, device=device, **layer)
    xt = torch.tensor(x, device=device, requires_grad=True)
    with quiet_torch():
        y = conv(xt)
    gy = grad_output(tuple(y.shape)) if callable(grad_output) else grad_output
    y.backward(torch.tensor(gy, device=device))
    # An input that reaches nothing (an empty batch) leaves .grad as None in some versions.
    grad_input = np.zeros_like(x) if xt.grad is None else xt.grad.cpu().numpy()
    return Reference(
        output=y.detach().cpu().numpy(),
        grad_output=gy,
        grad_input=grad_input,
        grad_weight=conv.weight.grad.cpu().numpy(),
        grad_bias=None if bias is None else conv.bias.grad.cpu().numpy(),
    )


def random_array(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """Standard normal values of ``dtype``; complex ones have a random imaginary part too."""
    a = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def assert_matches(actual: np.ndarray, expected: np.ndarray, tol: float) -> None:
    """Same dtype, same shape and equal within ``tol`` relative to the largest magnitude."""
    assert isinstance(actual, np.ndarray), type(actual)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale)
