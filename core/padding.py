"""Padding of the last d axes (1 to 3), its adjoint, and the map from padded cells to pixels.

The padding map is what ties a border cell to the pixel it copies: ``zeros`` cells copy
nothing (-1), ``reflect`` mirrors without repeating the edge, ``replicate`` repeats the
edge, ``circular`` wraps around. The adjoint of padding sums a padded gradient back onto
the pixels each border cell was copied from — that is how autograd folds it.
"""

from __future__ import annotations

import numpy as np

from .spec import SpecError

# numpy's np.pad names for torch's padding modes
_NUMPY_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """Source index of every padded position along one axis.

    Returns
    -------
    ndarray of int, shape (before + size + after,)
        ``index[p]`` is the real position that padded position ``p`` copies, or -1 where
        ``mode`` is ``'zeros'`` and ``p`` lies in the border.
    """
    return source_index(np.arange(before + size + after), size, before, mode)


def source_index(padded: np.ndarray | int, size: int, before: int, mode: str) -> np.ndarray:
    """`pad_index` at the given padded positions only, without building the whole axis.

    ``padded`` holds positions of an axis of ``size`` pixels padded by ``before`` in front
    (a negative ``before`` crops). The cost is that of ``padded``, however wide the padding:
    what lets a layer whose windows skip most of a huge padding touch only what they read.
    """
    p = np.asarray(padded, dtype=np.int64) - before
    if mode == "zeros":
        return np.where((p >= 0) & (p < size), p, -1)
    if mode == "replicate":
        return np.clip(p, 0, size - 1)
    if mode == "circular":
        return p % size
    if mode == "reflect":
        if size == 1:
            return np.zeros_like(p)
        period = 2 * (size - 1)
        q = np.abs(p) % period
        return np.where(q < size, q, period - q)
    raise SpecError(f"padding_mode must be zeros, reflect, replicate or circular, got {mode!r}",
                    ("padding_mode",))


def pad(x: np.ndarray, pads: tuple[int, ...], mode: str) -> np.ndarray:
    """Pad the last d axes of ``x`` by ``pads = (before0, after0, ..., before_d-1, after_d-1)``
    (d = len(pads) // 2; for two axes (top, bottom, left, right)).

    Negative widths crop, as in torch's ``F.pad`` (an axis is cropped on both sides or
    padded on both sides). Returns ``x`` itself (no copy) when there is nothing to pad.
    """
    if min(pads) < 0:
        crop, grow = _crop_and_grow(pads)
        return pad(x[_inner(x.shape, crop)], grow, mode)
    if not any(pads):
        return x
    dims = len(pads) // 2
    widths = [(0, 0)] * (x.ndim - dims) + list(zip(pads[::2], pads[1::2], strict=True))
    return np.pad(x, widths, mode=_NUMPY_MODE[mode])


def pad_adjoint(grad_padded: np.ndarray, pads: tuple[int, ...], mode: str) -> np.ndarray:
    """Fold a gradient w.r.t. the padded input back onto the input (the adjoint of `pad`).

    Under ``zeros`` the border is dropped; otherwise each border cell's gradient is added
    to the pixel it was copied from (``replicate`` piles onto the edge, ``reflect`` onto
    the mirrored pixel, ``circular`` onto the opposite side). Cropped pixels (negative
    widths) get no gradient.
    """
    if min(pads) < 0:
        crop, grow = _crop_and_grow(pads)
        return pad(pad_adjoint(grad_padded, grow, mode), crop, "zeros")
    core = grad_padded[_inner(grad_padded.shape, pads)]
    if mode == "zeros" or not any(pads):
        return np.array(core, copy=True)
    dims = len(pads) // 2
    out = grad_padded
    for axis, before, after in zip(range(-dims, 0), pads[::2], pads[1::2], strict=True):
        if before or after:  # (an axis without padding has nothing to fold: no copy)
            size = grad_padded.shape[axis] - before - after
            out = _fold_axis(out, axis, size, before, after, mode)
    return out


def _inner(shape: tuple[int, ...], pads: tuple[int, ...]) -> tuple:
    """The index of what lies inside widths ``pads`` (>= 0) of the last d axes of ``shape``."""
    dims = len(pads) // 2
    return (..., *(
        slice(before, n - after)
        for n, before, after in zip(shape[-dims:], pads[::2], pads[1::2], strict=True)
    ))


def _crop_and_grow(pads: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Split widths into what is cropped (negative ones) and what is padded (positive ones)."""
    for before, after in zip(pads[::2], pads[1::2], strict=True):
        if before * after < 0:
            # F.pad's modes disagree on what that means; a convolution never asks for it.
            raise SpecError(f"pads {pads} crop one side of an axis and pad the other",
                            ("pads",), pads=pads)
    return tuple(max(-p, 0) for p in pads), tuple(max(p, 0) for p in pads)


def _fold_axis(g: np.ndarray, axis: int, size: int, before: int, after: int, mode: str):
    index = pad_index(size, before, after, mode)
    out = np.array(np.take(g, np.arange(before, before + size), axis=axis), copy=True)
    border = np.r_[0:before, before + size : before + size + after]
    if border.size:
        # Several border cells can land on one pixel (replicate): add.at sums repeats.
        moved = np.moveaxis(out, axis, 0)
        np.add.at(moved, index[border], np.moveaxis(np.take(g, border, axis=axis), axis, 0))
    return out
