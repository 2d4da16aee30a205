"""SlicePlane: the 2D slice a `TensorGrid` draws, and where each drawn cell comes from.

The grid draws one plane of its tensor, ``array[lead]``; the input's plane carries its padded
border (all of it, or the part `gui.padded_frame.Frame` keeps of a huge padding). Cells are
given as (row, col) of the drawn image ("plane cells"); the real cells start at ``offset``.
This is the bookkeeping between those coordinates and the tensor's indices, and the text
the grid's readout shows for a cell. No Qt: a plane is a value, remade whenever the grid's
tensor, layer or slice changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.padding import pad, pad_index
from core.spec import LayerSpec

from ..padded_frame import Frame, frame, padded_grid
from ..selection import rc
from .grid_marks import Placement
from .plane_axes import depth_pads, padded_lead, plane_pads


@dataclass(frozen=True, eq=False)
class SlicePlane:
    """Tensor ``name``'s ``array`` (None: no bias) for layer ``spec``, slice ``lead``."""

    name: str
    array: np.ndarray | None
    spec: LayerSpec | None
    lead: tuple[int, ...]

    @property
    def padded(self) -> bool:
        """Whether the plane carries a padded border (a Conv2d's input; `padded_grid`)."""
        return padded_grid(self.spec, self.name)

    def frame(self) -> Frame | None:
        """The part of a huge padding the input grid draws (None: it draws it all)."""
        return frame(self.spec) if self.padded else None

    @property
    def offset(self) -> tuple[int, int]:
        """(top, left): padded border rows and columns drawn before the real cells."""
        cut = self.frame()
        if cut is not None:
            return cut.offset
        if self.padded:
            top, _, left, _ = plane_pads(self.spec)
            return (top, left)
        return (0, 0)

    def values(self) -> np.ndarray | None:
        """The drawn 2D image as stored (complex stays complex), padded for the input."""
        a = self.array
        if a is None or a.size == 0:
            return None
        if a.ndim == 1:
            return a[:, None]
        plane = a[self.lead]
        cut = self.frame()
        if cut is not None:
            return cut.plane(plane)[0]
        pads = self.pads
        if any(pads):
            plane = pad(plane, pads, self.spec.padding_mode)
        return plane

    @property
    def pads(self) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) padding of the drawn plane (all 0: none drawn)."""
        return plane_pads(self.spec) if self.padded else (0, 0, 0, 0)

    def shape(self) -> tuple[int, int] | None:
        """Rows and columns of the drawn image (None: nothing to draw)."""
        a = self.array
        if a is None or a.size == 0:
            return None
        if a.ndim == 1:
            return (a.shape[0], 1)
        if self.padded:
            cut = self.frame()
            if cut is not None:
                return cut.shape
            top, bottom, left, right = self.pads
            return (a.shape[-2] + top + bottom, a.shape[-1] + left + right)
        return a.shape[-2:]

    def placement(self) -> Placement:
        """Where the plane sits, for the grid's marks (`GridMarks`)."""
        ndim = 4 if self.array is None else self.array.ndim
        shifted = padded_lead(self.spec, self.name, self.lead) if self.padded else None
        return Placement(ndim, self.lead, self.offset, self.shape() or (0, 0), self.frame(),
                         shifted)

    def cursor(self, sel) -> tuple[tuple[int, int] | None, list[tuple[int, int]]]:
        """The plane cell of selection ``sel``'s current cell (None: not on this plane) and
        the plane cells of its block (none for a single cell)."""
        other = not sel.empty and len(sel.index) > 2 and sel.index[:-2] != self.lead
        if sel.empty or self.array is None or other:
            return None, []
        (top, left), (r, c) = self.offset, rc(sel.index)
        _, rows, cols = sel.block()
        block = []
        if sel.is_block():
            block = [(i + top, j + left) for i in range(rows.start, rows.stop)
                     for j in range(cols.start, cols.stop)]
        return (r + top, c + left), block

    def real_shape(self) -> tuple[int, int] | None:
        """Rows and columns of real (unpadded) cells in the slice."""
        a = self.array
        if a is None or a.size == 0:
            return None
        return (a.shape[0], 1) if a.ndim == 1 else a.shape[-2:]

    def full_index(self, r: int, c: int) -> tuple[int, ...]:
        """Full tensor index of real cell (r, c) of the slice."""
        return (r,) if self.array.ndim == 1 else (*self.lead, r, c)

    def real_index(self, r: int, c: int) -> tuple[int, ...] | None:
        """Full tensor index of plane cell (r, c), or None for a border cell."""
        shape = self.real_shape()
        if shape is None:
            return None
        top, left = self.offset
        rr, cc = r - top, c - left
        if not (0 <= rr < shape[0] and 0 <= cc < shape[1]):
            return None
        return self.full_index(rr, cc)

    def padded_cell(self, r: int, c: int) -> tuple[int, int] | None:
        """Padded coordinates of plane cell (r, c) (None: a marker of undrawn padding)."""
        cut = self.frame()
        return (r, c) if cut is None else cut.to_padded(r, c)

    def padded_position(self, r: int, c: int) -> tuple[int, ...] | None:
        """The padded input position (one coordinate per spatial axis, as
        `core.explain.Terms.through` takes it) of plane cell (r, c): a Conv1d's column, a
        Conv2d's (row, column), a Conv3d's (depth, row, column) with the shown depth; None
        for a marker of undrawn padding."""
        cell = self.padded_cell(r, c)
        if cell is None or self.spec is None:
            return None
        if self.spec.dims == 1:
            return (cell[1],)
        if self.spec.dims == 3:
            return (self.lead[-1] + depth_pads(self.spec)[0], *cell)
        return cell

    def copied_pixel(self, r: int, c: int) -> tuple[int, ...] | None:
        """Full index of the pixel that border cell (r, c) copies; None for a real cell, a
        zero-padding cell, or a plane without a padded border."""
        spec = self.spec
        if not self.padded or min(spec.pads) < 0:
            return None  # (a negative padding crops: no border is drawn)
        return self.border_source(r, c)

    def border_source(self, r: int, c: int) -> tuple[int, ...] | None:
        """The pixel border cell (r, c) of the input's plane copies (None: zero padding, a
        real cell, or no such cell)."""
        spec, plane = self.spec, self.shape()
        if spec is None or plane is None or not (0 <= r < plane[0] and 0 <= c < plane[1]):
            return None
        if self.real_index(r, c) is not None:
            return None
        cut = self.frame()
        if cut is not None:
            padded = cut.to_padded(r, c)
            src = None if padded is None else cut.source(*padded)
            return None if src is None else self.full_index(*src)
        (h, w), (top, bottom, left, right) = self.real_shape(), self.pads
        sr = pad_index(h, top, bottom, spec.padding_mode)[r]
        sc = pad_index(w, left, right, spec.padding_mode)[c]
        return None if sr < 0 or sc < 0 else self.full_index(int(sr), int(sc))

    def describe(self, r: int, c: int, symbol: str) -> str:
        """'x[0,1,3,4] = −0.53' for plane cell (r, c), the tensor written ``symbol`` (its index
        as the Sum panel writes it: no spaces, so that the value fits beside the selectors)."""
        a, shape = self.array, self.shape()
        if a is None or shape is None or not (0 <= r < shape[0] and 0 <= c < shape[1]):
            return ""
        idx = self.real_index(r, c)
        if idx is not None:
            return f"{symbol}[{','.join(map(str, idx))}] = {format_value(a[idx])}"
        where = f"border ({r}, {c})"  # short: the readout shares a row with the selectors
        cut = self.frame()
        if cut is not None:
            padded = cut.to_padded(r, c)
            if padded is None:
                return f"padding not drawn: {cut.describe_marker(r, c)}"
            where = f"border ({padded[0]}, {padded[1]})"
            r, c = padded
        if self.spec.dims == 1:  # a strip's (row, column) is (channel, padded step)
            where = f"step {c - self.pads[2]} of channel {r}".replace("-", "−")
        src = self.border_source(r, c)
        if src is None:
            return f"{where} = 0 (zero padding)"
        mode = self.spec.padding_mode
        return f"{where} copies x[{','.join(map(str, src))}] = {format_value(a[src])} ({mode})"


def same_data(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Whether ``a`` and ``b`` hold the same values (a grid given them again draws nothing)."""
    if a is None or b is None:
        return a is b
    return a is b or (a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b))


def format_value(v) -> str:
    """A value as the readout prints it (minus as U+2212)."""
    if np.iscomplexobj(v):
        v = complex(v)
        return f"{v.real:.4g}{v.imag:+.4g}j".replace("-", "−")
    return f"{float(v):.6g}".replace("-", "−")
