"""Transient view state: the selected cell (or block of cells) and the hovered cell.

Kept out of the document and out of undo. A `Selection` is a small frozen value; the
`SelectionModel` holds the current one and says when it changes. Views draw it; they never
keep their own copy of what is selected beyond the last value they were given.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal

Index = tuple[int, ...]


@dataclass(frozen=True)
class Selection:
    """A cell of one tensor, optionally the corner of a block, optionally an animation step.

    Attributes
    ----------
    tensor : str or None
        'input', 'weight', 'bias', 'grad_output', 'output', 'grad_input', 'grad_weight',
        'grad_bias'; None when nothing is selected.
    index : tuple of int or None
        Full index of the current cell in that tensor, e.g. (n, c, h, w) for a batched input.
    anchor : tuple of int or None
        The other corner of a rectangular block in the same 2D slice (None: a single cell).
    step : int or None
        Animation step within the selected entry's sum (used by the explainer).
    padded : tuple of int or None
        For a hovered border cell of the input: its position in the padded input, one
        coordinate per spatial axis ((row, column) for a Conv2d, (position,) for a Conv1d,
        (depth, row, column) for a Conv3d); ``index`` is then the real pixel it copies
        (reflect, replicate, circular padding).
    """

    tensor: str | None = None
    index: Index | None = None
    anchor: Index | None = None
    step: int | None = None
    padded: tuple[int, ...] | None = None

    @property
    def empty(self) -> bool:
        return self.tensor is None or self.index is None

    def is_block(self) -> bool:
        return self.anchor is not None and self.anchor != self.index

    def cells(self) -> list[Index]:
        """Every selected index: the block between anchor and index, or the single cell."""
        block = self.block()
        if block is None:
            return []
        lead, rows, cols = block
        if len(self.index) == 1:
            return [(r,) for r in range(rows.start, rows.stop)]
        rows, cols = range(rows.start, rows.stop), range(cols.start, cols.stop)
        return [(*lead, r, c) for r, c in itertools.product(rows, cols)]

    def block(self) -> tuple[Index, slice, slice] | None:
        """(leading index, row slice, column slice) of the selected 2D block, or None.

        A 1D tensor (the bias) is a column: its index (r,) is row r, column 0.
        """
        if self.empty:
            return None
        (r0, c0), (r1, c1) = rc(self.index), rc(self.anchor if self.anchor else self.index)
        rows = slice(min(r0, r1), max(r0, r1) + 1)
        cols = slice(min(c0, c1), max(c0, c1) + 1)
        return self.index[:-2], rows, cols

    def with_step(self, step: int | None) -> Selection:
        return replace(self, step=step)


NOTHING = Selection()


def rc(index: Index) -> tuple[int, int]:
    """(row, column) of a full index in its 2D slice; a 1D index (r,) is (r, 0)."""
    return (index[-2], index[-1]) if len(index) >= 2 else (index[0], 0)


def fits(index: Index | None, shape: tuple[int, ...]) -> bool:
    """Whether ``index`` is a valid full index into an array of ``shape``."""
    return (
        index is not None
        and len(index) == len(shape)
        and all(0 <= i < s for i, s in zip(index, shape, strict=True))
    )


class SelectionModel(QObject):
    """The current selection and hover; emits when either changes (equal values are ignored)."""

    selectionChanged = Signal(object)  # Selection
    hoverChanged = Signal(object)  # Selection (tensor and index of the hovered cell)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._selection = NOTHING
        self._hover = NOTHING

    @property
    def selection(self) -> Selection:
        return self._selection

    @property
    def hover(self) -> Selection:
        return self._hover

    def set_selection(self, selection: Selection) -> None:
        if selection != self._selection:
            self._selection = selection
            self.selectionChanged.emit(selection)

    def set_hover(self, hover: Selection) -> None:
        if hover != self._hover:
            self._hover = hover
            self.hoverChanged.emit(hover)

    def clear(self) -> None:
        self.set_selection(NOTHING)

    def set_session(self, session) -> None:
        """The document changed: drop a selection whose tensor no longer has that cell."""
        sel = self._selection
        if sel.empty:
            return
        shape = session.spec.shape(sel.tensor)
        if shape is None or not fits(sel.index, shape):
            self.set_selection(NOTHING)
        elif sel.anchor is not None and not fits(sel.anchor, shape):
            self.set_selection(replace(sel, anchor=None))
