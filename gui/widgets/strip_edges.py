"""StripEdges: what a Conv1d strip shows at the edges of a crop (`strip_fit`).

A column cut by the view's left or right edge is covered (a cut cell's colour and half its
number read as a wrong value), and a caption under the cells names the steps in view
("steps 20–40 of 64"). Both come from the view's range at paint time, so they stay true
however the strip got there: cropped by the fit, or panned and zoomed by hand.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter
from PySide6.QtWidgets import QGraphicsItem

from .cell_text import value_font
from .strip_fit import caption, shown_columns


class StripEdges(QGraphicsItem):
    """See the module docstring. ``view_rect``: the view's shown range (view coordinates)."""

    def __init__(self, view_rect: Callable[[], QRectF], parent: QGraphicsItem | None = None
                 ) -> None:
        super().__init__(parent)
        self._view_rect = view_rect
        self._rows = self._cols = self._real = self._left = 0
        self._band = (0.0, 0.0)
        self._font = value_font(7.5)
        self.setZValue(32)  # over cells, highlights and the cursor; under the row numbers

    def set_plane(self, rows: int, cols: int, real_cols: int, left: int,
                  band: tuple[float, float]) -> None:
        """A plane of ``rows`` × ``cols`` cells whose real columns are ``real_cols`` from
        column ``left`` (the input's padded border before them); ``band``: (pixels, margin
        in cells) of the row numbers, which take those pixels at the left edge once the view
        is scrolled past the margin (`IndexLabelsItem`)."""
        self.prepareGeometryChange()
        self._rows, self._cols, self._real, self._left = rows, cols, real_cols, left
        self._band = band
        self.update()

    def shown(self, px_per_col: float) -> tuple[int, int]:
        """(first, last) plane columns wholly in view and clear of the row numbers, at
        ``px_per_col`` pixels a column."""
        shown = self._view_rect()
        left, (band, margin) = shown.left(), self._band
        if px_per_col > 0 and (left + margin) * px_per_col > 1:  # the row numbers stick
            left += band / px_per_col
        return shown_columns(left, shown.right(), self._cols)

    def text(self, px_per_col: float) -> str:
        """The caption for the columns now in view ('' when every real step is)."""
        shown = self._view_rect()
        if self._real <= 0 or shown.width() <= 0:
            return ""
        first, last = self.shown(px_per_col)
        lo, hi = first - self._left, last - self._left
        return caption(max(lo, 0), min(hi, self._real - 1), self._real,
                       border_hidden=first > 0 or last < self._cols - 1)

    def boundingRect(self) -> QRectF:
        # the covers and the caption lie on the plane or within a few of its sizes of it
        rows, cols = max(self._rows, 1), max(self._cols, 1)
        return QRectF(-cols, -2 * rows - 2, 3 * cols, 5 * rows + 40)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        shown = self._view_rect()
        if self._cols <= 0 or shown.width() <= 0:
            return
        t = painter.worldTransform()
        first, last = self.shown(abs(t.m11()))
        white = QColor(255, 255, 255)
        device = t.mapRect(shown)
        painter.save()
        painter.resetTransform()
        # the rows' height and the padded border's line on either side of it
        rows = t.mapRect(QRectF(0, 0, 1, self._rows)).adjusted(0, -2.0, 0, 2.0)
        if first > 0 and shown.left() < first:  # columns cut or under the row numbers
            edge = t.map(QRectF(first, 0, 1, 1).topLeft()).x()
            painter.fillRect(QRectF(device.left(), rows.top(), edge - device.left(),
                                    rows.height()), white)
        if last < self._cols - 1 and shown.right() > last + 1:
            edge = t.map(QRectF(last + 1, 0, 1, 1).topLeft()).x()
            painter.fillRect(QRectF(edge, rows.top(), device.right() - edge + 1, rows.height()),
                             white)
        text = self.text(abs(t.m11()))
        if text:
            metrics = QFontMetricsF(self._font)
            under = t.map(QRectF(0, self._rows, 1, 1).topLeft()).y() + 2.0
            top = min(under, device.bottom() - metrics.height() - 1.0)
            painter.setFont(self._font)
            painter.setPen(QColor(70, 70, 70))
            left = t.map(QRectF(max(first, 0), 0, 1, 1).topLeft()).x()
            painter.drawText(QRectF(max(left, device.left()), top, device.width(),
                                    metrics.height()), Qt.AlignmentFlag.AlignLeft, text)
        painter.restore()
