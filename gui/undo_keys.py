"""Undo and redo reach the window from any field: a focused spin box keeps its text-undo keys.

A spin box's line edit claims Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y for undoing its own typing (it
accepts the ``ShortcutOverride`` event), so while a Layer-panel field has focus — and it keeps
focus after Enter — the window's Undo and Redo never fire. `UndoKeys` filters that event out
of the spin boxes it is installed on, so the keys undo the last document change instead.
The grid's in-place cell editor is left alone: there, undoing the typing is what one wants.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QWidget

#: The window's redo keys besides the platform's standard one.
REDO_KEYS = (QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y"))


def is_undo_key(event: QKeyEvent) -> bool:
    """Whether ``event`` is one of the window's undo or redo keys."""
    if event.matches(QKeySequence.StandardKey.Undo) or event.matches(
        QKeySequence.StandardKey.Redo
    ):
        return True
    pressed = QKeySequence(event.keyCombination())
    return any(pressed.matches(k) == QKeySequence.SequenceMatch.ExactMatch for k in REDO_KEYS)


class UndoKeys(QObject):
    """Event filter; `install` puts it on every spin box under a widget."""

    def install(self, root: QWidget) -> None:
        for spin in root.findChildren(QAbstractSpinBox):
            spin.installEventFilter(self)
            spin.lineEdit().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and is_undo_key(event):
            event.ignore()  # not the field's: the shortcut map gives it to Undo / Redo
            return True
        return False
