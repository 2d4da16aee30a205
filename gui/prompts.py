"""Prompts: the message boxes the file actions show, behind one small replaceable object.

`FileController` and `Autosaver` never call ``QMessageBox`` themselves; they ask their
``prompts``. Tests put a scripted stand-in there (same three methods), so no modal dialog
ever runs in a test.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


class Prompts:
    """Modal message boxes over ``parent`` (the main window)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.parent = parent

    def error(self, title: str, text: str, detail: str = "") -> None:
        """Tell the user something failed: ``text`` says what, ``detail`` why."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text,
                          QMessageBox.StandardButton.Ok, self.parent)
        if detail:
            box.setInformativeText(detail)
        box.exec()
        box.deleteLater()

    def question(self, title: str, text: str, detail: str = "") -> bool:
        """A yes/no question; True for yes."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                          self.parent)
        if detail:
            box.setInformativeText(detail)
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        answer = box.exec()
        box.deleteLater()
        return answer == QMessageBox.StandardButton.Yes

    def unsaved_changes(self, name: str, before: str = "closing") -> str:
        """Save, discard or cancel before the changes to ``name`` are lost by ``before``
        ("closing", "opening s3d.npz")."""
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                          f"Save the changes to {name} before {before}?", buttons, self.parent)
        box.setInformativeText("Without saving, your changes are lost.")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        box.deleteLater()
        if answer == QMessageBox.StandardButton.Save:
            return SAVE
        if answer == QMessageBox.StandardButton.Discard:
            return DISCARD
        return CANCEL
