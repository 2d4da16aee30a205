"""GridEditor: what the mouse and keyboard do to a `TensorGrid`.

Click selects a cell (Shift+click or Shift+drag: a block); typing a number, Enter, F2 or a
double-click edits it in place; arrows move (Shift extends); dragging up/down or the wheel
scrubs the value (one undo step per drag); Delete zeroes; Ctrl+C/Ctrl+V copy and paste
blocks; the context menu (`grid_menu`) fills the selection, the slice or the whole tensor.
Every change leaves as a `CellEdit` on ``grid.cellsEdited`` (`gui.widgets.grid_edits.
GridEdits`, which also holds copy, paste and fill); nothing here writes data. The menu's
"Import from .npy…" / "Export as .npy…" leave as ``importRequested`` / ``exportRequested``
(the tensor's name) for the file actions.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLineEdit

from ..document import new_merge_key
from ..fills import format_number, parse_number
from ..selection import rc
from .grid_edits import GridEdits
from .grid_menu import GridMenu

_NUMBER_START = set("0123456789-+.")
_WHEEL_MERGE_SECONDS = 1.0
_MOVES = {
    Qt.Key.Key_Left: (0, -1),
    Qt.Key.Key_Right: (0, 1),
    Qt.Key.Key_Up: (-1, 0),
    Qt.Key.Key_Down: (1, 0),
}


class GridEditor(GridMenu, GridEdits):
    """Interaction for one grid (a child QObject of it)."""

    importRequested = Signal(str)  # tensor name: load it from a .npy file
    exportRequested = Signal(str)  # tensor name: save it as a .npy file

    def __init__(self, grid) -> None:
        super().__init__(grid)
        self._drag: dict | None = None
        self._wheel: tuple[tuple[int, ...], int, float] | None = None  # index, key, time
        self.line_edit: QLineEdit | None = None
        self._edit_index: tuple[int, ...] | None = None
        grid.vb.clicked.connect(self._on_vb_clicked)
        grid.vb.contextRequested.connect(self._on_vb_contextRequested)
        grid.vb.dragged.connect(self._on_vb_dragged)
        grid.vb.wheeled.connect(self._on_vb_wheeled)
        grid.view.installEventFilter(self)
        grid.view.viewport().installEventFilter(self)

    # -- helpers -------------------------------------------------------------------------
    def _index_at(self, pos: QPointF, clamp: bool = False) -> tuple[int, ...] | None:
        g = self.grid
        shape = g.real_shape()
        if shape is None:
            return None
        r = math.floor(pos.y()) - g.offset[0]
        c = math.floor(pos.x()) - g.offset[1]
        if clamp:
            r, c = min(max(r, 0), shape[0] - 1), min(max(c, 0), shape[1] - 1)
        elif not (0 <= r < shape[0] and 0 <= c < shape[1]):
            return None
        return g.full_index(r, c)

    def _step(self) -> float:
        return self.grid.limit / 200.0

    def _coerce(self, value: complex | float) -> complex | float | None:
        """``value`` in the grid's dtype kind; None (and a note) for complex into real."""
        a = self.grid.array
        if np.iscomplexobj(a):
            return complex(value)
        if isinstance(value, complex):
            if value.imag != 0:
                self._status(f"{self.grid.name} is real ({a.dtype}); a complex value won't fit")
                return None
            value = value.real
        return float(value)

    # -- mouse ---------------------------------------------------------------------------
    def _on_vb_clicked(self, pos: QPointF, modifiers, double: bool) -> None:
        self.grid.view.setFocus(Qt.FocusReason.MouseFocusReason)
        index = self._index_at(pos)
        if index is None:
            return
        sel = self._selection()
        if modifiers & Qt.KeyboardModifier.ShiftModifier and not sel.empty:
            self._select(index, sel.anchor or sel.index)
        else:
            self._select(index)

    def _double_click(self, event) -> bool:
        g = self.grid
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        pos = g.vb.mapSceneToView(g.view.mapToScene(event.position().toPoint()))
        index = self._index_at(pos)
        if index is None:
            return False
        self._select(index)
        self.begin_edit()
        return True

    def _on_vb_dragged(self, start: QPointF, now: QPointF, dy: float, modifiers, finish: bool):
        g = self.grid
        if self._drag is None:
            index = self._index_at(start)
            shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
            if g.editable and index is not None and not shift:
                self._select(index)
                value = g.array[index]
                self._drag = {"kind": "scrub", "index": index, "base": value,
                              "key": new_merge_key(), "step": self._step(), "last": value}
            else:
                self._drag = {"kind": "block", "anchor": self._index_at(start, clamp=True)}
        drag = self._drag
        if drag["kind"] == "scrub":
            fine = 0.1 if modifiers & Qt.KeyboardModifier.ShiftModifier else 1.0
            step = drag["step"] * fine
            value = self._nudge(drag["base"], -dy * step, step)
            if value != drag["last"]:
                drag["last"] = value
                text = f"Scrub {g.info.symbol}{list(drag['index'])}"
                self._emit(drag["index"], value, text, drag["key"])
        elif drag["anchor"] is not None:
            index = self._index_at(now, clamp=True)
            if index is not None:  # the tensor went away mid-drag (bias off, a new layer)
                self._select(index, drag["anchor"])
        if finish:
            self._drag = None

    def _nudge(self, base, delta: float, step: float):
        """``base`` moved by ``delta`` along the part the view shows, rounded to ``step``."""
        decimals = max(0, math.ceil(-math.log10(step))) if step > 0 else 3
        if np.iscomplexobj(base):
            base = complex(base)
            if self.grid.complex_view == "imag":
                return complex(base.real, round(base.imag + delta, decimals))
            return complex(round(base.real + delta, decimals), base.imag)
        return round(float(base) + delta, decimals)

    def _on_vb_wheeled(self, pos: QPointF, notches: float, modifiers) -> None:
        index = self._index_at(pos)
        if index is None or not self.grid.editable:
            return
        now = time.monotonic()
        key = new_merge_key()
        if self._wheel and self._wheel[0] == index and now - self._wheel[2] < _WHEEL_MERGE_SECONDS:
            key = self._wheel[1]
        self._wheel = (index, key, now)
        fine = 0.1 if modifiers & Qt.KeyboardModifier.ShiftModifier else 1.0
        step = self.grid.limit / 20.0 * fine
        value = self._nudge(self.grid.array[index], notches * step, step)
        self._select(index)
        self._emit(index, value, f"Scrub {self.grid.info.symbol}{list(index)}", key)

    # -- keyboard ------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.line_edit:
            return self._editor_event(event)
        if event.type() == QEvent.Type.MouseButtonDblClick and obj is self.grid.view.viewport():
            return self._double_click(event)
        if obj is self.grid.view:
            if event.type() == QEvent.Type.ShortcutOverride and self._overrides(event):
                event.accept()
                return True
            if event.type() == QEvent.Type.KeyPress:
                return self.key_press(event)
        return False

    def _overrides(self, event: QKeyEvent) -> bool:
        return (
            event.matches(QKeySequence.StandardKey.Copy)
            or event.matches(QKeySequence.StandardKey.Paste)
            or event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
        )

    def key_press(self, event: QKeyEvent) -> bool:
        """Handle a key on the grid; True when used."""
        g = self.grid
        if g.array is None or g.real_shape() is None:
            return False
        key, mods = event.key(), event.modifiers()
        sel = self._selection()
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
            return True
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
            return True
        if key in _MOVES:
            self.move(*_MOVES[key], extend=bool(mods & Qt.KeyboardModifier.ShiftModifier))
            return True
        if sel.empty:
            return False
        if key == Qt.Key.Key_Escape:
            self._select(sel.index)
            return True
        text = event.text()
        typed = (len(text) == 1 and text.isprintable() and not text.isspace()
                 and not mods & (Qt.KeyboardModifier.ControlModifier
                                 | Qt.KeyboardModifier.AltModifier))
        if not g.editable:
            if typed:  # say why nothing happens
                self._status(f"{g.name} is computed, not typed in: edit input, weight, bias "
                             f"or grad_output and it follows")
            return typed
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2):
            self.begin_edit()
            return True
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self._emit(self._block_index(sel), 0, f"Clear {g.info.symbol} cells")
            return True
        if typed and text in _NUMBER_START:
            self.begin_edit(text)
            return True
        if typed:
            self._status(f"'{text}' cannot start a number: type a digit, '-', '+' or '.' to "
                         f"edit {g.name} (Enter, F2 or a double-click opens the cell as it is)")
            return True
        return False

    def move(self, dr: int, dc: int, extend: bool = False) -> None:
        """Move the cursor by (dr, dc) within the slice; ``extend`` grows a block."""
        g = self.grid
        shape = g.real_shape()
        sel = self._selection()
        if sel.empty:
            self._select(g.full_index(0, 0))
            return
        r, c = rc(sel.index)
        r = min(max(r + dr, 0), shape[0] - 1)
        c = min(max(c + dc, 0), shape[1] - 1)
        anchor = (sel.anchor or sel.index) if extend else None
        self._select(g.full_index(r, c), anchor)

    # -- in-place editor -----------------------------------------------------------------
    def begin_edit(self, initial: str | None = None) -> None:
        """Open a line edit over the current cell, pre-filled with its value or ``initial``."""
        g = self.grid
        sel = self._selection()
        if not g.editable or sel.empty or g.array is None:
            return
        self.cancel_edit()
        r, c = rc(sel.index)
        top, left = g.offset
        scene = g.vb.mapViewToScene(QRectF(c + left, r + top, 1, 1)).boundingRect()
        rect = g.view.mapFromScene(scene).boundingRect()
        editor = QLineEdit(g.view.viewport(), objectName="cellEditor")
        editor.setAlignment(Qt.AlignmentFlag.AlignCenter)
        width, height = max(rect.width(), 84), max(rect.height(), 26)
        editor.setGeometry(rect.center().x() - width // 2, rect.center().y() - height // 2,
                           width, height)
        editor.setText(initial if initial is not None else format_number(g.array[sel.index]))
        if initial is None:
            editor.selectAll()
        editor.installEventFilter(self)
        self.line_edit, self._edit_index = editor, sel.index
        editor.show()
        editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def commit_edit(self, move: tuple[int, int] = (0, 0)) -> bool:
        """Parse and write the editor's text; False (editor stays open) when it isn't a number."""
        editor = self.line_edit
        if editor is None:
            return True
        try:
            value = self._coerce(parse_number(editor.text()))
        except ValueError as exc:
            value = None
            self._status(str(exc))
        if value is None:
            editor.setProperty("invalid", True)
            editor.style().unpolish(editor)
            editor.style().polish(editor)
            return False
        index = self._edit_index
        self.cancel_edit()
        self._emit(index, value, f"Edit {self.grid.info.symbol}{list(index)}")
        if move != (0, 0):
            self.move(*move)
        return True

    def cancel_edit(self) -> None:
        editor, self.line_edit = self.line_edit, None
        if editor is not None:
            editor.removeEventFilter(self)
            editor.hide()
            editor.deleteLater()
            self.grid.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def _editor_event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key == Qt.Key.Key_Escape:
                self.cancel_edit()
                return True
            moves = {Qt.Key.Key_Return: (1, 0), Qt.Key.Key_Enter: (1, 0), Qt.Key.Key_Tab: (0, 1),
                     Qt.Key.Key_Backtab: (0, -1), Qt.Key.Key_Up: (-1, 0), Qt.Key.Key_Down: (1, 0)}
            if key in moves:
                self.commit_edit(moves[key])
                return True
        elif event.type() == QEvent.Type.FocusOut and self.line_edit is not None:
            if not self.commit_edit():
                self.cancel_edit()
        return False
