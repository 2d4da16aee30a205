"""Im2colPage: one page of the im2col view, its matrices in a page that scrolls.

A page fits its window while its cells print their numbers. Where they would be too small to
(conv3d_basic's forward page at 1280×800: 16 rows of Wᵀ above 18 of cols in ~430 px, 8 px a
row), each matrix keeps the least height and width that print its values, and the page
scrolls, as long as it stays within a few screens (`MAX_SCREENS`; a 256-row cols stays an
overview that fits, as before). The width left over goes to the grid's columns by the cells
they hold, not to whatever a title or an image asked for (seed001_im2col_gradients' dcols,
27 columns, had 9 px cells beside two 5 × 5 images with 40 px ones); where even the least
widths do not fit, the page scrolls sideways too (a Conv1d's 64-long rows). One grid keeps
the A·B = C alignment: a matrix's rows are as tall as those of the matrix beside it, its
columns as wide as those of the one above or below. A sum's marked cells are scrolled into
view (`reveal`).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSizeF, Qt, QTimer
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

from .matrix_plot import MatrixPlot

#: Width floors: every value in the Sum panel's digits ("finest"), in the fewest digits that
#: print ("least"), those of the product's matrices only ("products": not the images beside
#: C, a Conv1d's 64-long rows), none (None).
_TIERS = ("finest", "least", "products", None)
#: The tiers tried in turn, each within the window's width, or (True) within `MAX_SCREENS`
#: of it, scrolling sideways: the product's numbers before the images', none scrolled.
_ORDER = (("finest", False), ("least", False), ("products", False), ("least", True),
          ("products", True))
_IMAGES = 2  # the page grid's columns from this one on hold images (C is in column 1)
_MARGIN = 6  # pixels left above or below cells scrolled into view


class Im2colPage(QScrollArea):
    """See the module docstring. ``graphics``: the page's GraphicsLayoutWidget."""

    #: The tallest (widest) a page grows to print its values, in heights (widths) of its
    #: viewport.
    MAX_SCREENS = 3.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("#ffffff")
        self.ci.layout.setContentsMargins(4, 4, 4, 4)  # (pyqtgraph's 9 and 6: for cells)
        self.ci.layout.setSpacing(4)
        self.setWidget(self.graphics)
        self.plots: list[MatrixPlot] = []
        self._columns: list[int] = []  # each plot's column in the page's grid
        self._rows: list[int] = []  # and row (the result's, C of A·B = C, is the last)
        # (width, height) the page needs with each width tier (`measure`)
        self._needs: dict[str | None, tuple[float, float]] = {}
        self._widths: dict[str | None, dict[int, float]] = {}  # each grid column's, by tier
        self._choice: tuple[bool, str | None] = (False, None)  # (height floors, width tier)
        self._current_only = False
        self._reveal_timer = QTimer(self, singleShot=True, interval=0)
        self._reveal_timer.timeout.connect(self._on_reveal_timer_timeout)
        self.verticalScrollBar().rangeChanged.connect(self._on_bar_rangeChanged)
        self.verticalScrollBar().valueChanged.connect(self._on_vertical_valueChanged)
        self.horizontalScrollBar().rangeChanged.connect(self._on_bar_rangeChanged)

    @property
    def ci(self) -> pg.GraphicsLayout:
        """The page's grid of matrices (as a GraphicsLayoutWidget's)."""
        return self.graphics.ci

    def add_plot(self, name: str, row: int, col: int, title: str) -> MatrixPlot:
        plot = MatrixPlot(name, self.graphics.addLayout(row=row, col=col), title)
        plot.framed = col >= _IMAGES
        self.plots.append(plot)
        self._columns.append(col)
        self._rows.append(row)
        return plot

    # -- room for the numbers ------------------------------------------------------------
    def measure(self) -> None:
        """What the page needs for every cell to print, with each width tier (after new
        arrays), then the floors its size calls for."""
        self._needs, self._widths = {}, {}
        for tier in _TIERS:
            hint = self._set_floors(True, tier)
            self._needs[tier] = (math.ceil(hint.width()), math.ceil(hint.height()))
            widths: dict[int, float] = {}
            for plot, col in zip(self.plots, self._columns, strict=True):
                least = plot.layout.effectiveSizeHint(Qt.SizeHint.MinimumSize).width()
                widths[col] = max(widths.get(col, 0.0), least)
            self._widths[tier] = widths
        self._fit(force=True)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()
        self.reveal(self._current_only)  # a smaller window keeps the marked cells in view

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._fit()

    def floored(self) -> bool:
        """Whether the page keeps its cells large enough to print (and may scroll)."""
        return self._choice[0]

    def _fit(self, force: bool = False) -> None:
        """No floors where every matrix prints as the page fits the window (the look there is
        unchanged) or where they would make the page over `MAX_SCREENS` tall (it stays an
        overview); else the heights that print and the widths of the first tier in `_ORDER`
        that fits (a page wider than its window scrolls sideways), else none."""
        if not self._needs:
            return
        height = self._needs[None][1]
        tall = height <= self.MAX_SCREENS * self.height() and not self._prints_as_fitted()
        bar = self.verticalScrollBar().sizeHint().width()
        room = self.width() - (bar if tall and height > self.height() else 0)
        tier = next((t for t, scrolls in _ORDER if self._needs[t][0]
                     <= (self.MAX_SCREENS if scrolls else 1.0) * room), None) if tall else None
        choice = (tall, tier)
        self._set_floors(*choice)
        if tier is not None and self._needs[tier][0] < room:
            self._share_width(tier, room - self._needs[tier][0])
        if choice != self._choice or force:
            self._choice = choice
            width = self._needs[tier][0] if tier is not None else 0
            self.graphics.setMinimumSize(width, height if tall else 0)
        # the grid at the page's size again: Qt held it at least as large as the floors were
        self.ci.setGeometry(QRectF(self.graphics.rect()))

    def _share_width(self, tier: str, extra: float) -> None:
        """Widen the grid's columns of ``tier``'s least widths by ``extra`` pixels in all:
        first the columns of images left without floors up to the widths that print them
        (the last first, the target's: grad_input, not col2im's padded grid, where only one
        fits: seed001_im2col_gradients at 1280×800), then each by its share of the cells across
        (its widest matrix's columns): the slack goes to the many-column matrices, whose
        cells print, not to a long title or a small image."""
        widths = dict(self._widths[tier])
        extra -= 1.0  # a pixel less in all: rounding must not make the page scroll sideways
        for col in sorted(widths, reverse=True):
            gap = self._widths["least"][col] - widths[col]
            if 0 < gap <= extra:
                widths[col] += gap
                extra -= gap
        counts: dict[int, int] = {}
        for plot, col in zip(self.plots, self._columns, strict=True):
            if plot.array is not None:
                counts[col] = max(counts.get(col, 0), plot.array.shape[1])
        total = sum(counts.values())
        for col, width in widths.items():
            share = max(extra, 0.0) * counts.get(col, 0) / total if total else 0.0
            self.ci.layout.setColumnMinimumWidth(col, math.floor(width + share))
        self.ci.layout.invalidate()

    def _prints_as_fitted(self) -> bool:
        """Whether every matrix prints its values with no floors, the grid the page's size
        (laid out here and back: the choice must not follow what the floors themselves do)."""
        shown = [plot for plot in self.plots
                 if plot.array is not None and np.isfinite(plot.array).any()]
        if not shown:
            return True
        laid = self.ci.geometry()
        self._set_floors(False, None)
        self.ci.setGeometry(QRectF(0, 0, self.width(), self.height()))
        self.ci.layout.activate()
        prints = all(plot.shows_values() for plot in shown)
        self.ci.setGeometry(laid)
        return prints

    def _least_size(self) -> QSizeF:
        """The grid's least size now: its layouts' cached hints dropped first (Qt passes a
        change up to the outer layouts only once events are processed)."""
        for plot in self.plots:
            plot.layout.layout.invalidate()
            plot.layout.updateGeometry()
        self.ci.layout.invalidate()
        self.ci.updateGeometry()
        return self.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize)

    def _set_floors(self, tall: bool, tier: str | None) -> QSizeF:
        """Each matrix's least size (heights that print where ``tall``; widths of ``tier``),
        and the grid's least size that follows."""
        for plot, col in zip(self.plots, self._columns, strict=True):
            width, height = plot.floors(tier == "finest")
            wide = tier in ("finest", "least") or tier == "products" and not plot.framed
            plot.view.setMinimumSize(width if tall and wide else 0, height if tall else 0)
            self.ci.layout.setColumnMinimumWidth(col, 0)  # (`_share_width`'s, if any)
        return self._least_size()

    # -- the marked cells in view --------------------------------------------------------
    def reveal(self, current_only: bool = False) -> None:
        """Scroll the marked cells into view once the page is laid out, and again whenever
        its scroll ranges change (a scroll bar that appears takes from the other's room):
        all of them where they fit (a new sum), else the current term's (each step), else
        the current term's in the product's matrices (not the images beside C); where those
        do not fit either, their last ones. A sum with no step (a clicked entry) has no
        current term: then the entry's own cells in the result's row of the grid (C of
        A·B = C is in the bottom row of every page, right of A): its row and cell in the
        products, its cell in the images, else the products' alone, else the images'."""
        self._current_only = current_only
        self._reveal_timer.start()

    def _on_bar_rangeChanged(self, low: int, high: int) -> None:
        self._reveal_timer.start()

    def _on_vertical_valueChanged(self, value: int) -> None:
        self._place_images()

    def _place_images(self) -> None:
        """Draw each image beside the product in the part of its box in view (a C × L image
        in the 64-row cols' row stayed at the top while the page showed the sum's row 50)."""
        top = self.verticalScrollBar().value()
        for plot in self.plots:
            if plot.framed:
                box = self.graphics.mapFromScene(plot.view.sceneBoundingRect()).boundingRect()
                plot.set_sink(top + _MARGIN - box.top())

    def _on_reveal_timer_timeout(self) -> None:
        bars = (self.horizontalScrollBar(), self.verticalScrollBar())
        least = (self.graphics.minimumWidth(), self.graphics.minimumHeight())
        room = (self.viewport().width(), self.viewport().height())
        if any(bar.maximum() == 0 and need > size  # (a page still to grow: its range's
               for bar, need, size in zip(bars, least, room, strict=True)):  # change calls)
            return
        if all(bar.maximum() == 0 for bar in bars):
            return
        self.ci.layout.activate()  # (a layout's change is posted: cells where they will be)
        for kind, where, must_fit in _TRIES[self._current_only:]:
            area = self._area(kind, where)
            fits = area.width() + 2 * _MARGIN <= room[0] and \
                area.height() + 2 * _MARGIN <= room[1]
            if area.isEmpty() or not fits and must_fit:
                continue
            _scroll_to(bars[0], area.left(), area.right(), room[0])
            _scroll_to(bars[1], area.top(), area.bottom(), room[1])
            break
        self._place_images()

    def _area(self, kind: str, where: str) -> QRectF:
        """The page's rectangle around the ``kind`` cells ('read', 'current', 'entry': the
        products' `MatrixPlot.band_rect`, the images' read cells) of the plots ``where``
        ('all', 'products', 'images'; 'result…': those of the grid's last row only)."""
        last = max(self._rows, default=0)
        area, images = QRectF(), QRectF()
        for plot, row in zip(self.plots, self._rows, strict=True):
            image = plot.framed
            if where.startswith("result") and row != last or \
                    where.endswith("products") and image or where.endswith("images") and not image:
                continue
            if kind != "entry":
                rect = plot.marked_rect(kind == "current")
            else:  # an image's read cell; a product's band of the entry, else its reads
                # (dcols' rows a grad_input entry folds: no band of it)
                rect = None if image else plot.band_rect()
                if rect is None:
                    rect = plot.marked_rect(False)
            if rect is not None:
                rect = QRectF(self.graphics.mapFromScene(rect).boundingRect())
                if image:
                    images = images.united(rect)
                else:
                    area = area.united(rect)
        if area.isEmpty() or images.isEmpty():
            return area if images.isEmpty() else images
        # (an image is drawn in the part of its box in view, `_place_images`: at the top)
        images.moveTop(area.top())
        return area.united(images)


#: What `Im2colPage.reveal` scrolls into view, the first that is there (and fits, where
#: asked): (cells, of which plots, must fit). A step skips the first.
_TRIES = (("read", "all", True), ("current", "all", True), ("current", "products", False),
          ("entry", "result", True), ("entry", "result products", False),
          ("entry", "result images", False))


def _scroll_to(bar, low: float, high: float, size: int) -> None:
    """Scroll ``bar`` the least that shows ``low`` to ``high`` in a viewport ``size`` long;
    where that is too long, their end."""
    value = bar.value()
    if high - low + 2 * _MARGIN > size or high + _MARGIN > value + size:
        value = high + _MARGIN - size
    elif low - _MARGIN < value:
        value = low - _MARGIN
    bar.setValue(round(value))
