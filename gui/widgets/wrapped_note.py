"""WrappedNote: a word-wrapped label as tall as its text needs at its width, taller or
shorter as it narrows or widens."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


class WrappedNote(QLabel):
    """A word-wrapped note that is never cut: a form row inside a scrolled panel laid it out
    for a wider width than it got (a four-line note drawn in three), and a strip's slices,
    which want every pixel, squeezed its note to one line; so it asks for the height its
    own width needs."""

    def __init__(self, name: str) -> None:
        super().__init__(objectName=name)
        self.setWordWrap(True)

    def _fit(self) -> None:
        if self.width() <= 0:
            return
        need = self.natural_height(self.width())
        if need > 0 and need != self.minimumHeight():
            self.setMinimumHeight(need)

    def natural_height(self, width: int) -> int:
        """The height the text takes at ``width``. Not `heightForWidth` alone: Qt's is never
        less than the minimum height, so a height fitted once at a narrow width (ten lines)
        stayed when the note widened — four lines at the bottom of a 182 px box, under
        'same' padding after a resize."""
        kept = self.minimumHeight()
        if not kept:
            return self.heightForWidth(width)
        self.setMinimumHeight(0)
        try:
            return self.heightForWidth(width)
        finally:
            self.setMinimumHeight(kept)

    def setText(self, text: str) -> None:  # noqa: N802  (as QLabel's)
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()
