"""What each of the eight tensors is called and how its complex values are viewed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TensorInfo:
    title: str
    symbol: str
    axes: tuple[str, ...]  # names of the leading (non-spatial) axes, batched form
    editable: bool


TENSORS: dict[str, TensorInfo] = {
    "input": TensorInfo("input x", "x", ("n", "c"), True),
    "weight": TensorInfo("weight W", "W", ("o", "c"), True),
    "bias": TensorInfo("bias b", "b", (), True),
    "output": TensorInfo("output y = x ⊛ W + b", "y", ("n", "o"), False),
    "grad_output": TensorInfo("grad_output ∂L/∂y", "gy", ("n", "o"), True),
    "grad_input": TensorInfo("grad_input ∂L/∂x", "gx", ("n", "c"), False),
    "grad_weight": TensorInfo("grad_weight ∂L/∂W", "gW", ("o", "c"), False),
    "grad_bias": TensorInfo("grad_bias ∂L/∂b", "gb", (), False),
}
COMPLEX_VIEWS = ("real", "imag", "abs", "phase")


def to_view(a: np.ndarray, mode: str) -> np.ndarray:
    """The real numbers a complex tensor shows in view ``mode`` (real tensors: themselves)."""
    if not np.iscomplexobj(a):
        return a
    return {"real": np.real, "imag": np.imag, "abs": np.abs, "phase": np.angle}[mode](a)
