"""DockFitter: the Sum dock as tall as the equation panel wants, within a share of the
window (the grids come first), until the user drags its edge; its title down its side
while a sum is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QStyle

from .equation_panel import EquationPanel

#: The Sum dock never takes more than this share of the window's height: grids come first.
MAX_SHARE = 0.25
#: A window shorter than this (a projector's 1280×800) gives the Sum `SHORT_SHARE`: the
#: formula with its value and five term rows (the list scrolls), and the grids keep room to
#: print their numbers with an entry selected.
SHORT_WINDOW = 900
SHORT_SHARE = 0.19


class DockFitter(QObject):
    """Keeps the Sum dock as tall as its panel wants (one line with nothing selected, the
    sum and a few terms with an entry), until the user drags the dock's edge: from then on an
    entry's sum gets the user's height; nothing selected still collapses to one line."""

    def __init__(self, window: QMainWindow, dock: QDockWidget, panel: EquationPanel) -> None:
        super().__init__(window)
        self._window, self._dock, self._panel = window, dock, panel
        self._asked: int | None = None
        self._slack = 0  # what the dock ends up taller than asked (the layout's spacing)
        self.user_height: int | None = None  # the height the user dragged the dock to
        self._pressed: int | None = None  # the dock's height when a separator drag began
        panel.heightWanted.connect(self._on_panel_heightWanted)
        dock.installEventFilter(self)
        window.installEventFilter(self)
        self._on_panel_heightWanted(panel.wanted_height())

    def _title_down_the_side(self, side: bool) -> None:
        """The dock's title down its left edge while a sum is shown: across the top it took
        a term row of the list's room (a 1280×800 window gives the dock a fifth of its
        height); across the top with nothing selected, where the dock is one line high."""
        flag = QDockWidget.DockWidgetFeature.DockWidgetVerticalTitleBar
        features = self._dock.features()
        if bool(features & flag) != side:
            self._dock.setFeatures(features | flag if side else features & ~flag)

    def _chrome(self) -> int:
        """Pixels the dock adds around its panel (the title bar, when across the top)."""
        if self._dock.features() & QDockWidget.DockWidgetFeature.DockWidgetVerticalTitleBar:
            return 0
        extra = self._dock.height() - self._panel.height()
        if self._dock.isVisible() and self._panel.isVisible() and 12 < extra < 80:
            return extra
        style = self._dock.style()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_DockWidgetTitleMargin)
        return self._dock.fontMetrics().height() + 2 * margin + 4

    def _on_panel_heightWanted(self, wanted: int) -> None:
        terms = self._panel.terms  # (a sum of a term or two: the dock is short, its title
        # would not fit down its side)
        self._title_down_the_side(terms is not None and len(terms) > 2)
        tall = self._window.height()
        share = MAX_SHARE if tall >= SHORT_WINDOW else SHORT_SHARE
        height = min(wanted + self._chrome(), round(share * tall))
        if self._panel.terms is not None and self.user_height is not None:
            height = self.user_height
        self._asked = height
        self._window.resizeDocks([self._dock], [height], Qt.Orientation.Vertical)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self._dock and kind == QEvent.Type.Resize and self._pressed is None:
            height = event.size().height()
            if self._asked is not None and abs(height - self._asked) < 12:
                self._slack = height - self._asked
        elif watched is self._window and kind == QEvent.Type.MouseButtonPress:
            # a press the window itself gets is on a dock separator (or bare margin)
            self._pressed = self._dock.height()
        elif watched is self._window and kind == QEvent.Type.MouseButtonRelease:
            pressed, self._pressed = self._pressed, None
            if pressed is not None and self._dock.height() != pressed:
                self.user_height = self._dock.height() - self._slack  # the user dragged it
        return super().eventFilter(watched, event)
