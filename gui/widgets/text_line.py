"""TextLine: one line of text that changes often without re-laying out the window.

A QLabel asks its parent layouts to recompute on every ``setText`` (its size hint may have
changed), and in a QMainWindow that repaints every widget. An animation that rewrites a
line sixty times a second wants none of that: TextLine's size hint is one line of its font
and ``setText`` only repaints the line. Longer text is elided on the right, or, given a
``keep`` separator, in the middle of what comes before it, the rest kept whole (a readout's
value: 'y[0,…,1] = 7.7254', not 'y[0,1,1,1] = 7…'). Its colour and font come from the
palette and font, so style sheets apply (``color``, ``font``).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget


class TextLine(QWidget):
    """A label of fixed height whose text can change at any rate."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *,
                 objectName: str = "", keep: str = "") -> None:  # noqa: N803 (Qt's keyword)
        super().__init__(parent)
        self._keep = keep
        if objectName:
            self.setObjectName(objectName)
        self._text = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel's name, for drop-in use)
        if text != self._text:
            self._text = text
            self.update()

    def shown_text(self) -> str:
        """The text as painted in the line's width (elided where it does not fit)."""
        width = self.contentsRect().adjusted(2, 0, -2, 0).width()
        metrics = self.fontMetrics()
        cut = self._text.find(self._keep) if self._keep else -1
        if cut <= 0 or metrics.horizontalAdvance(self._text) <= width:
            return metrics.elidedText(self._text, Qt.TextElideMode.ElideRight, width)
        head, tail = self._text[:cut], self._text[cut:]
        room = width - metrics.horizontalAdvance(tail)
        if room < metrics.horizontalAdvance("x[…]"):
            # no room for an index: the value, which the highlighted cell and the Sum
            # panel's title name ('gW[1,2,1]…' hid the number, review r13 R12)
            value = "…" + tail.strip()
            if metrics.horizontalAdvance(value) <= width:
                return value
            return metrics.elidedText(self._text, Qt.TextElideMode.ElideRight, width)
        return metrics.elidedText(head, Qt.TextElideMode.ElideMiddle, room) + tail

    def sizeHint(self) -> QSize:
        return QSize(200, self.fontMetrics().height() + 4)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.fontMetrics().height() + 4)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self.updateGeometry()  # a new font is a new height: worth one re-layout

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        rect = self.contentsRect().adjusted(2, 0, -2, 0)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         self.shown_text())
