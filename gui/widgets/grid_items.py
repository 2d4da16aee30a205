"""Graphics items a `TensorGrid` draws over its heatmap: the padded border, the cursor,
highlights, the colour maps and the colour bar (the numbers it prints:
`gui.widgets.cell_text`). pyqtgraph objects live only in view classes.

Cells are unit squares in view coordinates: row r, column c covers [c, c+1] × [r, r+1]
(row-major, y pointing down).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsGridLayout, QGraphicsItem, QGraphicsPathItem

# -- colour maps -------------------------------------------------------------------------
_DIVERGING = [(33, 102, 172), (103, 169, 207), (247, 247, 247), (239, 138, 98), (178, 24, 43)]
_SEQUENTIAL = [(250, 250, 250), (188, 189, 220), (117, 107, 177), (63, 0, 125)]
_CYCLIC = [(178, 24, 43), (230, 171, 2), (27, 158, 119), (117, 112, 179), (178, 24, 43)]
_GRAY = [(0, 0, 0), (255, 255, 255)]


def colormap(kind: str) -> pg.ColorMap:
    """'diverging' (signed data, centred on zero), 'sequential' (magnitudes), 'cyclic' (phase),
    'gray' (a feature map: black at the minimum, white at the maximum)."""
    colors = {"diverging": _DIVERGING, "sequential": _SEQUENTIAL, "cyclic": _CYCLIC,
              "gray": _GRAY}[kind]
    return pg.ColorMap(np.linspace(0.0, 1.0, len(colors)), colors, name=kind)


#: Colour-scale bounds are one of these × 10^k: fine enough that the largest value on screen
#: is at least 0.8 of the bound (a fitted scale), coarse enough that small edits keep it.
_NICE = (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)


def nice_limit(m: float) -> float:
    """The next 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k at or above ``m``."""
    if not math.isfinite(m) or m <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(m))
    for f in _NICE:
        if f * e >= m * (1 - 1e-12):
            return f * e
    return 10 * e


# -- outlines ----------------------------------------------------------------------------
#: name -> (outline colour, outline width in px, fill colour with alpha)
HIGHLIGHT_STYLES: dict[str, tuple[str, float, str | None]] = {
    "read": ("#0f766e", 2.0, "#14b8a633"),  # cells an entry reads
    "current": ("#ea580c", 3.0, "#fb923c55"),  # the current term's factors
    "write": ("#7c3aed", 2.0, "#a78bfa44"),  # cells an entry writes to
    "hover": ("#2563eb", 1.5, "#60a5fa33"),  # what the hovered cell relates to
    "source": ("#be185d", 1.5, None),  # the real pixel a border cell copies
}
CURSOR_COLOR = "#111827"
BLOCK_FILL = "#f59e0b40"


def css_color(text: str) -> QColor:
    """'#rrggbb' or '#rrggbbaa', alpha last as in CSS (QColor alone reads '#aarrggbb')."""
    if len(text) == 9:
        c = QColor(text[:7])
        c.setAlpha(int(text[7:], 16))
        return c
    return QColor(text)


def cosmetic_pen(color: str, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(css_color(color), width, style)
    pen.setCosmetic(True)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    return pen


def cells_path(cells: Iterable[tuple[int, int]]) -> QPainterPath:
    """The union outline of unit cells given as (row, col)."""
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.WindingFill)
    for r, c in cells:
        path.addRect(QRectF(c, r, 1, 1))
    return path.simplified()


def cursor_item() -> QGraphicsPathItem:
    item = QGraphicsPathItem()
    item.setPen(cosmetic_pen(CURSOR_COLOR, 2.5))
    item.setZValue(30)
    return item


def gap_item() -> QGraphicsPathItem:
    """Marker rows and columns of a huge padding that is not drawn (over the cell values:
    a marker has no one value; under the highlights: reads there still show)."""
    item = QGraphicsPathItem()
    item.setPen(QPen(Qt.PenStyle.NoPen))
    item.setBrush(QBrush(QColor("#d1d5db")))  # opaque: hides the zeros drawn under it
    item.setZValue(15.5)
    return item


def gaps_path(rows: Iterable[int], cols: Iterable[int], shape: tuple[int, int]) -> QPainterPath:
    """Whole rows ``rows`` and whole columns ``cols`` of a plane of ``shape``."""
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.WindingFill)
    for r in rows:
        path.addRect(QRectF(0, r, shape[1], 1))
    for c in cols:
        path.addRect(QRectF(c, 0, 1, shape[0]))
    return path.simplified()


def block_item() -> QGraphicsPathItem:
    item = QGraphicsPathItem()
    item.setPen(cosmetic_pen("#b45309", 1.5, Qt.PenStyle.DashLine))
    item.setBrush(QBrush(css_color(BLOCK_FILL)))
    item.setZValue(25)
    return item


class BorderItem(QGraphicsItem):
    """The padded border of the input: a veil and hatching over the border, a frame inside."""

    def __init__(self, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self._outer = QRectF()
        self._inner = QRectF()
        self._border = QPainterPath()
        self._veil = QColor(255, 255, 255, 120)
        self._hatch = QBrush(QColor(80, 80, 80, 90), Qt.BrushStyle.BDiagPattern)
        self._frame = cosmetic_pen("#374151", 1.5, Qt.PenStyle.DashLine)
        self.setZValue(10)

    def set_geometry(self, padded: tuple[int, int], pads: tuple[int, int, int, int]) -> None:
        top, bottom, left, right = pads
        outer = QRectF(0, 0, padded[1], padded[0])
        inner = QRectF(left, top, padded[1] - left - right, padded[0] - top - bottom)
        self.setVisible(any(pads))
        if (outer, inner) == (self._outer, self._inner):
            return
        self.prepareGeometryChange()
        self._outer, self._inner = outer, inner
        ring = QPainterPath()
        ring.addRect(outer)
        hole = QPainterPath()
        hole.addRect(inner)
        self._border = ring.subtracted(hole)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._outer.adjusted(-0.1, -0.1, 0.1, 0.1)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        # in device pixels: a pattern brush under a scaling transform is slow to fill
        t = painter.worldTransform()
        border = t.map(self._border)
        painter.save()
        painter.resetTransform()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._veil)
        painter.drawPath(border)
        painter.setBrush(self._hatch)
        painter.drawPath(border)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(self._frame)
        painter.drawRect(t.mapRect(self._inner))
        painter.restore()


class DimItem(QGraphicsItem):
    """A grey veil over stale results (the layer settings are invalid)."""

    def __init__(self, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self._rect = QRectF()
        self.setZValue(40)
        self.setVisible(False)

    def set_rect(self, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self._rect = rect

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.fillRect(self._rect, QColor(229, 231, 235, 200))


# -- colour bar --------------------------------------------------------------------------
class _GradientBar(pg.GraphicsWidget):
    """The colour strip of a `ColorBar`: low at the bottom, high at the top."""

    def __init__(self, width: float) -> None:
        super().__init__()
        self.setFixedWidth(width)
        self._cmap: pg.ColorMap | None = None
        self._frame = cosmetic_pen("#9ca3af", 1.0)

    def set_colormap(self, cmap: pg.ColorMap) -> None:
        self._cmap = cmap
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        rect = self.boundingRect().adjusted(0.5, 0.5, -0.5, -0.5)
        if self._cmap is not None:
            painter.setBrush(self._cmap.getGradient(rect.bottomLeft(), rect.topLeft()))
        painter.setPen(self._frame)
        painter.drawRect(rect)


class ColorBar(pg.GraphicsWidget):
    """A colour strip and its axis, for fixed levels (lighter than pyqtgraph's ColorBarItem,
    which builds a whole PlotItem with menus: 16 ms a grid at start-up, here 2).

    The image keeps its own colour map and levels; the grid sets both on both.
    """

    AXIS, COMPACT_AXIS = 34, 26  # pixels of the axis and its labels

    def __init__(self, cmap: pg.ColorMap, levels: tuple[float, float], width: float = 10) -> None:
        super().__init__()
        layout = QGraphicsGridLayout(self)
        layout.setContentsMargins(0, 6, 0, 6)  # room for the end labels of the axis
        layout.setHorizontalSpacing(0)
        self.bar = _GradientBar(width)
        self.axis = pg.AxisItem("right")
        self.axis.setPen(pg.mkPen("#9ca3af"))
        self.axis.setTextPen(pg.mkPen("#374151"))
        self.axis.setWidth(self.AXIS)
        layout.addItem(self.bar, 0, 0)
        layout.addItem(self.axis, 0, 1)
        self.note = pg.LabelItem("", size="7pt", color="#6b7280")
        layout.addItem(self.note, 1, 0, 1, 2)
        self._cmap = cmap
        self._levels = (float(levels[0]), float(levels[1]))
        self.bar.set_colormap(cmap)
        self.axis.setRange(*self._levels)

    def colorMap(self) -> pg.ColorMap:
        return self._cmap

    def setColorMap(self, cmap: pg.ColorMap) -> None:
        self._cmap = cmap
        self.bar.set_colormap(cmap)

    def levels(self) -> tuple[float, float]:
        return self._levels

    def setLevels(self, levels: tuple[float, float]) -> None:
        self._levels = (float(levels[0]), float(levels[1]))
        self.axis.setRange(*self._levels)

    def set_compact(self, compact: bool) -> None:
        """A narrower axis with smaller tick labels (a small window: the room goes to the
        cells, so that their numbers print)."""
        width = self.COMPACT_AXIS if compact else self.AXIS
        if self.axis.width() != width:
            font = QFont()
            font.setPointSizeF(7.0 if compact else 8.0)
            self.axis.setStyle(tickFont=font, tickTextOffset=2 if compact else 5)
            self.axis.setWidth(width)

    def set_note(self, text: str, tip: str = "") -> None:
        """A word under the bar: which scale is in force ('slice' or 'shared')."""
        if text != self.note.text:
            self.note.setText(text)
            self.note.setToolTip(tip)
