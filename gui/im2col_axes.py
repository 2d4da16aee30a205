"""The im2col view's N-d arithmetic of positions, none of the values: flat row/column indices
over d spatial axes, images (C, *spatial) as drawn, the cells a sum marks on them, labels
for what a row or column indexes, the caption of a layer with 1 or 3 axes, and what a page
set's images make of its titles, labels and depth slices (`Images`). Shared by
`gui.im2col_layout` (convolution) and `gui.im2col_transposed`."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

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


def glue(formula: str) -> str:
    """``formula`` ("K = O/G·kd·kh·kw = 1·2·2·2 = 8") unbreakable: no-break spaces, a word
    joiner after each "/": a caption wraps between its clauses' words, never inside a
    formula (it broke "K = O/ | G·kd·kh·kw" at 1280×800, review r12 F11)."""
    return formula.replace(" ", "\u00a0").replace("/", "/\u2060")


def nd_caption(spec: LayerSpec, what: str, positions: tuple[int, ...], per_group: int,
               channels: str) -> str:
    """The caption of a layer with 1 or 3 spatial axes: L and K with their factors, and how
    rows and columns are labelled (conv: ``channels`` 'C/G'; transposed: 'O/G'); 1D: the
    lengths the images' titles name apart from L (L_in, L_out: a transposed layer's L is
    its input positions, a conv's its output ones). Each formula is `glue`d."""
    up, low = [a.upper() for a in LETTERS[spec.dims]], LETTERS[spec.dims]
    taps = per_group * math.prod(spec.kernel_size)
    rows = (f"{glue(f'L = {positions[0]}')} {what} (rows: l)" if spec.dims == 1 else
            glue(f"L = {'·'.join(up)} = {'·'.join(map(str, positions))} = "
                 f"{math.prod(positions)}") + f" {what} (rows labelled {','.join(low)})")
    k = glue(f"K = {channels}·{'·'.join('k' + a for a in low)} = {per_group}·"
             f"{'·'.join(map(str, spec.kernel_size))} = {taps}")
    images = ("images: each depth slice below the one before (rows labelled d,h)"
              if spec.dims == 3 else
              f"images: a row per channel, {glue(f'L_in = {spec.input_size[0]}')} and "
              f"{glue(f'L_out = {spec.output_size[0]}')} long")
    return (f"{rows};  {k} taps per group (columns labelled "
            f"{channels[0].lower()};{','.join('k' + a for a in low)});  "
            f"{glue(f'G = {spec.groups}')};  {images}")


#: The spatial axes' letters per number of axes (as `core.spec_args.AXES` begins them).
LETTERS = {1: ("l",), 2: ("h", "w"), 3: ("d", "h", "w")}


def flat(positions: np.ndarray | tuple, size: tuple[int, ...]) -> np.ndarray:
    """Row-major flat index of (d, T) positions (or a d-tuple) in an array of ``size``."""
    out = np.zeros_like(np.asarray(positions[0], dtype=np.int64))
    for p, n in zip(positions, size, strict=True):
        out = out * n + np.asarray(p, dtype=np.int64)
    return out


def image(a: np.ndarray, dims: int) -> np.ndarray:
    """(C, *spatial) as the view draws it: 1D (C × its length) whole, 2D (C, H, W) one channel at a
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


@dataclass(frozen=True)
class SliceRows:
    """The row labels "d,h" of an image drawn with its depth slices stacked (`image`),
    ``period`` rows to a slice. An axis that reads ``period`` puts its ticks at the slices'
    first rows ("0,0 1,0 2,0"): every fifth row of 4-row slices read "0,0 1,1 2,2 3,3", a
    diagonal d = h (review r12 F11)."""

    period: int

    def __call__(self, i: int) -> str:
        return f"{i // self.period},{i % self.period}"


def axis_labels(spec: LayerSpec, kind: str, per_group: int, size: tuple[int, ...] = ()
                ) -> Callable[[int], str] | None:
    """What row/column ``i`` of a matrix indexes, as a label, for a layer with 1 or 3 axes
    (2D keeps plain numbers): "L" a flat position among ``size``, "K" a tap column
    (channel;kernel position, the channel absolute: group·``per_group`` + its own),
    "image" an image row of `image` (3D: depth,height). None: plain numbers."""
    if spec.dims == 2 or kind not in ("L", "K", "image"):
        return None
    if kind == "image":
        return None if spec.dims == 1 else SliceRows(size[1])
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


def slice_rows(spec: LayerSpec, sizes: Mapping[str, tuple[int, ...]]) -> dict[str, int]:
    """Rows per depth slice of each image drawn stacked (3D: its height), by name, from
    each image's spatial ``sizes``; none for 1D and 2D."""
    return {name: size[1] for name, size in sizes.items()} if spec.dims == 3 else {}


#: Where an image's title names the channel drawn: "channel o", "channel c".
_CHANNEL = re.compile(r"channel ([oc])\b")

#: What a 3D layer's image adds to its 2D title: each channel's depth slices stacked.
STACKED = "  (D·H × W)"


@dataclass(frozen=True, eq=False)
class Images:
    """The images among a page set's matrices, and what the view's titles, row and column
    labels and depth slices follow from (`titles`, `labels`, `slices`: a page module's).

    Attributes
    ----------
    sizes : callable, spec -> {name: spatial size}
        Each image's spatial size (its `LETTERS` axes).
    positions : callable, spec -> tuple of int
        The spatial size an "L" row or column numbers.
    per_group : callable, spec -> int
        The channels per group of a "K" column.
    flat_titles : mapping
        Every matrix's title for a 2D layer; a 3D layer's image adds `STACKED`.
    line_titles : mapping
        The images' titles for a 1D layer (all channels at once).
    kinds : mapping
        What each matrix's rows and columns index (`axis_labels`' kinds).
    stacked_titles : mapping
        3D titles that are not the 2D one with `STACKED`.
    """

    sizes: Callable[[LayerSpec], dict[str, tuple[int, ...]]]
    positions: Callable[[LayerSpec], tuple[int, ...]]
    per_group: Callable[[LayerSpec], int]
    flat_titles: Mapping[str, str]
    line_titles: Mapping[str, str]
    kinds: Mapping[str, tuple[str, str]]
    stacked_titles: Mapping[str, str] = field(default_factory=dict)

    def titles(self, spec: LayerSpec, channels: Mapping[str, int] | None = None
               ) -> dict[str, str]:
        """Each matrix's title for ``spec`` (the images' per number of axes); an image
        drawn a channel at a time names the one in ``channels`` (by matrix name): "output,
        channel o = 1" (review r12 F14: nothing on the tab said which o or c was drawn)."""
        if spec.dims == 1:
            return {**self.flat_titles, **self.line_titles}
        if spec.dims == 3:
            stacked = {name: self.flat_titles[name] + STACKED for name in self.sizes(spec)}
            out = {**self.flat_titles, **stacked, **self.stacked_titles}
        else:
            out = dict(self.flat_titles)
        for name, channel in (channels or {}).items():
            out[name] = _CHANNEL.sub(rf"channel \1 = {channel}", out[name], count=1)
        return out

    def slices(self, spec: LayerSpec) -> dict[str, int]:
        """Rows per depth slice of the images a 3D layer stacks (`slice_rows`)."""
        return slice_rows(spec, self.sizes(spec))

    def labels(self, spec: LayerSpec) -> dict[str, tuple]:
        """Each matrix's (row, column) labellers (`axis_labels`; None: plain numbers)."""
        images, positions, per_group = self.sizes(spec), self.positions(spec), \
            self.per_group(spec)
        sizes = {"L": positions, "K": (), "": ()}
        return {name: tuple(axis_labels(spec, k, per_group,
                                        images[name] if k == "image" else sizes[k])
                            for k in kinds)
                for name, kinds in self.kinds.items()}
