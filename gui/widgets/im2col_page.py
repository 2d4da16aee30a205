"""Im2colPage: one page of the im2col view, its matrices in a page that scrolls vertically.

A page fits its window while its cells print their numbers. Where they would be too short to
(conv3d_basic's forward page at 1280×800: 16 rows of Wᵀ above 18 of cols in ~430 px, 8 px a
row), each matrix keeps the least height and width that print its values, and the page
scrolls, as long as it stays within a few screens (`MAX_SCREENS`; a 256-row cols stays an
overview that fits, as before). One grid keeps the A·B = C alignment: a matrix's rows are as
tall as those of the matrix beside it. A sum's marked cells are scrolled into view (`reveal`).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSizeF, Qt, QTimer
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

from .matrix_plot import MatrixPlot

#: Width tiers tried in turn: every value in the Sum panel's digits, then in the fewest
#: digits that print; a page never scrolls sideways (None: no width floor).
_TIERS = (True, False, None)
_MARGIN = 6  # pixels left above or below cells scrolled into view


class Im2colPage(QScrollArea):
    """See the module docstring. ``graphics``: the page's GraphicsLayoutWidget."""

    #: The tallest a page grows to print its values, in heights of its viewport.
    MAX_SCREENS = 3.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("#ffffff")
        self.setWidget(self.graphics)
        self.plots: list[MatrixPlot] = []
        # (width, height) the page needs with each width tier (`measure`)
        self._needs: dict[bool | None, tuple[float, float]] = {}
        self._choice: tuple[bool, bool | None] = (False, None)  # (height floors, width tier)
        self._current_only = False
        self._revealing = False  # a reveal waits for the page's layout
        self._reveal_timer = QTimer(self, singleShot=True, interval=0)
        self._reveal_timer.timeout.connect(self._on_reveal_timer_timeout)
        self.verticalScrollBar().rangeChanged.connect(self._on_bar_rangeChanged)

    @property
    def ci(self) -> pg.GraphicsLayout:
        """The page's grid of matrices (as a GraphicsLayoutWidget's)."""
        return self.graphics.ci

    def add_plot(self, name: str, row: int, col: int, title: str) -> MatrixPlot:
        plot = MatrixPlot(name, self.graphics.addLayout(row=row, col=col), title)
        self.plots.append(plot)
        return plot

    # -- room for the numbers ------------------------------------------------------------
    def measure(self) -> None:
        """What the page needs for every cell to print, with each width tier (after new
        arrays), then the floors its size calls for."""
        self._needs = {}
        for tier in _TIERS:
            hint = self._set_floors(True, tier)
            self._needs[tier] = (math.ceil(hint.width()), math.ceil(hint.height()))
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
        overview); else the heights that print and the widths of the first tier that needs
        no sideways scrolling."""
        if not self._needs:
            return
        height = self._needs[None][1]
        tall = height <= self.MAX_SCREENS * self.height() and not self._prints_as_fitted()
        room = self.width() - (self.verticalScrollBar().sizeHint().width()
                               if tall and height > self.height() else 0)
        tier = next((t for t in _TIERS if t is None or self._needs[t][0] <= room), None) \
            if tall else None
        choice = (tall, tier)
        self._set_floors(*choice)
        if choice != self._choice or force:
            self._choice = choice
            width = self._needs[tier][0] if tall and tier is not None else 0
            self.graphics.setMinimumSize(width, height if tall else 0)
        # the grid at the page's size again: Qt held it at least as large as the floors were
        self.ci.setGeometry(QRectF(self.graphics.rect()))

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

    def _set_floors(self, tall: bool, tier: bool | None) -> QSizeF:
        """Each matrix's least size (heights that print where ``tall``; widths of ``tier``),
        and the grid's least size that follows."""
        for plot in self.plots:
            width, height = plot.floors(bool(tier))
            plot.view.setMinimumSize(width if tall and tier is not None else 0,
                                     height if tall else 0)
        return self._least_size()

    # -- the marked cells in view --------------------------------------------------------
    def reveal(self, current_only: bool = False) -> None:
        """Scroll the marked cells into view once the page is laid out: all of them where
        they fit (a new sum), else the current term's (each step); where those do not fit
        together either, their lowest ones: the result's row (C of A·B = C is in the
        bottom row of every page) and what lies in it."""
        self._current_only = current_only
        self._revealing = True
        self._reveal_timer.start()

    def _on_bar_rangeChanged(self, low: int, high: int) -> None:
        if self._revealing:
            self._reveal_timer.start()

    def _on_reveal_timer_timeout(self) -> None:
        bar = self.verticalScrollBar()
        if bar.maximum() == 0:  # (a page still to grow: the range's change calls again)
            self._revealing = self.graphics.minimumHeight() > self.viewport().height()
            return
        self._revealing = False
        height = self.viewport().height()
        for current in (False, True)[self._current_only:]:
            area = QRectF()
            for plot in self.plots:
                rect = plot.marked_rect(current)
                if rect is not None:
                    area = area.united(QRectF(self.graphics.mapFromScene(rect).boundingRect()))
            if area.isEmpty() or area.height() + 2 * _MARGIN > height and not current:
                continue
            top = bar.value()
            if area.height() + 2 * _MARGIN > height or area.bottom() + _MARGIN > top + height:
                top = area.bottom() + _MARGIN - height  # (too tall: the product's row)
            elif area.top() - _MARGIN < top:
                top = area.top() - _MARGIN
            bar.setValue(round(top))
            return
