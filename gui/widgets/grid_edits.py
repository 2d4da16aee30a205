"""GridEdits: what an edit of a `TensorGrid` leaves as, and the edits that need no pointing.

Every change leaves as a `CellEdit` on ``grid.cellsEdited`` and every selection as a request
on ``grid.selectionRequested``; nothing here writes data. Copy and paste (tab-separated
blocks; one value fills the whole selected block) and fills (the selection, the slice or the
whole tensor, `gui.fills.FILLS`) live here; `gui.widgets.grid_editor.GridEditor` adds what
the mouse and keyboard do, and the context menu.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QGuiApplication

from ..document import CellEdit
from ..fills import FILL_LABELS, PLANAR, fill_axes, fill_values, format_block, parse_block
from ..selection import Selection


class GridEdits(QObject):
    """Edits of one grid (a child QObject of it)."""

    def __init__(self, grid) -> None:
        super().__init__(grid)
        self.grid = grid
        self._seed = 0  # the last random fill's seed: each one draws new values

    def _selection(self) -> Selection:
        return self.grid.current_selection()

    def _select(self, index, anchor=None) -> None:
        self.grid.selectionRequested.emit(Selection(self.grid.name, tuple(index), anchor))

    def _emit(self, index, values, text: str, merge: int | None = None) -> None:
        self.grid.cellsEdited.emit(CellEdit(self.grid.name, index, np.asarray(values), text, merge))

    def _status(self, text: str) -> None:
        self.grid.statusMessage.emit(text)

    def _block_index(self, sel: Selection):
        lead, rows, cols = sel.block()
        return (rows,) if self.grid.array.ndim == 1 else (*lead, rows, cols)

    # -- clipboard -----------------------------------------------------------------------
    def copy(self) -> str:
        """Copy the selected block (or the whole slice) as tab-separated text; returns it."""
        g = self.grid
        sel = self._selection()
        a = g.array
        if g.real_shape() is None:
            return ""
        block = a[self._block_index(sel)] if not sel.empty else (a if a.ndim == 1 else a[g.lead])
        text = format_block(block)
        QGuiApplication.clipboard().setText(text)
        return text

    def paste(self, text: str | None = None) -> None:
        """Paste a block at the cursor (one value fills the whole selected block)."""
        g = self.grid
        if not g.editable or g.array is None:
            return
        if g.real_shape() is None:
            return
        text = QGuiApplication.clipboard().text() if text is None else text
        try:
            block = parse_block(text)
        except ValueError as exc:
            self._status(f"Paste: {exc}")
            return
        if np.iscomplexobj(block) and not np.iscomplexobj(g.array):
            if np.any(block.imag != 0):
                self._status(f"Paste: {g.name} is real ({g.array.dtype}); these values are complex")
                return
            block = block.real
        sel = self._selection()
        if sel.empty:
            sel = Selection(g.name, g.full_index(0, 0))
        lead, rows, cols = sel.block()
        h, w = g.real_shape()
        if block.size == 1 and sel.is_block():
            values = np.full((rows.stop - rows.start, cols.stop - cols.start), block.flat[0])
        else:
            r0, c0 = rows.start, cols.start
            values = block[: h - r0, : w - c0]
            if values.shape != block.shape:
                self._status(f"Pasted {values.shape[0]}×{values.shape[1]} of the "
                             f"{block.shape[0]}×{block.shape[1]} block; the rest falls outside")
            rows = slice(r0, r0 + values.shape[0])
            cols = slice(c0, c0 + values.shape[1])
        if g.array.ndim == 1:
            index, values = (rows,), values[:, 0]
        else:
            index = (*lead, rows, cols)
        self._emit(index, values, f"Paste into {g.info.symbol}")
        corner = g.full_index(rows.stop - 1, cols.stop - 1)
        start = g.full_index(rows.start, cols.start)
        self._select(start, corner if corner != start else None)

    # -- fills ---------------------------------------------------------------------------
    def fill(self, kind: str, scope: str) -> None:
        """Fill ``scope`` ('selection', 'slice' or 'tensor') with pattern ``kind``."""
        g = self.grid
        a = g.array
        if not g.editable or a is None or a.size == 0:
            return
        if kind in PLANAR and fill_axes(g.spec, scope) < 2:
            self._status(f"{FILL_LABELS[kind]} needs rows and columns: a Conv1d strip has "
                         "positions only (nothing filled)")
            return
        sel = self._selection()
        if scope == "selection" and not sel.empty:
            index, what = self._block_index(sel), "selection"
        elif scope == "slice" and a.ndim > 1:
            index, what = g.lead, f"slice {list(g.lead)}"
        else:
            index, what = ..., "all"
        seed = 0
        if kind == "random":
            self._seed += 1
            seed = self._seed
        label = FILL_LABELS[kind] + (f" (seed {seed})" if kind == "random" else "")
        values = fill_values(kind, a[index].shape, a.dtype, seed,
                             spatial=fill_axes(g.spec, scope))
        self._emit(index, values, f"Fill {g.info.symbol} {what} with {label.lower()}")
