"""The im2col view's N-d arithmetic of positions, none of the values: flat row/column indices
over d spatial axes, images (C, *spatial) as drawn, the cells a sum marks on them, labels
for what a row or column indexes, and the caption of a layer with 1 or 3 axes. Shared by
`gui.im2col_layout` (convolution) and `gui.im2col_transposed`."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.spec import LayerSpec


@dataclass(frozen=True, eq=False)
class Marks:
    """What to mark on one shown array: cells (rows, cols) read and current, whole bands.

    For the images drawn a channel at a time (`image`: 2D and 3D layers) the cells are
    (channel, row, col), ``channel`` the one to show.
    """

    read: np.ndarray
    current: np.ndarray
    rows: tuple[int, ...] = ()
    cols: tuple[int, ...] = ()
    channel: int | None = None


def pairs(*columns: np.ndarray) -> np.ndarray:
    """Index columns as (T, len(columns)) cells: what `Marks` holds."""
    return np.stack(columns, axis=1).astype(np.int64) if columns[0].size else \
        np.zeros((0, len(columns)), np.int64)


def nd_caption(spec: LayerSpec, what: str, positions: tuple[int, ...], per_group: int,
               channels: str) -> str:
    """The caption of a layer with 1 or 3 spatial axes: L and K with their factors, and how
    rows and columns are labelled (conv: ``channels`` 'C/G'; transposed: 'O/G')."""
    up, low = [a.upper() for a in LETTERS[spec.dims]], LETTERS[spec.dims]
    taps = per_group * math.prod(spec.kernel_size)
    return (
        (f"L = {positions[0]} {what} (rows: l)" if spec.dims == 1 else
         f"L = {'·'.join(up)} = {'·'.join(map(str, positions))} = {math.prod(positions)} "
         f"{what} (rows labelled {','.join(low)})")
        + f";  K = {channels}·"
        f"{'·'.join('k' + a for a in low)} = {per_group}·"
        f"{'·'.join(map(str, spec.kernel_size))} = {taps} taps per group (columns labelled "
        f"{channels[0].lower()};{','.join('k' + a for a in low)});  G = {spec.groups}"
        + (";  images: each depth slice below the one before (rows labelled d,h)"
           if spec.dims == 3 else ";  images: a row per channel")
    )


#: The spatial axes' letters per number of axes (as `core.spec_args.AXES` begins them).
LETTERS = {1: ("l",), 2: ("h", "w"), 3: ("d", "h", "w")}


def flat(positions: np.ndarray | tuple, size: tuple[int, ...]) -> np.ndarray:
    """Row-major flat index of (d, T) positions (or a d-tuple) in an array of ``size``."""
    out = np.zeros_like(np.asarray(positions[0], dtype=np.int64))
    for p, n in zip(positions, size, strict=True):
        out = out * n + np.asarray(p, dtype=np.int64)
    return out


def image(a: np.ndarray, dims: int) -> np.ndarray:
    """(C, *spatial) as the view draws it: 1D (C × L) whole, 2D (C, H, W) one channel at a
    time, 3D (C, D·H, W): each channel's depth slices one below the other."""
    if dims == 3:
        c, d, h, w = a.shape
        return a.reshape(c, d * h, w)
    return a


def image_mark(mark: Callable[..., Marks], channel: np.ndarray, spatial: np.ndarray,
               size: tuple[int, ...], shown: int | None) -> Marks:
    """`Marks` of image cells (``channel`` (T,), ``spatial`` (d, T) in an image of spatial
    ``size``) as `image` draws them; ``shown``: the channel to show (1D: its row banded)."""
    if len(size) == 1:
        return mark(pairs(channel, spatial[0]), rows=() if shown is None else (shown,))
    rows = spatial[-2] if len(size) == 2 else spatial[0] * size[1] + spatial[1]
    return mark(pairs(channel, rows, spatial[-1]), channel=shown)


#: The most entries of col2im's padded grid a 1D or 3D layer's page draws (whole: there is
#: no cut frame as for 2D); as many as the largest matrix the view draws.
PADDED_MAX_ENTRIES = 2**23


def padded_fits(spec: LayerSpec) -> bool:
    """Whether col2im's padded grid (d ≠ 2: drawn whole) is small enough to build and draw
    (`PADDED_MAX_ENTRIES`): a huge padding makes it huge, whatever the output."""
    return spec.in_channels * math.prod(spec.padded_size) <= PADDED_MAX_ENTRIES


def axis_labels(spec: LayerSpec, kind: str, per_group: int, size: tuple[int, ...] = ()
                ) -> Callable[[int], str] | None:
    """What row/column ``i`` of a matrix indexes, as a label, for a layer with 1 or 3 axes
    (2D keeps plain numbers): "L" a flat position among ``size``, "K" a tap column
    (channel;kernel position, the channel absolute: group·``per_group`` + its own),
    "image" an image row of `image` (3D: depth,height). None: plain numbers."""
    if spec.dims == 2 or kind not in ("L", "K", "image"):
        return None
    if kind == "image":
        if spec.dims == 1:
            return None
        h = size[1]
        return lambda i: f"{i // h},{i % h}"
    if kind == "L":
        return None if len(size) == 1 else lambda i: _position(i, size)
    kernel = spec.kernel_size
    taps = math.prod(kernel)

    def tap(i: int) -> str:
        g, k = divmod(i, per_group * taps)
        channel, t = divmod(k, taps)
        return f"{g * per_group + channel};{_position(t, kernel)}"

    return tap


def _position(i: int, size: tuple[int, ...]) -> str:
    """Flat index ``i`` as its position "d,h,w" in an array of ``size`` ('' past its end: an
    axis may be asked for a tick beyond the matrix)."""
    if not 0 <= i < math.prod(size):
        return ""
    out = []
    for n in reversed(size):
        i, r = divmod(i, n)
        out.append(r)
    return ",".join(map(str, reversed(out)))




def slice_rows(spec: LayerSpec, sizes: dict[str, tuple[int, ...]]) -> dict[str, int]:
    """Rows per depth slice of each image drawn stacked (3D: its height), by name, from
    each image's spatial ``sizes``; none for 1D and 2D."""
    return {name: size[1] for name, size in sizes.items()} if spec.dims == 3 else {}
