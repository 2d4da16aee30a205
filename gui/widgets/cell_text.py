"""The numbers a grid prints: each cell's value (`CellTextItem`) and the row and column
numbers beside the cells (`IndexLabelsItem`), in a condensed face, in the most precise
format that fits the cells on screen. Cells are unit squares in view coordinates, as in
`gui.widgets.grid_items`; the text is drawn in device pixels.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPaintEngine, QPainter
from PySide6.QtWidgets import QGraphicsItem

from ..equation import cell_number

_FORMATS = ("{:.3f}", "{:.2f}", "{:.1f}")
_EXP_FORMATS = ("{:.2e}", "{:.1e}", "{:.0e}")
_MAX_WIDTHS = 65536  # measured texts a grid remembers (a 128×128 grid's are 16,384)


def _texts(values: np.ndarray, fmt: str, blank_nan: bool = False,
           memo: dict[float, str] | None = None) -> list[list[str]]:
    """Each value as printed; ``memo`` (value -> text in ``fmt``) spares the values an edit
    left alone from being formatted again."""
    memo = {} if memo is None else memo
    if len(memo) >= _MAX_WIDTHS:
        memo.clear()

    def text(v: float) -> str:
        t = memo.get(v)
        if t is None:
            t = memo[v] = cell_number(v, fmt)
        return t

    return [["" if blank_nan and v != v else text(v) for v in row] for row in values.tolist()]


def value_font(point_size: float) -> QFont:
    """The condensed face for numbers in cells (a quarter narrower: more cells print)."""
    font = QFont()
    font.setPointSizeF(point_size)
    font.setStretch(QFont.Stretch.Condensed)
    return font


def dark_cells(values: np.ndarray, levels: tuple[float, float], cmap: pg.ColorMap) -> np.ndarray:
    """Cells whose colour under ``cmap`` and ``levels`` is dark enough to need white text."""
    lo, hi = levels
    t = np.clip((values - lo) / ((hi - lo) or 1.0), 0.0, 1.0)
    rgb = cmap.map(np.nan_to_num(t, nan=0.5), mode="float")
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114 < 0.45


class CellTextItem(QGraphicsItem):
    """Prints each cell's value when cells are large enough on screen to read it.

    The text is drawn in device pixels (not scaled with the view), in the most precise
    format that fits the current cell width, at 8 pt, or 7 pt where only that fits (a
    projected small window: a number a step smaller beats a colour alone, and beats a
    digit less); border cells
    (``muted``) in grey italics.
    ``blank_nan``: NaN cells print nothing (the im2col view's blank off-block cells).
    """

    MIN_CELL_PX = 14.0
    POINT_SIZES = (8.0, 7.0)  # tried in turn: the first whose text fits the cell
    GAP = 3.0  # pixels a number leaves free across its cell (both sides together)

    def __init__(self, parent: QGraphicsItem | None = None, blank_nan: bool = False,
                 view_rect=None) -> None:
        super().__init__(parent)
        self._view_rect = view_rect  # what the view shows (None: every cell is whole)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresParentOpacity, False)
        self._values = np.zeros((0, 0))
        self._dark = np.zeros((0, 0), bool)
        self._muted: np.ndarray | None = None
        self._blank_nan = blank_nan
        self._cache: dict[str, list[list[str]]] = {}
        self._fits: dict[tuple[int, int], tuple[int, list[list[str]]] | None] = {}
        self._min_widths: dict[str, float] = {}  # format -> least cell width printing it
        self._widths: dict[str, float] = {}  # text -> advance in the smallest font
        self._memo: dict[str, dict[float, str]] = {}  # format -> value -> text
        self._fonts = [value_font(size) for size in self.POINT_SIZES]
        self._italics = [QFont(font) for font in self._fonts]
        for font in self._italics:
            font.setItalic(True)
        self._all_metrics = [QFontMetricsF(font) for font in self._fonts]
        self._metrics = self._all_metrics[-1]  # the smallest: what fits at the least

    def set_values(self, values: np.ndarray, dark: np.ndarray, muted: np.ndarray | None) -> None:
        """``values`` (rows, cols) real; ``dark``: cells that need white text; ``muted``: border."""
        self.prepareGeometryChange()
        self._values, self._dark, self._muted = values, dark, muted
        self._cache.clear()
        self._fits.clear()
        self._min_widths.clear()
        self.update()

    def boundingRect(self) -> QRectF:
        rows, cols = self._values.shape
        return QRectF(0, 0, cols, rows)

    def min_height(self) -> float:
        """The least cell height in pixels at which values print (at the smallest size)."""
        return self._min_height(len(self._fonts) - 1)

    def _min_height(self, level: int) -> float:
        return max(self._least(level), self._all_metrics[level].height() + 1.0)

    def _least(self, level: int) -> float:
        """The least cell side in pixels for font ``level`` (the smaller font: 2 less)."""
        return self.MIN_CELL_PX - 2.0 * level

    def min_width(self, finest: bool = False) -> float:
        """The least cell width in pixels at which every value prints (coarsest format;
        ``finest``: in the most precise format, the digits the Sum panel's numbers have)."""
        fmt = self._formats()[0 if finest else -1]
        width = self._min_widths.get(fmt)
        if width is None:
            texts = self._format_texts(fmt)
            widest = max((self._width(t) for row in texts for t in row), default=0.0)
            width = max(self._least(len(self._fonts) - 1), math.ceil(widest + self.GAP))
            self._min_widths[fmt] = width
        return width

    def printed_format(self, cell_w: float, cell_h: float) -> str | None:
        """The format values print in at cells of ``cell_w`` × ``cell_h`` pixels (e.g.
        '{:.1f}'); None when none prints."""
        fitting = self._fitting_texts(cell_w, cell_h)
        return None if fitting is None else fitting[2]

    def finest_format(self) -> str:
        """The most precise format these values can print in."""
        return self._formats()[0]

    def _width(self, text: str) -> float:
        """``text``'s advance in the smallest font. Measured once per text: an edit changes
        one cell, and measuring all of them on every edit was most of an edit's cost."""
        width = self._widths.get(text)
        if width is None:
            if len(self._widths) >= _MAX_WIDTHS:
                self._widths.clear()
            width = self._widths[text] = self._metrics.horizontalAdvance(text)
        return width

    def fits_at(self, cell_w: float, cell_h: float) -> bool:
        """Whether cells of ``cell_w`` × ``cell_h`` pixels print their values."""
        if self._values.size == 0:
            return False
        return self._fitting_texts(cell_w, cell_h) is not None

    def _formats(self) -> tuple[str, ...]:
        finite = self._values[np.isfinite(self._values)]
        top = float(np.max(np.abs(finite))) if finite.size else 0.0
        return _EXP_FORMATS if (top >= 1e4 or 0 < top < 1e-3) else _FORMATS

    def _format_texts(self, fmt: str) -> list[list[str]]:
        texts = self._cache.get(fmt)
        if texts is None:
            memo = self._memo.setdefault(fmt, {})
            texts = self._cache[fmt] = _texts(self._values, fmt, self._blank_nan, memo)
        return texts

    def _fitting_texts(self, cell_w: float, cell_h: float
                       ) -> tuple[int, list[list[str]], str] | None:
        """(font level, texts, format) of the most precise format, then the largest font,
        whose widest value fits a cell of ``cell_w`` × ``cell_h`` pixels; None when none
        does. Digits before size: a student matches these numbers to the Sum panel's, and
        '−2.4' in a cell where the Sum says −2.43 reads as another number."""
        key = (round(cell_w), round(cell_h))
        if key not in self._fits:
            # decided by the key alone: by the exact size, an 11.9 px cell's "no" was kept
            # for 12 and given back to a 12.1 px one
            self._fits[key] = None
            w, h = key
            levels = [level for level in range(len(self._fonts))
                      if h >= self._min_height(level) and w >= self._least(level)]
            self._fits[key] = next(
                ((level, self._format_texts(fmt), fmt) for fmt in self._formats()
                 for level in levels if self._fits_in(fmt, key[0], level)), None)
        return self._fits[key]

    def _fits_in(self, fmt: str, cell_px: float, level: int) -> bool:
        """Whether every value in ``fmt`` fits a cell ``cell_px`` wide in font ``level``."""
        values = self._values
        finite = values[np.isfinite(values)]
        top = float(np.max(np.abs(finite))) if finite.size else 0.0
        # the untrimmed text of the largest magnitude, signed if any value is negative,
        # is the widest any value can print in that format
        widest = -top if finite.size and float(finite.min()) < 0 else top
        room = cell_px - self.GAP
        advance = self._all_metrics[level].horizontalAdvance
        if advance(fmt.format(widest).replace("-", "−")) <= room:
            return True
        if finite.size and max(advance(cell_number(float(v), fmt))
                               for v in (finite.max(), finite.min())) > room:
            return False  # the largest or the most negative value, as printed, is too wide
        # (not '−12.4' made of 12.43 and −4.47: a text no cell holds, which refused widths
        # `min_width`, measuring the texts, gives)
        # trimmed texts ('1.000' -> '1') may still fit: measure the longest
        flat = [t for row in self._format_texts(fmt) for t in row]
        longest = max(map(len, flat), default=0)
        return all(advance(t) <= room for t in flat if len(t) == longest)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        rows, cols = self._values.shape
        if rows == 0 or cols == 0:
            return
        t = painter.worldTransform()
        cell_w, cell_h = abs(t.m11()), abs(t.m22())
        if not self.fits_at(cell_w, cell_h):
            return
        level, texts, _fmt = self._fitting_texts(cell_w, cell_h)
        font, italic = self._fonts[level], self._italics[level]
        exposed = option.exposedRect.intersected(self.boundingRect())
        r0, r1 = max(0, int(exposed.top())), min(rows, int(math.ceil(exposed.bottom())))
        c0, c1 = max(0, int(exposed.left())), min(cols, int(math.ceil(exposed.right())))
        if self._view_rect is not None:  # only cells wholly in view: a cut cell's number
            # read as another number ('−' of '−1.2'), and one under the sticky row and column
            # numbers printed over them
            shown, slack = self._view_rect(), 0.02
            r0 = max(r0, math.ceil(shown.top() - slack))
            c0 = max(c0, math.ceil(shown.left() - slack))
            r1 = min(r1, math.floor(shown.bottom() + slack))
            c1 = min(c1, math.floor(shown.right() + slack))
        painter.save()
        painter.resetTransform()
        light, dark, grey = QColor(20, 20, 20), QColor(255, 255, 255), QColor(90, 90, 90)
        # An SVG keeps the family and size but not the condensed stretch: a renderer set the
        # numbers a quarter wider than the screen and they ran together ('−0.760.53'). There
        # the plain face is drawn squeezed by the stretch, which every renderer applies.
        squeeze = painter.paintEngine().type() == QPaintEngine.Type.SVG
        if squeeze:
            font, italic = _unstretched(font), _unstretched(italic)
        for r in range(r0, r1):
            for c in range(c0, c1):
                muted = self._muted is not None and self._muted[r, c]
                painter.setFont(italic if muted else font)
                painter.setPen(dark if self._dark[r, c] else (grey if muted else light))
                rect = t.mapRect(QRectF(c, r, 1, 1))
                if squeeze:
                    _draw_squeezed(painter, rect, texts[r][c], self._fonts[level].stretch())
                else:
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, texts[r][c])
        painter.restore()


def _unstretched(font: QFont) -> QFont:
    plain = QFont(font)
    plain.setStretch(QFont.Stretch.Unstretched)
    return plain


def _draw_squeezed(painter: QPainter, rect: QRectF, text: str, stretch: int) -> None:
    """``text`` centred in ``rect``, drawn ``stretch`` % as wide as the font sets it."""
    k = stretch / 100.0 if stretch > 0 else 1.0
    painter.save()
    painter.translate(rect.center())
    painter.scale(k, 1.0)
    wide = QRectF(-rect.width() / (2 * k), -rect.height() / 2, rect.width() / k, rect.height())
    painter.drawText(wide, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


class IndexLabelsItem(QGraphicsItem):
    """Row and column numbers of the real cells, left of and above the grid, when cells are
    large enough to read them (like a spreadsheet's headers).

    Zoomed in, the margin scrolls out of view: the numbers then stick to the top and left
    edges of what is shown (``view_rect`` says what that is), on a light band.
    """

    MIN_CELL_PX = 12.0  # (a step under the values: the numbers are short)

    def __init__(self, parent: QGraphicsItem | None = None, view_rect=None) -> None:
        super().__init__(parent)
        self._rows = self._cols = 0
        self._offset = (0, 0)
        self.margin = 0.5
        self._view_rect = view_rect
        self._font = value_font(7.5)
        self._band = QColor(255, 255, 255, 215)
        self.setZValue(35)  # over the cells, the highlights and the cursor when sticking

    @staticmethod
    def margin_for(rows: int, cols: int) -> float:
        """Cells of room to keep above and left: big cells need less of one to fit a number."""
        return 0.45 if max(rows, cols) <= 8 else 0.8

    def band_px(self, rows: int, cols: int) -> tuple[float, float]:
        """(height, width) in pixels of the column numbers' band and the row numbers'."""
        metrics = QFontMetricsF(self._font)
        return metrics.height() + 2.0, metrics.horizontalAdvance(str(max(rows - 1, 0))) + 6.0

    def set_margin(self, margin: float) -> None:
        """Cells of room above and left that the view keeps for the numbers."""
        if margin != self.margin:
            self.prepareGeometryChange()
            self.margin = margin

    def set_shape(self, rows: int, cols: int, offset: tuple[int, int]) -> None:
        """``rows`` × ``cols`` real cells, starting at image cell ``offset`` (padding)."""
        self.prepareGeometryChange()
        self._rows, self._cols, self._offset = rows, cols, offset
        self.margin = self.margin_for(rows + 2 * offset[0], cols + 2 * offset[1])

    def row_band(self) -> float:
        """Pixels the row numbers take when they stick to the left edge (zoomed, cropped)."""
        return max(self.band_px(self._rows, self._cols))

    def boundingRect(self) -> QRectF:
        top, left = self._offset
        m = self.margin
        return QRectF(-m, -m, left + self._cols + m + 1, top + self._rows + m + 1)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        t = painter.worldTransform()
        if min(abs(t.m11()), abs(t.m22())) < self.MIN_CELL_PX:
            return
        top, left = self._offset
        band = QFontMetricsF(self._font).height() + 2.0
        shown = t.mapRect(self._view_rect()) if self._view_rect is not None else QRectF()
        margin = t.mapRect(QRectF(-self.margin, -self.margin, self.margin, self.margin))
        # device y of the column numbers' band and x of the row numbers' band
        y0, x0 = margin.top(), margin.left()
        col_h, row_w = margin.height(), margin.width()
        stick_y = not shown.isNull() and shown.top() > y0 + 1
        stick_x = not shown.isNull() and shown.left() > x0 + 1
        painter.save()
        painter.resetTransform()
        painter.setFont(self._font)
        if stick_y:
            y0, col_h = shown.top(), band
            painter.fillRect(QRectF(shown.left(), y0, shown.width(), band), self._band)
        if stick_x:
            x0, row_w = shown.left(), self.row_band()
            painter.fillRect(QRectF(x0, shown.top(), row_w, shown.height()), self._band)
        painter.setPen(QColor(120, 120, 120))
        centre = Qt.AlignmentFlag.AlignCenter
        # the numbers of whole cells only: a cut one's number sat in the corner of the bands
        lo_x, hi_x = (-math.inf, math.inf) if shown.isNull() else (shown.left() - 0.5,
                                                                     shown.right() + 0.5)
        lo_y, hi_y = (-math.inf, math.inf) if shown.isNull() else (shown.top() - 0.5,
                                                                     shown.bottom() + 0.5)
        if stick_x:  # nor of a whole cell under the row numbers (a crop's margin > a cell)
            lo_x = shown.left() + row_w - 0.5
        for c in range(self._cols):
            cell = t.mapRect(QRectF(left + c, 0, 1, 1))
            if lo_x <= cell.left() and cell.right() <= hi_x:
                painter.drawText(QRectF(cell.left(), y0, cell.width(), col_h), centre, str(c))
        for r in range(self._rows):
            cell = t.mapRect(QRectF(0, top + r, 1, 1))
            if lo_y <= cell.top() and cell.bottom() <= hi_y:
                painter.drawText(QRectF(x0, cell.top(), row_w, cell.height()), centre, str(r))
        painter.restore()
