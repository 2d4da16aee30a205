"""The part of the padded input the input grid draws: all of it, or the real pixels and a
few border cells on each side, plus one marker cell standing for the padding not drawn.

A padding of 10⁶ makes a padded plane of 10¹² cells; the grid cannot draw that, and a
student needs only the border next to the image to see what the mode copies there. So an
axis whose padding on a side exceeds `FULL` keeps the `KEEP` cells next to the real pixels
and draws one *marker* cell outside them for the rest. Cells and reads are given in padded
coordinates (`core.explain`'s ``ph``, ``pw``); `AxisFrame.drawn` maps them onto the drawn
cells, a read in the undrawn padding onto its side's marker, so nothing read is dropped.
Values come through `core.explain_links.source` at the drawn positions only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.padding import source_index
from core.spec import LayerSpec

from .widgets.plane_axes import plane_pads, plane_size

#: A side with at most this much padding is drawn whole.
FULL = 8
#: Border cells drawn next to the real pixels on a side whose padding is cut.
KEEP = 2


@dataclass(frozen=True)
class AxisFrame:
    """One axis: ``size`` real pixels, ``before``/``after`` padding (≥ 0 here), what is drawn."""

    size: int
    before: int
    after: int

    @property
    def keep_before(self) -> int:
        return self.before if self.before <= FULL else KEEP

    @property
    def keep_after(self) -> int:
        return self.after if self.after <= FULL else KEEP

    @property
    def cut_before(self) -> int:
        """Padding cells before the real pixels that are not drawn (0: none)."""
        return self.before - self.keep_before

    @property
    def cut_after(self) -> int:
        return self.after - self.keep_after

    @property
    def offset(self) -> int:
        """Drawn index of real pixel 0."""
        return self.keep_before + (self.cut_before > 0)

    @property
    def length(self) -> int:
        """Drawn cells along the axis (markers included)."""
        return self.offset + self.size + self.keep_after + (self.cut_after > 0)

    def drawn(self, padded: np.ndarray) -> np.ndarray:
        """Drawn index of padded positions; those not drawn land on their side's marker."""
        p = np.asarray(padded, dtype=np.int64)
        first = self.before - self.keep_before  # first drawn padded position
        last = self.before + self.size + self.keep_after  # one past the last one
        d = p - first + (self.cut_before > 0)
        d = np.where(p < first, 0, d)
        return np.where(p >= last, self.length - 1, d)

    def padded(self, drawn: np.ndarray) -> np.ndarray:
        """Padded position of drawn cells; -1 for a marker."""
        d = np.asarray(drawn, dtype=np.int64)
        p = d - (self.cut_before > 0) + self.before - self.keep_before
        last = self.length - 1
        marker = ((d == 0) & (self.cut_before > 0)) | ((d == last) & (self.cut_after > 0))
        return np.where(marker, -1, p)

    def markers(self) -> list[int]:
        """Drawn indices of the marker cells."""
        out = [0] if self.cut_before else []
        return out + ([self.length - 1] if self.cut_after else [])


@dataclass(frozen=True)
class Frame:
    """The drawn part of a spec's padded input (see the module docstring)."""

    spec: LayerSpec
    rows: AxisFrame
    cols: AxisFrame

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows.length, self.cols.length

    @property
    def offset(self) -> tuple[int, int]:
        return self.rows.offset, self.cols.offset

    @property
    def cut(self) -> bool:
        """Whether some padding is not drawn."""
        return bool(self.rows.markers() or self.cols.markers())

    @property
    def pads(self) -> tuple[int, int, int, int]:
        """The drawn border widths (top, bottom, left, right), markers included."""
        r, c = self.rows, self.cols
        return (r.offset, r.length - r.offset - r.size, c.offset, c.length - c.offset - c.size)

    def to_drawn(self, cells: np.ndarray) -> np.ndarray:
        """(k, 2) padded (row, col) → drawn (row, col)."""
        cells = np.asarray(cells, dtype=np.int64).reshape(-1, 2)
        return np.stack([self.rows.drawn(cells[:, 0]), self.cols.drawn(cells[:, 1])], axis=1)

    def to_padded(self, r: int, c: int) -> tuple[int, int] | None:
        """Padded (row, col) of drawn cell (r, c); None for a marker cell."""
        pr, pc = int(self.rows.padded(r)), int(self.cols.padded(c))
        return None if pr < 0 or pc < 0 else (pr, pc)

    def _source(self, axis: AxisFrame, padded: np.ndarray) -> np.ndarray:
        """The real position each padded position along ``axis`` copies (-1: zero padding)."""
        return source_index(padded, axis.size, axis.before, self.spec.padding_mode)

    def source(self, pr: int, pc: int) -> tuple[int, int] | None:
        """The real pixel padded cell (pr, pc) copies; None for zero padding."""
        sr = int(self._source(self.rows, np.array(pr)))
        sc = int(self._source(self.cols, np.array(pc)))
        return None if sr < 0 or sc < 0 else (sr, sc)

    def plane(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The drawn cells of 2D ``image`` padded, and a mask of the marker cells (drawn as
        zeros: they stand for many cells, with no one value)."""
        pr = self.rows.padded(np.arange(self.rows.length))
        pc = self.cols.padded(np.arange(self.cols.length))
        sr, sc = self._source(self.rows, pr), self._source(self.cols, pc)
        marker = (pr < 0)[:, None] | (pc < 0)[None, :]
        zero = (sr < 0)[:, None] | (sc < 0)[None, :] | marker
        out = image[np.ix_(np.maximum(sr, 0), np.maximum(sc, 0))]
        out = np.where(zero, np.zeros((), image.dtype), out)
        return out, marker

    def note(self) -> str:
        """'padding 1000000: 2 of 1000000 rows and columns shown each side (▦: the rest)'
        ('' when all is drawn)."""
        sides = [(a.before, a.keep_before, name, "before") for a, name in
                 ((self.rows, "rows"), (self.cols, "columns"))]
        sides += [(a.after, a.keep_after, name, "after") for a, name in
                  ((self.rows, "rows"), (self.cols, "columns"))]
        cut = [s for s in sides if s[0] > s[1]]
        if not cut:
            return ""
        if len(cut) == 4 and len({s[:2] for s in cut}) == 1:
            pad, keep = cut[0][:2]
            return (f"padding {pad}: {keep} of {pad} rows and columns shown on each side "
                    "(▦ stands for the rest)")
        parts = [f"{keep} of {pad} {name} {side}" for pad, keep, name, side in cut]
        return "padding not all drawn: " + ", ".join(parts) + " shown (▦ stands for the rest)"

    def describe_marker(self, r: int, c: int) -> str:
        """What a marker cell stands for, in padded coordinates."""
        parts = []
        for axis, d, name in ((self.rows, r, "rows"), (self.cols, c, "columns")):
            if d in axis.markers():
                if d == 0 and axis.cut_before:
                    lo, hi = 0, axis.cut_before - 1
                else:
                    lo = axis.before + axis.size + axis.keep_after
                    hi = axis.before + axis.size + axis.after - 1
                parts.append(f"padded {name} {lo}–{hi} ({hi - lo + 1} not drawn)")
        return "; ".join(parts)


def padded_grid(spec: LayerSpec | None, name: str) -> bool:
    """Whether grid ``name`` is drawn padded: a Conv2d's input. A transposed layer's
    padding crops its output instead (`LayerSpec.padded_tensor`), and its input is drawn as
    it is."""
    return name == "input" and spec is not None and not spec.transposed


def frame(spec: LayerSpec | None) -> Frame | None:
    """The cut frame of ``spec``'s padded input; None where the grid draws all of it (no
    side padded beyond `FULL`, or a negative padding, which crops)."""
    if spec is None or min(spec.pads) < 0 or max(plane_pads(spec)) <= FULL:
        return None
    top, bottom, left, right = plane_pads(spec)
    h, w = plane_size(spec)
    return Frame(spec, AxisFrame(h, top, bottom), AxisFrame(w, left, right))
