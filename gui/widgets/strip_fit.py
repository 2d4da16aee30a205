"""How a Conv1d strip fits its panel when its numbers do not fit across it.

A Conv1d tensor is drawn as channels × positions: a few rows, many columns. Square cells
across the whole strip are a hairline once the length passes a few dozen steps, and no
height makes a number narrower. So a strip whose numbers do not fit shows the part of it
they fit in — the columns around what the sum reads (`window`) — as cells as wide as their
numbers need, and a caption under the cells names the steps shown (`caption`); the rest is
a middle-drag away. No Qt: sizes in, a `StripFit` out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Fewer columns than this are no strip worth cropping (a 3-tap kernel): drawn whole.
MIN_SHOWN = 6
#: A cell may be this many times taller than wide when the panel has the height.
TALL = 1.25
#: Pixels under the cells for the caption (a 7.5 pt line and its gap).
CAPTION_PX = 16.0


@dataclass(frozen=True)
class StripFit:
    """Columns ``first`` .. ``first + count - 1`` of the plane on screen, cells ``aspect``
    (width over height), ``left`` cells of room before them for the row numbers and
    ``caption`` cells (in cell heights) under them."""

    first: int
    count: int
    aspect: float
    left: float
    caption: float


def strip_fit(shape: tuple[int, int], box: tuple[float, float], margin: float,
              need: tuple[float, float], labels_px: float = 0.0,
              span: tuple[int, int] | None = None, anchor: int | None = None,
              previous: int | None = None, finer: float | None = None) -> StripFit | None:
    """The crop of a strip of ``shape`` (rows, cols) in a ``box`` of (width, height) pixels
    whose numbers need cells of ``need`` (width, height) pixels, ``margin`` cells kept above
    and left for the row and column numbers (left: at least ``labels_px`` pixels, the row
    numbers' band); None when the whole strip prints (or no crop can print: too low a
    panel, too few columns). ``finer``: the cell width the values' most precise format
    needs (the Sum panel's digits), taken while it costs at most a quarter of the columns.
    ``span``, ``anchor``, ``previous``: see `window`."""
    rows, cols = shape
    (w, h), (need_w, need_h) = box, need
    if w <= 0 or h <= 0 or rows <= 0 or cols <= 0:
        return None
    if w / (cols + margin) >= need_w:
        return None  # the whole strip prints

    def columns(width: float) -> tuple[int, float]:
        left_px = max(margin * width, labels_px)
        return math.floor((w - left_px) / width), left_px

    count, left_px = columns(need_w)
    if count < MIN_SHOWN or count >= cols:
        return None
    if finer is not None and finer > need_w:
        fine = columns(finer)
        if fine[0] >= max(MIN_SHOWN, 0.75 * count):
            count, left_px = fine
    cell_w = (w - left_px) / count
    room = (h - CAPTION_PX) / (rows + margin)
    if room < need_h:
        return None  # too low for any number: cropping would hide steps for nothing
    cell_h = min(room, TALL * cell_w)
    first = window(cols, count, span, anchor, previous)
    return StripFit(first, count, cell_w / cell_h, left_px / cell_w, CAPTION_PX / cell_h)


def window(cols: int, count: int, span: tuple[int, int] | None, anchor: int | None,
           previous: int | None) -> int:
    """The first of ``count`` columns (of ``cols``) to show. ``span``: (lo, hi) columns the
    sum reads and writes; ``anchor``: the column that must be seen (the current term's, the
    selected cell's); ``previous``: the first column shown so far, kept while it still shows
    the span (or, when the span is wider than the window, the anchor): an animation step
    does not scroll the strip unless its cell would leave it."""
    last = cols - count

    def clamp(first: int) -> int:
        return max(0, min(first, last))

    def shows(lo: int, hi: int) -> bool:
        return previous is not None and previous <= lo and hi < previous + count

    if span is None:
        if anchor is None:
            return clamp(0 if previous is None else previous)
        span = (anchor, anchor)
    lo, hi = span
    if hi - lo + 1 <= count:
        if shows(lo, hi):
            return clamp(previous)
        return clamp((lo + hi + 1) // 2 - count // 2)
    mid = (lo + hi) // 2 if anchor is None else anchor
    if shows(mid, mid):
        return clamp(previous)
    return clamp(mid - count // 2)


def shown_columns(left: float, right: float, cols: int, tol: float = 0.05) -> tuple[int, int]:
    """(first, last) of the columns of a ``cols``-column plane wholly inside view x range
    ``left`` .. ``right`` (last < first: none)."""
    first = max(0, math.ceil(left - tol))
    last = min(cols - 1, math.floor(right + tol) - 1)
    return first, last


def caption(first: int, last: int, total: int, unit: str = "steps",
            border_hidden: bool = False) -> str:
    """'steps 20–40 of 64' for real columns ``first`` .. ``last`` of ``total`` shown; ''
    when all of them are (and, ``border_hidden``, the padded border's cells too)."""
    if first <= 0 and last >= total - 1:
        return f"all {total} {unit}; padding out of view" if border_hidden else ""
    if last < first:
        return f"no {unit} of {total} in view"
    one = unit[:-1] if unit.endswith("s") else unit
    shown = f"{one} {first}" if first == last else f"{unit} {first}–{last}"
    return f"{shown} of {total} (middle-drag to pan)"


def focus_span(columns: Sequence[Sequence[int]]) -> tuple[int, int] | None:
    """(lo, hi) over groups of column indices (None: all empty)."""
    lo = min((min(c) for c in columns if len(c)), default=None)
    hi = max((max(c) for c in columns if len(c)), default=None)
    return None if lo is None else (int(lo), int(hi))
