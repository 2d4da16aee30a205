"""Graphics items for the explainer's marks on a `TensorGrid`: layers of highlighted cells, and
arrows from a padded border cell to the real pixel it copies.

Cells are unit squares in view coordinates (row r, column c covers [c, c+1] × [r, r+1]), as
in `gui.widgets.grid_items`. A layer of a few cells is drawn as the outline of their union;
a large one (a grad_weight entry reads a whole input plane) as a one-pixel-per-cell image
scaled onto the grid, which costs the same for 16 cells or 16,384.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem

from .grid_items import HIGHLIGHT_STYLES, cells_path, cosmetic_pen, css_color

#: name -> (outline colour or None, outline width in px, fill colour or None, z value)
STYLES: dict[str, tuple[str | None, float, str | None, float]] = {
    "pending": (None, 0.0, "#f9fafbe0", 16),  # a sweep has not reached these entries yet
    "window": ("#1d4ed8", 1.5, None, 17),  # the kernel window over the padded input
    "read": (HIGHLIGHT_STYLES["read"][0], 2.0, "#14b8a62e", 18),  # a tint: the numbers stay legible
    "done": (None, 0.0, "#0f766e4a", 19),  # read by the terms already summed
    "source": (*HIGHLIGHT_STYLES["source"][:3], 20),
    "write": (*HIGHLIGHT_STYLES["write"][:3], 21),
    "hover": (*HIGHLIGHT_STYLES["hover"][:3], 22),
    "current": (*HIGHLIGHT_STYLES["current"][:3], 23),
}
#: Up to this many cells an outlined layer is a path; beyond it (and a fill-only layer
#: always) a filled image.
PATH_LIMIT = 256
LINK_COLORS = {"explain": "#be185d", "current": "#ea580c", "hover": "#2563eb"}


class CellsLayer(QGraphicsItem):
    """One highlight style's cells on one grid (see the module docstring)."""

    def __init__(self, style: str, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        outline, width, fill, z = STYLES[style]  # KeyError for an unknown style
        self.style = style
        self._pen = cosmetic_pen(outline, width, Qt.PenStyle.DashLine if style == "window"
                         else Qt.PenStyle.SolidLine) if outline else QPen(Qt.PenStyle.NoPen)
        self._fill = css_color(fill) if fill else None
        self._path = QPainterPath()
        self._image: QImage | None = None
        self._rect = QRectF()
        self._mask = np.zeros(0, bool)  # the cells shown, flat over the plane
        self._columns = np.zeros(0, np.int64)
        self.count = 0
        self.setZValue(z)

    def drawn(self) -> set[tuple[int, int]]:
        """The (row, col) of the plane cells this layer marks now."""
        cols = max(int(self._rect.width()), 1)
        return {(int(i) // cols, int(i) % cols) for i in np.flatnonzero(self._mask)}

    def columns(self) -> np.ndarray:
        """The plane columns of the cells this layer marks (one per cell)."""
        return self._columns

    def set_cells(self, rc: np.ndarray, shape: tuple[int, int]) -> None:
        """Cells as an (k, 2) int array of (row, col) in a plane of ``shape`` (rows, cols).

        Only the cells that changed are repainted (one step of an animation moves one cell).
        """
        rows, cols = shape
        inside = (rc[:, 0] >= 0) & (rc[:, 0] < rows) & (rc[:, 1] >= 0) & (rc[:, 1] < cols)
        rc = rc[inside]
        self._columns = rc[:, 1]
        mask = np.zeros(rows * cols, bool)  # a mask, not np.unique: no sort of 16k cells
        mask[rc[:, 0] * cols + rc[:, 1]] = True
        linear = np.flatnonzero(mask)
        rect = QRectF(0, 0, cols, rows)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect, changed = rect, None
        else:
            changed = np.flatnonzero(mask != self._mask)
            if len(changed) == 0:
                return
        self._mask = mask
        self.count = len(linear)
        outlined = self._pen.style() != Qt.PenStyle.NoPen
        if self.count <= PATH_LIMIT and outlined:
            self._image = None
            self._path = cells_path(map(tuple, rc.tolist()))
        else:  # many cells, or a fill without outline: an image, one pixel per cell
            self._path = QPainterPath()
            argb = np.zeros(rows * cols, dtype=np.uint32)
            color = QColor(self._fill if self._fill is not None else self._pen.color())
            if self._fill is None:
                color.setAlpha(90)
            argb[linear] = color.rgba()
            self._image = QImage(argb.data, cols, rows, 4 * cols,
                                 QImage.Format.Format_ARGB32).copy()
        self._repaint(changed, cols)

    def _repaint(self, changed: np.ndarray | None, cols: int) -> None:
        """Schedule a repaint of the changed cells (and their neighbours' outlines)."""
        if changed is None:
            self.update()
            return
        if len(changed) > 16:
            r, c = np.divmod(changed, cols)
            self.update(QRectF(c.min() - 1, r.min() - 1, c.max() - c.min() + 3,
                               r.max() - r.min() + 3))
            return
        for r, c in zip(*np.divmod(changed, cols), strict=True):
            self.update(QRectF(int(c) - 1, int(r) - 1, 3, 3))

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-0.5, -0.5, 0.5, 0.5)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self._image is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(self._rect, self._image)
            return
        if self._path.isEmpty():
            return
        painter.setPen(self._pen)
        painter.setBrush(QBrush(self._fill) if self._fill else Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)


class LinksItem(QGraphicsItem):
    """Arrows from border cells to the cells of the pixels they copy (curved, so that arrows
    along one row or column do not hide each other; over the row, in a strip: `link_path`)."""

    HEAD = 0.28  # arrowhead length, in cells

    def __init__(self, layer: str, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self._color = css_color(LINK_COLORS[layer])
        self._pen = cosmetic_pen(LINK_COLORS[layer], 2.6 if layer == "current" else 1.6)
        self._pairs: list[tuple[tuple[int, int], tuple[int, int]]] = []
        self._over_rows = False
        self._rect = QRectF()
        self.setZValue(27 if layer == "current" else 26)

    def set_links(self, frm: np.ndarray, to: np.ndarray, over_rows: bool = False) -> None:
        """``frm``, ``to``: (k, 2) (row, col) cells; one arrow from each to its partner.
        ``over_rows``: a strip's (`link_path`)."""
        self.prepareGeometryChange()
        self._over_rows = over_rows
        self._pairs = [((r0, c0), (r1, c1))
                       for (r0, c0), (r1, c1) in zip(frm.tolist(), to.tolist(), strict=True)
                       if (r0, c0) != (r1, c1)]
        if self._pairs:
            rows = [r for pair in self._pairs for r, _ in pair]
            cols = [c for pair in self._pairs for _, c in pair]
            self._rect = QRectF(min(cols) - 0.5, min(rows) - 0.5, max(cols) - min(cols) + 2,
                                max(rows) - min(rows) + 2)
        else:
            self._rect = QRectF()
        self.update()

    @property
    def count(self) -> int:
        return len(self._pairs)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(self._pen)
        for a, b in self._pairs:
            path, head = link_path(a, b, self._over_rows, self.HEAD)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            painter.setBrush(self._color)
            painter.drawPolygon(head)
            painter.drawEllipse(path.pointAtPercent(0.0), 0.08, 0.08)


#: How far an arrow over a strip's row rises above the row's top edge, in cell heights, at
#: most: under the row above's numbers (and the column numbers above row 0).
LIFT = 0.16
#: Its head, in cells: it lies along the edge, in the gap between two rows' numbers.
EDGE_HEAD = 0.22
#: A 2D arrow's tip stops this far (cells) outside the edge of the cell it points to.
EDGE_GAP = 0.05
#: Where an arrow between neighbouring cells ends, in cells from their centres.
NEIGHBOUR_END = 0.3


def link_path(frm: tuple[int, int], to: tuple[int, int], over_rows: bool = False,
              head: float = LinksItem.HEAD) -> tuple[QPainterPath, QPolygonF]:
    """The arrow from cell ``frm`` (row, col) to cell ``to`` in view coordinates: its curve
    and its head. Between cell centres, bowed to one side; with ``over_rows`` (a Conv1d
    strip, whose border cell and source share a row) from the top edge of one cell to the
    top edge of the other, arched over the row and coming down at a slant, so that the two
    numbers it says are equal stay clear of it and of its head."""
    (r0, c0), (r1, c1) = frm, to
    if over_rows and r0 == r1:
        dx = c1 - c0
        rise = min(LIFT, 0.06 + 0.025 * abs(dx)) / 0.75  # (a cubic peaks at ¾ of it)
        slant = (1 if dx > 0 else -1) * min(0.5, abs(dx) / 3)
        a, tip = QPointF(c0 + 0.5, r0), QPointF(c1 + 0.5, r1)
        ctrl1 = QPointF(a.x() + slant, r0 - rise)
        ctrl2 = QPointF(tip.x() - slant, r1 - rise)
        path = QPainterPath(a)
        path.cubicTo(ctrl1, ctrl2, tip)
        return path, arrow_head(ctrl2, tip, min(head, EDGE_HEAD))
    # a 2D grid's: from the border cell's edge to just outside its source's, both facing
    # the other cell, so that neither number is struck through nor under the head (review
    # r12 G4); neighbours' (replicate padding) end inside the cells, beside a short
    # number, for a line long enough for its head
    a, b = QPointF(c0 + 0.5, r0 + 0.5), QPointF(c1 + 0.5, r1 + 0.5)
    apart = max(abs(c1 - c0), abs(r1 - r0))  # cells, along the longer axis
    out_a, out_b = (0.5, 0.5 + EDGE_GAP) if apart > 1 else (NEIGHBOUR_END, NEIGHBOUR_END)
    a, b = a + (b - a) * (out_a / apart), b + (a - b) * (out_b / apart)
    line = QLineF(a, b)
    normal = line.normalVector().unitVector()
    bend = QPointF(normal.dx(), normal.dy()) * min(0.35, 0.2 * line.length())
    ctrl = line.center() + bend
    path = QPainterPath(a)
    path.quadTo(ctrl, b)
    return path, arrow_head(ctrl, b, head)


def arrow_head(ctrl: QPointF, tip: QPointF, size: float) -> QPolygonF:
    """An arrowhead at ``tip`` pointing along the curve's last direction (from ``ctrl``)."""
    d = QLineF(ctrl, tip).unitVector()
    u = QPointF(d.dx(), d.dy())
    n = QPointF(-u.y(), u.x())
    base = tip - u * size
    return QPolygonF([tip, base + n * size * 0.45, base - n * size * 0.45])
