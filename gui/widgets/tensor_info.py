"""How a tensor's complex values are viewed (what each tensor is called: `core.tensors`)."""

from __future__ import annotations

import numpy as np

COMPLEX_VIEWS = ("real", "imag", "abs", "phase")


def to_view(a: np.ndarray, mode: str) -> np.ndarray:
    """The real numbers a complex tensor shows in view ``mode`` (real tensors: themselves)."""
    if not np.iscomplexobj(a):
        return a
    return {"real": np.real, "imag": np.imag, "abs": np.abs, "phase": np.angle}[mode](a)
