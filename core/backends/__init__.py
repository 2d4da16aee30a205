"""Array backends for the convolution pipeline.

A backend supplies the few operations that differ between libraries (conversion, padding,
unfold, fold, zeros: the `Backend` protocol); the pipeline in `core.pipeline` is written
once on top of them. The torch backends are imported only when asked for, so that
``import core`` stays free of torch.
"""

from __future__ import annotations

from typing import Any

from .protocol import Backend

__all__ = ["BACKENDS", "Backend", "cuda_available", "get_backend"]

BACKENDS = ("numpy", "torch", "cuda")


def get_backend(name: str) -> Backend[Any]:
    """The backend called ``name``: ``'numpy'``, ``'torch'`` (CPU) or ``'cuda'``."""
    if name == "numpy":
        return _numpy_backend()()
    if name in ("torch", "cuda"):
        from .torch_backend import TorchBackend

        return TorchBackend.for_device("cpu" if name == "torch" else "cuda")
    from ..spec import SpecError

    raise SpecError(f"backend must be one of {', '.join(BACKENDS)}, got {name!r}", ("backend",))


def cuda_available() -> bool:
    """Whether the 'cuda' backend can run (imports torch)."""
    import torch

    return bool(torch.cuda.is_available())


def _numpy_backend() -> Any:
    """The numpy backend's class (imported once: a backend is made per call)."""
    global _NUMPY
    if _NUMPY is None:
        from .numpy_backend import NumpyBackend

        _NUMPY = NumpyBackend
    return _NUMPY


_NUMPY: Any = None
