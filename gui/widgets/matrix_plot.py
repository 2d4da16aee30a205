"""One matrix of the im2col view: `MatrixPlot`, a heatmap with axes, the read cells, bands,
the current cell and dashed frames; `CellAxis`, its row and column labels at cell centres."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from ..im2col_axes import Marks
from .cell_text import CellTextItem, dark_cells
from .grid_items import colormap, nice_limit
from .highlight_items import CellsLayer
from .tensor_info import to_view

_BAND = QColor("#0f766e")
_NO_CELLS = np.zeros((0, 2), np.int64)
_PADDING = 0.02  # of the array's size, around it in its view (pyqtgraph's setRange padding)


def _cosmetic(color: QColor, width: float, style=Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCosmetic(True)
    return pen


class CellAxis(pg.AxisItem):
    """Row or column numbers at cell centres: whole numbers only, never 0.5 or 1.5, spaced
    so that no two labels touch (a top axis leaves room for its widest number)."""

    MIN_PIXELS = 28  # between two labels' centres, at least
    GAP = 8  # pixels between two labels of a top axis
    #: what row/column i indexes, as a label ("2;1,0,2"); None: the number i
    labeler: Callable[[int], str] | None = None
    #: the rows/columns there are (a framed image's view reaches below its last row)
    count: int | None = None

    def set_labeler(self, labeler: Callable[[int], str] | None) -> None:
        if labeler is not self.labeler:
            self.labeler = labeler
            self.picture = None  # pyqtgraph's cached drawing of the ticks
            self.update()

    def min_spacing(self, last: int) -> float:
        """Pixels between two labels' centres when the largest number is ``last``."""
        if self.orientation not in ("top", "bottom"):
            return self.MIN_PIXELS
        font = self.style.get("tickFont") or self.font()
        label = self.labeler or str
        width = max(QFontMetricsF(font).horizontalAdvance(label(i))
                    for i in {0, max(last, 0)})
        return max(self.MIN_PIXELS, width + self.GAP)

    def label_width(self, count: int) -> float:
        """Pixels the widest of the labels of ``count`` rows needs ("1,2,10" for a 3D layer's
        positions; the last few thousand rows are the longest ones)."""
        font = self.style.get("tickFont") or self.font()
        metrics, label = QFontMetricsF(font), self.labeler or str
        return max((metrics.horizontalAdvance(label(i))
                    for i in range(max(count - 4096, 0), count)), default=0.0)

    def fit_labels(self, count: int) -> None:
        """A left axis as wide as its widest label needs: pyqtgraph widens it only after a
        paint that clipped them, so a first frame (a --screenshot) showed "0" for "0,0,0"."""
        if self.orientation not in ("left", "right"):
            return
        text = math.ceil(self.label_width(count))
        self.setWidth(text + self.style["tickTextOffset"][0] + max(0, self.style["tickLength"]))

    def tickValues(self, minVal: float, maxVal: float, size: float):
        minVal, maxVal = sorted((minVal, maxVal))  # an inverted view gives them reversed
        first, last = max(int(np.ceil(minVal - 0.5)), 0), int(np.floor(maxVal - 0.5))
        if self.count is not None:
            last = min(last, self.count - 1)
        if last < first or size <= 0:
            return []
        per_cell = size / max(maxVal - minVal, 1e-9)
        room = self.min_spacing(last)
        nice = (m * 10**e for e in range(12) for m in (1, 2, 5))  # 1, 2, 5, 10, 20, ...
        # a stacked 3D image (im2col_axes.SliceRows): a tick at each depth slice's first row
        period = getattr(self.labeler, "period", 1)
        step = period * next((k for k in nice if k * period * per_cell >= room), 10**12)
        start = -(-first // step) * step
        return [(float(step), [k + 0.5 for k in range(start, last + 1, step)])]

    def tickStrings(self, values, scale, spacing):
        label = self.labeler or str
        return [label(int(round(v - 0.5))) for v in values]


class MatrixViewBox(pg.ViewBox):
    """A matrix's view: Ctrl+wheel zooms it, as it does the tensor grids; a plain wheel is
    left to the page around it, which scrolls (`gui.widgets.im2col_page`)."""

    def wheelEvent(self, ev, axis=None) -> None:
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().wheelEvent(ev, axis)
        else:
            ev.ignore()


class MatrixPlot:
    """One array: a heatmap with axes, a mask of read cells, bands and the current cell.

    A title, a top and a left axis around a ViewBox, in a sub-layout of ``layout`` (not a
    PlotItem, whose parentless option menus would outlive the window).
    """

    def __init__(self, name: str, layout: pg.GraphicsLayout, title: str) -> None:
        self.name = name
        self.layout = layout
        # pyqtgraph's 9 px margins and 6 px spacing cost a page of five matrices 160 px
        # across: a 27-column matrix's cells 6 px more each (seed001's dcols at 1280×800)
        layout.setContentsMargins(3, 3, 3, 3)
        layout.setSpacing(2)
        self.view = MatrixViewBox(invertY=True, enableMenu=False)
        self.title = layout.addLabel(title, row=0, col=1, color="#4b5563")
        self.axes = (CellAxis("top", linkView=self.view), CellAxis("left", linkView=self.view))
        layout.addItem(self.axes[0], row=1, col=1)
        layout.addItem(self.axes[1], row=2, col=0)
        layout.addItem(self.view, row=2, col=1)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.read = CellsLayer("read")
        self.bands = QGraphicsPathItem()
        self.bands.setPen(_cosmetic(_BAND, 1.5, Qt.PenStyle.DashLine))
        self.bands.setBrush(QBrush(QColor(15, 118, 110, 40)))
        self.bands.setZValue(6)
        self.bands.setZValue(self.read.zValue() + 1)
        self.current = CellsLayer("current")
        self.texts = CellTextItem(blank_nan=True)  # the values, when the cells have room
        self.texts.setZValue(self.current.zValue() + 1)
        self.box = QGraphicsPathItem()  # e.g. what a transposed layer's crop keeps
        self.box.setPen(_cosmetic(QColor("#111827"), 2.0, Qt.PenStyle.DashLine))
        self.box.setZValue(self.bands.zValue())
        self.slices = QGraphicsPathItem()  # a 3D image's depth slices, one below the other
        self.slices.setPen(_cosmetic(QColor("#ffffff"), 3.0))
        self.slices.setZValue(self.read.zValue() - 0.5)
        self.slice_rows = 0  # rows per depth slice (0: not a stack)
        for item in (self.image, self.read, self.bands, self.current, self.texts, self.box,
                     self.slices):
            self.view.addItem(item)
        self.array: np.ndarray | None = None  # the 2D array on screen, as core gave it
        self.channel = 0
        self.read_mask = np.zeros((0, 0), bool)  # what is marked, for tests
        self.current_mask = np.zeros((0, 0), bool)
        self._bands: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())  # (rows, cols)
        #: an image beside the product (`frame`); the column its crop is centred on
        self.framed = False
        self._centre: float | None = None
        self.sink = 0.0  # pixels below its box's top a framed image is drawn (`set_sink`)
        self.view.sigResized.connect(self._on_view_sigResized)

    def set_array(self, array: np.ndarray, mode: str, channel: int = 0) -> None:
        """Show a 2D array, or channel ``channel`` of a 3D image."""
        if array.ndim == 3:
            channel = min(max(channel, 0), array.shape[0] - 1)
            array = array[channel]
        self.channel = channel
        self.array = array
        values = np.asarray(to_view(array, mode), dtype=np.float64)
        finite = np.abs(values[np.isfinite(values)])
        m = nice_limit(float(finite.max()) if finite.size else 1.0)
        cmap = "sequential" if mode == "abs" and np.iscomplexobj(array) else "diverging"
        lo = 0.0 if cmap == "sequential" else -m
        self.image.setLookupTable(colormap(cmap).getLookupTable(nPts=256))
        self.image.setImage(values, levels=(lo, m), autoLevels=False)
        self.texts.set_values(values, dark_cells(values, (lo, m), colormap(cmap)), None)
        self.set_slices(self.slice_rows)
        rows, cols = values.shape
        self.axes[1].fit_labels(rows)
        self.axes[1].count, self.axes[0].count = rows, cols
        self.fit()

    def fit(self) -> None:
        """Show the whole array, or as much of a `framed` image as prints (`_framed_area`);
        zooming out stops there (a matrix zoomed out with Ctrl+wheel was a small patch in
        the middle of its box, review r13 S3); a framed image may still pan along."""
        if self.array is None:
            return
        rows, cols = self.array.shape
        grow = 1.0 + 2.0 * _PADDING
        whole = QRectF(-_PADDING * cols, -_PADDING * rows, max(cols, 1) * grow,
                       max(rows, 1) * grow)
        area = self._framed_area() if self.framed else whole
        reach = whole.united(area)
        self.view.setLimits(xMin=reach.left(), xMax=reach.right(), yMin=reach.top(),
                            yMax=reach.bottom(), maxXRange=area.width(),
                            maxYRange=area.height())
        self.view.setRange(area, padding=0.0)

    def _framed_area(self) -> QRectF:
        """An image's view: cells at most as tall as wide (or as a line of text), the image at
        the top of its box (a Conv1d 64 long's 2 × 64 output took the 64-row cols' height
        beside it: 8 × 394 px cells, review r13 S2); where its cells are too narrow to print,
        the columns around the sum's (`_centre`) at the least width that prints, as the
        Tensors tab's 1-D strips are cropped."""
        rows, cols = self.array.shape
        w, h = self.view.width(), self.view.height()
        grow = 1.0 + 2.0 * _PADDING
        left, across = -_PADDING * cols, cols * grow
        if w <= 0 or h <= 0:
            return QRectF(left, -_PADDING * rows, across, rows * grow)
        least = self.texts.min_width()  # (the least cell width that prints the values)
        if w / across < least and self._centre is not None:
            across = max(w / least, 1.0)
            left = min(max(self._centre - across / 2, 0.0), cols - across)
        cap = max(w / across, self.texts.min_height() + 0.5)
        down = max(rows * grow, h / cap)
        room = max(h - rows * grow * cap, 0.0)  # pixels the image leaves empty in its box
        top = -_PADDING * rows - min(self.sink, room) / cap
        return QRectF(left, top, across, down)

    def set_sink(self, pixels: float) -> None:
        """Draw a framed image ``pixels`` below its box's top (as far as the box allows):
        the page keeps it in the part of its tall box that is scrolled into view."""
        pixels = max(round(pixels), 0)
        if self.framed and pixels != self.sink:
            self.sink = pixels
            self.fit()

    def _on_view_sigResized(self, view) -> None:
        if self.framed:
            self.fit()

    def set_box(self, box: tuple[int, int, int, int] | list | None) -> None:
        """Frame cells (top, left, rows, cols) with a dashed line (a list: several frames, a
        3D layer's per depth slice); None: no frame."""
        path = QPainterPath()
        for top, left, rows, cols in [] if box is None else [box] if isinstance(box, tuple) \
                else box:
            path.addRect(QRectF(left, top, cols, rows))
        self.box.setPath(path)

    def set_slices(self, rows: int) -> None:
        """Draw a white line between depth slices of ``rows`` rows each (0: none)."""
        self.slice_rows = rows
        path = QPainterPath()
        if rows and self.array is not None:
            height, width = self.array.shape
            for r in range(rows, height, rows):
                path.moveTo(0, r)
                path.lineTo(width, r)
        self.slices.setPath(path)

    def set_labels(self, rows: Callable[[int], str] | None,
                   cols: Callable[[int], str] | None) -> None:
        """What each row and column indexes, as labels (None: their numbers)."""
        self.axes[1].set_labeler(rows)
        self.axes[0].set_labeler(cols)
        if self.array is not None:
            self.axes[1].fit_labels(self.array.shape[0])

    def shows_values(self) -> bool:
        """Whether the cells on screen are large enough to print their values (and do)."""
        shown, w, h = self.view.viewRect(), self.view.width(), self.view.height()
        if self.array is None or shown.width() <= 0 or shown.height() <= 0:
            return False
        return self.texts.fits_at(w / shown.width(), h / shown.height())

    def floors(self, finest: bool) -> tuple[float, float]:
        """(width, height) in pixels the view needs for every cell to print its value (at
        the smallest font; ``finest``: as wide as the most precise format needs, the digits
        the Sum panel prints); (0, 0) with no array."""
        if self.array is None:
            return 0.0, 0.0
        rows, cols = self.array.shape
        grow = 1.0 + 2.0 * _PADDING
        # half a pixel more a row: the texts decide by the cell size rounded to a pixel, and
        # a row laid out a hair short of the least height must not round below it
        return (math.ceil(cols * grow * self.texts.min_width(finest)) + 1.0,
                math.ceil(rows * grow * (self.texts.min_height() + 0.5)) + 1.0)

    def marked_rect(self, current: bool) -> QRectF | None:
        """The scene rectangle around the cells marked read (``current``: the current term's
        cell), or None when none is."""
        mask = self.current_mask if current else self.read_mask
        cells = np.argwhere(mask)
        if not cells.size:
            return None
        (top, left), (bottom, right) = cells.min(axis=0), cells.max(axis=0) + 1
        return self._scene_rect(top, left, bottom, right)

    def band_rect(self) -> QRectF | None:
        """The scene rectangle of the entry's own cells: where its banded row and column
        cross (the product's cell the sum fills), else its banded rows or columns (cols'
        row of the entry); None with no bands."""
        rows, cols = self._bands
        if self.array is None or not rows and not cols:
            return None
        height, width = self.array.shape
        top, bottom = (min(rows), max(rows) + 1) if rows else (0, height)
        left, right = (min(cols), max(cols) + 1) if cols else (0, width)
        return self._scene_rect(top, left, bottom, right)

    def _scene_rect(self, top, left, bottom, right) -> QRectF:
        area = QRectF(float(left), float(top), float(right - left), float(bottom - top))
        return self.view.mapViewToScene(area).boundingRect()

    def clear(self) -> None:
        """Show nothing (the previous layer's matrices must not stay as if current)."""
        self.array = None
        self.image.clear()
        self.set_box(None)
        self.set_marks(None)

    def set_marks(self, mark: Marks | None) -> None:
        """The read cells and the entry's bands (once per selection)."""
        shape = None if self.array is None else self.array.shape
        self.read_mask = np.zeros(shape or (0, 0), bool)
        self._bands = ((), ()) if mark is None or shape is None else (mark.rows, mark.cols)
        if mark is None or shape is None:
            self._centre = None
            self.read.set_cells(_NO_CELLS, shape or (0, 0))
            self.bands.setPath(QPainterPath())
            self.set_current(None)
            return
        read = self._in_channel(mark.read)
        self.read_mask[read[:, 0], read[:, 1]] = True
        self._centre = (read[:, 1].min() + read[:, 1].max() + 1) / 2 if read.size else None
        self.read.set_cells(read, shape)
        band = QPainterPath()
        for r in mark.rows:
            band.addRect(QRectF(0, r, shape[1], 1))
        for c in mark.cols:
            band.addRect(QRectF(c, 0, 1, shape[0]))
        self.bands.setPath(band)
        self.set_current(mark)

    def set_current(self, mark: Marks | None) -> None:
        """Box the current term's cell (every step)."""
        shape = (0, 0) if self.array is None else self.array.shape
        self.current_mask = np.zeros(shape, bool)
        cells = _NO_CELLS if mark is None else self._in_channel(mark.current)
        self.current_mask[cells[:, 0], cells[:, 1]] = True
        self.current.set_cells(cells, shape)
        if self.framed and cells.size:  # a crop follows the current cell out of it
            shown = self.view.viewRect()
            if cells[:, 1].min() < shown.left() or cells[:, 1].max() + 1 > shown.right():
                self._centre = (cells[:, 1].min() + cells[:, 1].max() + 1) / 2
        if self.framed:
            self.fit()
        elif cells.size:  # a matrix zoomed in (Ctrl+wheel) pans to the player's cell
            (top, left), (bottom, right) = cells.min(axis=0), cells.max(axis=0) + 1
            shown = self.view.viewRect()
            self.view.translateBy(x=_shift(shown.left(), shown.right(), left, right),
                                  y=_shift(shown.top(), shown.bottom(), top, bottom))

    def _in_channel(self, cells: np.ndarray) -> np.ndarray:
        """(row, col) cells; an image's (channel, row, col) cells of the channel on screen."""
        if cells.shape[1] == 3:
            return cells[cells[:, 0] == self.channel][:, 1:]
        return cells


def _shift(low: float, high: float, first: float, last: float) -> float:
    """How far to move a view showing ``low`` to ``high`` the least that shows ``first`` to
    ``last`` (their start, where they are longer)."""
    if first < low or last - first > high - low:
        return first - low
    return max(last - high, 0.0)
