"""The numpy backend: the pipeline's primitive steps on numpy arrays."""

from __future__ import annotations

import numpy as np

from .. import im2col, padding


class NumpyBackend:
    name = "numpy"

    def asarray(self, a: np.ndarray) -> np.ndarray:
        return a

    def to_numpy(self, a: np.ndarray) -> np.ndarray:
        return a

    def zeros(self, shape: tuple[int, ...], like: np.ndarray) -> np.ndarray:
        return np.zeros(shape, dtype=like.dtype)

    def pad(self, x, spec):
        return padding.pad(x, spec.pads, spec.padding_mode)

    def pad_adjoint(self, g, spec):
        return padding.pad_adjoint(g, spec.pads, spec.padding_mode)

    def unfold(self, xp, spec):
        return im2col.unfold(xp, spec.kernel_size, spec.stride, spec.dilation)

    def fold(self, cols, spec):
        return im2col.fold(cols, spec.padded_size, spec.kernel_size, spec.stride, spec.dilation)
