"""EquationPanel: one entry as its sum of terms, the current term marked, the running sum.

    grad_weight[1,0,2,1] = Σ_{i,j} gy[0,1,i,j] · x[0,0,i+2,j+1]
    = 5.34          running sum, terms 0..13 of 256: 2.71
    ▶ term 13   gy[0,1,1,5] · x[0,0,3,6] = 1 · 0.42 = 0.42
    ┌──────────────────────────────────────────────────────────┐
    │   12  gy[0,1,1,4] · x[0,0,3,5] = 1 · −0.3 = −0.3   Σ 2.29 │  (a virtual list:
    │ ▶ 13  gy[0,1,1,5] · x[0,0,3,6] = 1 · 0.42 = 0.42  Σ 2.71 │   tens of thousands
    │   14  …                                                   │   of terms cost nothing)
    └──────────────────────────────────────────────────────────┘

Passive: ``set_terms(terms, step)`` in; ``stepRequested(int)`` out when a term is clicked.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.explain import Terms

from ..equation import (
    empty_reason,
    entry_text,
    fmt,
    padding_note,
    running_sums,
    symbolic,
    term_text,
)
from ..provenance import arrows_note
from .text_line import TextLine

HINT = ("Click an entry of output, grad_input, grad_weight or grad_bias to see the sum "
        "it is made of; hover any cell to see what it feeds.")
_CURRENT_BG = QColor("#ffedd5")
_PENDING_FG = QColor("#9ca3af")
_IndexLike = QModelIndex | QPersistentModelIndex
#: Term rows the panel asks room for before the list scrolls (the user may drag it taller).
LIST_ROWS = 5
#: ... and never more than this share of the window's height: the grids come first.
MAX_SHARE = 0.25
#: A window shorter than this (a projector's 1280×800) gives the Sum `SHORT_SHARE`: the
#: formula, the value and two or three term rows (the list scrolls), and the grids keep
#: room to print their numbers with an entry selected.
SHORT_WINDOW = 900
SHORT_SHARE = 0.19
#: Pixels between the formula and its value when the value shares the formula's line.
_INLINE_GAP = 24
#: The widest number `fmt` prints (4 significant digits, an exponent), for room to keep.
_WIDEST_NUMBER = "−8.888e+88"


class TermsModel(QAbstractListModel):
    """The terms of one sum as list rows; text is made only for the rows on screen."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._terms: Terms | None = None
        self._count = 0
        self._sums: np.ndarray | None = None
        self._step: int | None = None
        self._bold = QFont("monospace")
        self._bold.setStyleHint(QFont.StyleHint.Monospace)
        self._bold.setPointSizeF(10.0)
        self._bold.setBold(True)

    @property
    def terms(self) -> Terms | None:
        return self._terms

    def set_terms(self, terms: Terms | None) -> None:
        self.beginResetModel()
        self._terms = terms
        self._count = 0 if terms is None else len(terms)
        self._sums = None if terms is None else running_sums(terms)
        self._step = None
        self.endResetModel()

    def set_step(self, step: int | None) -> None:
        old, self._step = self._step, step
        if old == step or self._terms is None or len(self._terms) == 0:
            return
        # the rows between the old and the new step change colour (done / pending)
        if old is None or step is None:
            first, last = 0, len(self._terms) - 1
        else:
            first, last = min(old, step), max(old, step)
        self.dataChanged.emit(self.index(first), self.index(last))

    def rowCount(self, parent: _IndexLike = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def data(self, index: _IndexLike, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self._terms is None:
            return None
        i = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            mark = "▶" if i == self._step else " "
            total = "" if self._sums is None else f"    Σ {fmt(self._sums[i])}"
            return f"{mark}{i:>6}  {term_text(self._terms, i)}{total}"
        if role == Qt.ItemDataRole.BackgroundRole and i == self._step:
            return QBrush(_CURRENT_BG)
        if role == Qt.ItemDataRole.FontRole and i == self._step:
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole and self._step is not None and i > self._step:
            return QBrush(_PENDING_FG)
        return None


class EquationPanel(QWidget):
    """See the module docstring."""

    stepRequested = Signal(int)  # a term row was clicked
    termHovered = Signal(int)  # the term row under the pointer; -1 when it leaves the list
    heightWanted = Signal(int)  # the height the content needs (it changed)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("equationPanel")
        self._terms: Terms | None = None
        self._step: int | None = None
        # once more after the event loop turns: the style sheet's font, polished after the
        # scroll, changes the rows' height and moves the current one out of view
        self._keep_timer = QTimer(self, singleShot=True, interval=0)
        self._keep_timer.timeout.connect(self._on_keep_timer_timeout)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 3, 8, 2)  # (every pixel here is a term row's)
        layout.setSpacing(2)
        # TextLines, not QLabels: they change every step without re-laying out the window
        self.formula = TextLine(objectName="equationFormula")
        self.note = QLabel("", objectName="equationNote")
        self.note.setWordWrap(True)
        self.value = TextLine(objectName="equationValue")
        self.current = TextLine(objectName="equationCurrent")
        self.model = TermsModel(self)
        # a table, not a QListView: its rows are header sections of one fixed height, so
        # 100,000 terms cost no per-row layout (a list view asks the model about every row)
        self.list = QTableView(objectName="equationTerms")
        self.list.setModel(self.model)
        self.list.horizontalHeader().hide()
        self.list.verticalHeader().hide()
        self.list.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.list.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.list.setShowGrid(False)
        self.list.setWordWrap(False)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        # whole rows: the top one is never cut through its text (`_whole_rows` the bottom)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.list.setMouseTracking(True)  # 'entered' for hovering a term
        for w, size, bold in ((self.formula, 12.0, True), (self.value, 11.0, True),
                              (self.current, 10.5, False), (self.list, 10.0, False)):
            font = QFont("monospace")
            font.setStyleHint(QFont.StyleHint.Monospace)
            font.setPointSizeF(size)
            font.setBold(bold)
            w.setFont(font)
        self.list.verticalHeader().setDefaultSectionSize(self.list.fontMetrics().height() + 2)
        # at least two term rows, no more: a scroll area's own least height (its scroll bar's
        # arrows and slider) kept the dock some 25 px taller than `SHORT_SHARE` allows
        self.list.setMinimumHeight(2 * self.list.verticalHeader().defaultSectionSize()
                                   + 2 * self.list.frameWidth())
        # the value shares the formula's line when both fit (`_place_value`): a short window
        # gives the Sum a fifth of its height, and a line of its own was a term row less
        self._head = QHBoxLayout()
        self._head.setSpacing(_INLINE_GAP)
        self._head.addWidget(self.formula)
        self._inline = False
        layout.addLayout(self._head)
        for w in (self.note, self.value, self.current):
            layout.addWidget(w)
        layout.addWidget(self.list, 1)
        layout.addStretch(0)  # keeps the lines at the top while the list is hidden
        self.list.clicked.connect(self._on_list_clicked)
        self.list.entered.connect(self._on_list_entered)
        self.list.viewport().installEventFilter(self)
        self._hovered = -1
        self._wanted = 0
        self.clear()

    # -- data in -------------------------------------------------------------------------
    def set_terms(self, terms: Terms | None, step: int | None = None) -> None:
        """Show ``terms`` (one entry's sum) with terms before ``step`` summed, ``step`` current.

        ``step=None`` shows the whole sum. The same ``terms`` object again only moves the step.
        """
        if terms is None:
            self.clear()
            return
        if step is not None and not 0 <= step < len(terms):
            raise IndexError(f"step {step} is out of range for {len(terms)} terms")
        if terms is not self._terms:
            self._terms = terms
            self._step = None
            self.model.set_terms(terms)
            self.formula.setText(symbolic(terms))
            self.formula.setVisible(True)
            note = "\n".join(n for n in (padding_note(terms.spec), arrows_note(terms)) if n)
            if note != self.note.text():
                self.note.setText(note)
            self.note.setVisible(bool(note))
            self.list.setVisible(True)
            self.list.scrollToTop()  # a new sum starts at term 0
            self._place_value()
            self._whole_rows()
            self._announce_height()
        elif step == self._step:
            return
        self._step = step
        self.model.set_step(step)
        self._show_step()

    def clear(self) -> None:
        self._terms, self._step = None, None
        self.model.set_terms(None)
        for label in (self.formula, self.value, self.current):
            label.setText("")
            label.setVisible(False)
        self.note.setText(HINT)
        self.note.setVisible(True)
        self.list.setVisible(False)
        self._place_value()
        self._announce_height()

    def wanted_height(self) -> int:
        """Pixels the content needs: its lines, and up to `LIST_ROWS` term rows."""
        height = self._lines_height()
        if self._terms is not None:
            rows = min(max(len(self._terms), 1), LIST_ROWS)
            frame = 2 * self.list.frameWidth()
            height += rows * self.list.verticalHeader().defaultSectionSize() + frame
        return height

    def _lines_height(self) -> int:
        """Pixels the margins and the lines above the list take (the value on the
        formula's line counts once)."""
        margins = self.layout().contentsMargins()
        spacing = self.layout().spacing()
        shown = [w for w in (self.formula, self.note, self.value, self.current)
                 if not w.isHidden() and not (w is self.value and self._inline)]
        height = margins.top() + margins.bottom()
        width = max(self.width() - margins.left() - margins.right(), 200)
        for w in shown:
            hfw = w.heightForWidth(width) if w.hasHeightForWidth() else -1
            height += (hfw if hfw > 0 else w.sizeHint().height()) + spacing
        return height

    def _whole_rows(self) -> None:
        """Hold the list to a whole number of term rows (the pixels left over go below it):
        a row cut through its text, above or below the current one, read as broken."""
        row = self.list.verticalHeader().defaultSectionSize()
        frame = 2 * self.list.frameWidth()
        rows = max((self.height() - self._lines_height() - frame) // row, 2)
        if self.list.maximumHeight() != rows * row + frame:
            self.list.setMaximumHeight(rows * row + frame)

    def _announce_height(self) -> None:
        """Say the height the content wants (every new sum: the dock may have been dragged)."""
        wanted = self.wanted_height()
        if wanted != self._wanted or self._terms is not None:
            self._wanted = wanted
            self.heightWanted.emit(wanted)

    # -- reading back (tests) ------------------------------------------------------------
    @property
    def terms(self) -> Terms | None:
        return self._terms

    @property
    def step(self) -> int | None:
        return self._step

    def running_sum(self) -> object:
        """The sum of the terms up to the current step (all of them without a step)."""
        sums = self.model._sums
        if sums is None or len(sums) == 0:
            return 0
        return sums[-1 if self._step is None else self._step]

    @property
    def value_inline(self) -> bool:
        """Whether the value line sits on the formula's line (both fit the panel's width)."""
        return self._inline

    # -- drawing -------------------------------------------------------------------------
    def _value_text(self, step: int | None, running: str, inline: bool) -> str:
        """The value line: the entry's value and, at a step, the running sum ``running``;
        ``inline`` (on the formula's line) it starts at '=': the formula names the entry."""
        terms = self._terms
        total = fmt(terms.sum() if terms.value is not None else None)
        head = "=" if inline else f"{entry_text(terms.target, terms.entry)} ="
        n = len(terms)
        if n == 0:
            return f"{head} {total}    (no terms: {empty_reason(terms)})"
        if step is None:
            return f"{head} {total}    ({n} term{'' if n == 1 else 's'})"
        return f"{head} {total}    running sum, terms 0..{step} of {n}: {running}"

    def _place_value(self) -> None:
        """The value on the formula's line when both fit beside each other at any step (the
        widest running sum `fmt` prints), else on a line of its own under the formula."""
        inline, formula_w = False, 0
        if self._terms is not None:
            margins = self.layout().contentsMargins()
            room = self.width() - margins.left() - margins.right()
            last = len(self._terms) - 1 if len(self._terms) else None
            value = self._value_text(last, _WIDEST_NUMBER, inline=True)
            formula_w = self.formula.fontMetrics().horizontalAdvance(self.formula.text()) + 6
            value_w = self.value.fontMetrics().horizontalAdvance(value) + 6
            inline = formula_w + _INLINE_GAP + value_w <= room
        if inline:  # (a TextLine's width policy is Ignored: the box layout would give it none)
            self.formula.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            self.formula.setFixedWidth(formula_w)
        if inline != self._inline:
            self._inline = inline
            layout = self.layout()
            if inline:
                layout.removeWidget(self.value)
                self._head.addWidget(self.value, 1)
            else:
                self._head.removeWidget(self.value)
                layout.insertWidget(layout.indexOf(self.note) + 1, self.value)
                self.formula.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
                self.formula.setMinimumWidth(0)
                self.formula.setMaximumWidth(16777215)
        if self._terms is not None and self._terms is self.model.terms:
            self.value.setText(self._value_text(self._step, fmt(self.running_sum()), inline))

    def _show_step(self) -> None:
        terms, step = self._terms, self._step
        n = len(terms)
        self.value.setText(self._value_text(step, fmt(self.running_sum()), self._inline))
        if n == 0 or step is None:
            self.current.setVisible(False)
        else:
            self.current.setText(f"▶ term {step}   {term_text(terms, step)}")
            # the list shows the current term marked, in context: the line (kept for exports
            # and a list someone hides) would only repeat it, in room the grids need
            self.current.setVisible(self.list.isHidden())
            self._keep_current_in_view()
        self.value.setVisible(True)

    def _keep_current_in_view(self) -> None:
        self._scroll_to_current()
        self._keep_timer.start()

    def _on_keep_timer_timeout(self) -> None:
        self._scroll_to_current()

    def _scroll_to_current(self) -> None:
        if self._step is None:
            return
        # the current term and one term of context each side (the ones a student compares)
        first, last = max(self._step - 1, 0), min(self._step + 1, self.model.rowCount() - 1)
        shown = self.list.viewport().rect()
        if not all(shown.contains(self.list.visualRect(self.model.index(i)))
                   for i in (first, self._step, last)):
            self.list.scrollTo(self.model.index(self._step),
                               QAbstractItemView.ScrollHint.PositionAtCenter)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._place_value()
        self._whole_rows()
        self._keep_current_in_view()  # the dock was resized: the current term stays in view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.list.viewport() and event.type() == QEvent.Type.Leave:
            self._on_list_entered(QModelIndex())
        if watched is self.list.viewport() and event.type() == QEvent.Type.Resize:
            self._keep_current_in_view()  # the list's own height settles after the dock's
        return super().eventFilter(watched, event)

    def _on_list_entered(self, index: QModelIndex) -> None:
        row = index.row() if index.isValid() else -1
        if row != self._hovered:
            self._hovered = row
            self.termHovered.emit(row)

    def _on_list_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.stepRequested.emit(index.row())


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
        self._title_down_the_side(self._panel.terms is not None)
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
