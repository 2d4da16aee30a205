"""The numpy backend: the pipeline's primitive steps on numpy arrays (`Backend`).

One backend object serves one pipeline run. It keeps the run's scratch arrays — the padded
chunk, the im2col matrix (reused for its gradient), the padded gradient — and hands the
same memory to every chunk of the batch, so a run allocates each of them once. (The wide
layout's steps are the fast path's: `core.backends.numpy_fast.WideBackend`.)
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .. import im2col, padding


class NumpyBackend:
    name = "numpy"

    def __init__(self) -> None:
        self._scratch: dict[str, np.ndarray] = {}

    def asarray(self, a: np.ndarray) -> np.ndarray:
        return a

    def to_numpy(self, a: np.ndarray) -> np.ndarray:
        return a

    def contiguous(self, a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a)

    def zeros(self, shape: tuple[int, ...], like: np.ndarray) -> np.ndarray:
        return np.zeros(shape, dtype=like.dtype)

    def empty(self, shape: tuple[int, ...], like: np.ndarray) -> np.ndarray:
        return np.empty(shape, dtype=like.dtype)

    def scratch(
        self, name: str, shape: tuple[int, ...], like: np.ndarray, zeroed: bool = False
    ) -> np.ndarray:
        """A contiguous array of ``shape`` in the run's buffer ``name``, reused across chunks.

        ``zeroed`` buffers are zero-filled when first made; callers keep the cells they do
        not write at zero (the border of a zero-padded chunk).
        """
        size = math.prod(shape)
        buf = self._scratch.get(name)
        if buf is None or buf.size < size or buf.dtype != like.dtype:
            buf = (np.zeros if zeroed else np.empty)(size, dtype=like.dtype)
            self._scratch[name] = buf
        return buf[:size].reshape(shape)

    def matmul(self, a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return np.matmul(a, b, out=out)

    def pad(self, x: np.ndarray, spec) -> np.ndarray:
        if not any(spec.pads):
            return x
        if spec.padding_mode != "zeros":
            return padding.pad(x, spec.pads, spec.padding_mode)
        # The border of a zeroed buffer stays zero: only the interior is written, per chunk.
        # (A chunk is always a prefix of the buffer's leading axis, so borders line up.)
        xp = self.scratch("padded", (*x.shape[:-spec.dims], *spec.padded_size), x, zeroed=True)
        xp[_interior(spec.pads, spec.input_size)] = x
        return xp

    def pad_adjoint(self, g: np.ndarray, spec, out: np.ndarray) -> np.ndarray:
        if spec.padding_mode == "zeros" or not any(spec.pads):
            np.copyto(out, g[_interior(spec.pads, spec.input_size)])
        else:
            out[...] = padding.pad_adjoint(g, spec.pads, spec.padding_mode)
        return out

    def unfold(self, xp: np.ndarray, spec) -> np.ndarray:
        n, c = xp.shape[:2]
        taps, positions = math.prod(spec.kernel_size), math.prod(spec.output_size)
        if taps == 1 and max(spec.stride) == 1 and xp.flags.c_contiguous:
            return xp.reshape(n, c, positions)  # a 1×1 kernel's im2col matrix is the input
        cols = self.scratch("cols", (n, c * taps, positions), xp)
        return im2col.unfold_into(xp, spec.kernel_size, spec.stride, spec.dilation, cols)

    def fold(self, cols: np.ndarray, spec) -> np.ndarray:
        n = cols.shape[0]
        out = self.scratch("grad_padded", (n, spec.in_channels, *spec.padded_size), cols)
        return im2col.fold_into(cols, spec.kernel_size, spec.stride, spec.dilation, out)


@lru_cache(maxsize=256)
def _interior(pads: tuple[int, ...], size: tuple[int, ...]) -> tuple:
    """Where an input of ``size`` sits in its padded buffer (pads >= 0): an index made
    once per layer (it is asked for per chunk)."""
    return (..., *(slice(before, before + n) for before, n in zip(pads[::2], size, strict=True)))
