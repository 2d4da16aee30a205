"""Im2colView: the matrices core multiplies, laid out as the products they are.

Three pages (see `gui.im2col_layout`): the forward product ``cols · Wᵀ``, the weight
gradient ``dYᵀ · cols`` and the input gradient ``dY · W`` folded back by col2im and the
padding adjoint. A transposed layer has its own three (`gui.im2col_transposed`): each input
pixel's painted copy ``x · W`` folded and cropped, ``conj(x)ᵀ · gcols`` and unfold(gy) times
``conj(W)ᵀ``. The selected entry's terms mark their cells (teal), the current term's cell is
boxed (orange), and the entry's own row and column are banded. Each page scrolls where its
cells would otherwise be too short to print their numbers (`gui.widgets.im2col_page`), and
brings a sum's marked cells into view.

Passive: ``set_steps(Im2colSteps | TransposedSteps)`` and ``set_terms(terms, step)`` in;
``sampleRequested(int)`` out. Hidden, it only keeps what it was given and draws when shown
(``dataRequested`` then tells its owner, who may have skipped computing the matrices).
"""

from __future__ import annotations

import re
from types import ModuleType

import numpy as np
from PySide6.QtCore import QRect, QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.explain import Terms
from core.im2col_steps import Im2colSteps
from core.transposed_steps import TransposedSteps

from .. import im2col_layout, im2col_transposed
from ..im2col_layout import PAGE_TITLES, TITLES, Marks  # noqa: F401  (the Conv2d titles)
from .im2col_page import Im2colPage
from .matrix_plot import CellAxis, MatrixPlot  # noqa: F401  (CellAxis: tests import it here)

#: The layout of each layer kind, by ``spec.transposed``: modules with one interface (PAGES,
#: PAGE_OF, TITLES, PAGE_TITLES, PLACES, matrices, marks, boxes, caption).
LAYOUTS: dict[bool, ModuleType] = {False: im2col_layout, True: im2col_transposed}
#: The largest matrix the view computes and draws (`core.im2col_steps.im2col_entries`); beyond it
#: the view says so instead of freezing the window (8 Mi entries: 64 MiB in float64).
IM2COL_MAX_ENTRIES = 2**23
_TITLE_CHARS = 26  # a longer matrix title breaks before its size (`plot_title`)


def dtype_title(text: str, complex_: bool) -> str:
    """``text`` as it reads for the layer's dtype: conj(…) only where values are complex."""
    return text if complex_ else re.sub(r"conj\((\w+)\)", r"\1", text)


def plot_title(text: str) -> str:
    """A matrix's title on as many lines as it needs to stay about as wide as a short one:
    its size under its name, the size's words under it ('output, channel o = 1 (D·H × W:
    depth slices stacked)' on one line made a 6 × 3 image's column 350 px wide, its cells
    115 px, while the 18 × 16 cols beside it printed no numbers: review r12 G5)."""
    if len(text) <= _TITLE_CHARS:
        return text
    if "  (" not in text:  # a Conv2d's 'pad adjoint → grad_input, channel c = 2': 250 px
        # over a 5 × 5 image's 105, dcols beside them 9 px a cell (review r13 R4)
        return text.replace(" → ", "<br>→ ", 1).replace(", channel", ",<br>channel", 1)
    name, size = text.split("  (", 1)
    if len(name) > _TITLE_CHARS:  # 'pad adjoint → grad_input, channel c = 0' on one line
        name = name.replace(", channel", ",<br>channel", 1)  # left grad_cols 10 px cells
    return f"{name}<br>({size.replace(': ', ':<br>', 1)}"


class Im2colView(QWidget):
    """See the module docstring."""

    sampleRequested = Signal(int)
    dataRequested = Signal()  # shown: the owner may now compute the matrices it skipped

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("im2colView")
        self.setAccessibleName("the im2col view")
        self._steps: Im2colSteps | TransposedSteps | None = None
        self._why_empty = "no result yet"
        self._terms: Terms | None = None
        self._step: int | None = None
        self._mode = "real"
        self._dirty: set[str] = set()  # 'data', 'marks', 'step': what to redraw when shown
        self._arrays: dict[str, np.ndarray] = {}
        # the pages of the layer kind on screen (`LAYOUTS`); each kind's built when first shown
        self._transposed = False
        self._built: dict[bool, tuple[dict, dict]] = {}
        self.plots: dict[tuple[str, str], MatrixPlot] = {}  # (page, name)
        self.pages: dict[str, Im2colPage] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        header = QHBoxLayout()
        self.page_box = QComboBox(objectName="im2colPage")
        self.sample = QSpinBox(objectName="im2colSample")
        self.sample.setToolTip("the batch sample whose matrices are shown")
        self.sample_label = QLabel("sample n")
        self.caption = QLabel("", objectName="im2colCaption")
        self.caption.setWordWrap(True)  # wraps rather than widening a small window
        header.addWidget(self.page_box)
        header.addSpacing(12)
        header.addWidget(self.sample_label)
        header.addWidget(self.sample)
        header.addSpacing(12)
        header.addWidget(self.caption, 1)
        layout.addLayout(header)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self._use_kind(False, force=True)
        self.page_box.currentIndexChanged.connect(self._on_page_box_currentIndexChanged)
        self.sample.valueChanged.connect(self.sampleRequested)

    @property
    def arrangement(self) -> ModuleType:
        """The pages of the layer kind on screen."""
        return LAYOUTS[self._transposed]

    def _use_kind(self, transposed: bool, force: bool = False) -> None:
        """Show the pages of a Conv2d or of a transposed layer (built when first shown)."""
        if transposed == self._transposed and not force:
            return
        self._transposed = transposed
        lay = self.arrangement
        self.plots, self.pages = self._built.get(transposed, ({}, {}))
        with QSignalBlocker(self.page_box):
            self.page_box.clear()
            for page in lay.PAGES:
                self.page_box.addItem(lay.PAGE_TITLES[page], page)
        terms = self._terms
        first = next(iter(lay.PAGES))
        page = lay.PAGE_OF[terms.target] if terms is not None and \
            terms.spec.transposed == transposed else first
        self.page_box.setCurrentIndex(list(lay.PAGES).index(page))
        if self.pages:
            self.stack.setCurrentWidget(self.pages[page])
        self._dirty.add("data")

    def _build_pages(self) -> None:
        """The plots of the kind on screen, made the first time they are needed: a window
        whose im2col tab is never opened does not pay for them (most of a window's cost)."""
        if self._transposed in self._built:
            return
        lay, plots, pages = self.arrangement, {}, {}
        for page, names in lay.PAGES.items():
            widget = Im2colPage()
            for name in names:
                plots[page, name] = widget.add_plot(name, *lay.PLACES[page][name],
                                                    lay.TITLES[name])
            pages[page] = widget
            self.stack.addWidget(widget)
        self._built[self._transposed] = plots, pages
        self.plots, self.pages = plots, pages
        self.stack.setCurrentWidget(pages[self.page])
        self._dirty.add("data")

    # -- data in -------------------------------------------------------------------------
    def set_steps(self, steps: Im2colSteps | TransposedSteps | None) -> None:
        """The matrices of one sample (drawn now when visible, else when next shown)."""
        self._steps, self._why_empty = steps, "no result yet"
        if steps is not None:
            self._use_kind(steps.spec.transposed)
        self._dirty.add("data")
        self._render()

    def set_unavailable(self, reason: str) -> None:
        """No matrices, and why (a layer too large to show): said in the caption."""
        self._steps, self._why_empty = None, reason
        self._arrays = {}
        for plot in self.plots.values():
            plot.clear()
        self._dirty.add("data")
        self._render()

    def set_terms(self, terms: Terms | None, step: int | None = None) -> None:
        """Mark the cells of a sum's terms; shows the page of its target."""
        if terms is self._terms and step == self._step:
            return
        new_terms = terms is not self._terms
        self._terms, self._step = terms, step
        if terms is not None and new_terms and terms.spec.transposed == self._transposed:
            self.show_page(self.arrangement.PAGE_OF[terms.target])
        self._dirty.add("marks" if new_terms else "step")
        self._render()

    def set_complex_view(self, mode: str) -> None:
        if mode != self._mode:
            self._mode = mode
            self._dirty.add("data")
            self._render()

    def figure_parts(self) -> list[tuple[QWidget, QRect]]:
        """What a figure of the view draws (`gui.figure_export`): its header, then the page
        on screen at its full size, not the viewport it is scrolled in (review r13 S5)."""
        page = self.pages.get(self.page)
        if page is None:
            return [(self, self.rect())]
        return [(self, QRect(0, 0, self.width(), self.stack.geometry().top())),
                (page.graphics, page.graphics.rect())]

    def fit(self) -> None:
        """Every matrix zoomed back to its fitted range (View › Zoom all grids to fit)."""
        for plots, _ in self._built.values():
            for plot in plots.values():
                plot.fit()

    def show_page(self, page: str) -> None:
        i = list(self.arrangement.PAGES).index(page)
        if self.page_box.currentIndex() != i:
            self.page_box.setCurrentIndex(i)

    # -- reading back (tests) ------------------------------------------------------------
    def shown(self, name: str, page: str | None = None) -> np.ndarray | None:
        """The 2D array ``name`` shows on ``page`` (default: the page on screen, else the
        first page with it), as core gave it (one channel of an image)."""
        if page is None:
            pages = self.arrangement.PAGES
            page = self.page if name in pages[self.page] else next(
                p for p, names in pages.items() if name in names)
        self._build_pages()
        return self.plots[page, name].array

    def marked(self, name: str, page: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(read mask, current mask) drawn over ``name`` on ``page``, as bool arrays."""
        self._build_pages()
        plot = self.plots[page or self.page, name]
        return plot.read_mask, plot.current_mask

    @property
    def page(self) -> str:
        return self.page_box.currentData()

    # -- drawing -------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        self._build_pages()
        super().showEvent(event)
        self.dataRequested.emit()
        self._render()

    def _render(self) -> None:
        if not self._dirty or not self.isVisible():
            return
        self._build_pages()  # (the kind may have changed while on screen)
        dirty, self._dirty = self._dirty, set()
        steps = self._steps
        if steps is None:
            self.caption.setText(self._why_empty)
            return
        lay = self.arrangement
        if "data" in dirty:
            self._arrays = lay.matrices(steps)
            self._show_header(steps)
            boxes = lay.boxes(steps.spec)
            for (_, name), plot in self.plots.items():
                plot.set_box(boxes.get(name))
        found = None
        if self._terms is not None and self._terms.spec == steps.spec:
            found = lay.marks(self._terms, steps.sample, self._step)
        redrawn = "data" in dirty
        for (_, name), plot in self.plots.items():
            mark = None if found is None else found.marks.get(name)
            channel = plot.channel if mark is None or mark.channel is None else mark.channel
            if "data" in dirty or channel != plot.channel:
                plot.set_array(self._arrays[name], self._mode, channel)
                plot.set_marks(mark)
                self._name_channel(steps.spec, name, plot)
                redrawn = True
            elif "marks" in dirty:
                plot.set_marks(mark)
            else:
                plot.set_current(mark)
        if redrawn:  # (another channel's values and title need their own room)
            self._share_room()
        if found is not None:  # a new sum: its marked cells; each step: the current term's
            self.pages[self.page].reveal(current_only=dirty == {"step"})

    def _name_channel(self, spec, name: str, plot) -> None:
        """An image drawn a channel at a time names it in its title (review r12 F14)."""
        if plot.array is None or self._arrays[name].ndim != 3:
            return
        title = self.arrangement.titles(spec, {name: plot.channel})[name]
        plot.title.setText(plot_title(dtype_title(title, spec.dtype.startswith("complex"))),
                           color="#4b5563")

    def _share_room(self) -> None:
        """Each row and column of a page as tall or wide as its matrices' cells count (review
        F5: a 16 × 2 Wᵀ took as much room as the 18 × 16 cols beside it, which then printed no
        numbers): a row's share is its tallest matrix's rows, a column's its widest one's
        columns, with a floor for a matrix of one row or column and its title."""
        for page, widget in self.pages.items():
            rows: dict[int, int] = {}
            cols: dict[int, int] = {}
            for name in self.arrangement.PAGES[page]:
                array = self.plots[page, name].array
                if array is None or array.ndim != 2:
                    continue
                r, c = self.arrangement.PLACES[page][name]
                rows[r] = max(rows.get(r, 0), array.shape[0])
                cols[c] = max(cols.get(c, 0), array.shape[1])
            grid = widget.ci.layout
            for counts, stretch in ((rows, grid.setRowStretchFactor),
                                    (cols, grid.setColumnStretchFactor)):
                total = sum(counts.values()) or 1
                for i, n in counts.items():
                    stretch(i, 10 + round(90 * n / total))
            widget.measure()

    def _show_header(self, steps: Im2colSteps | TransposedSteps) -> None:
        spec, lay = steps.spec, self.arrangement
        complex_ = spec.dtype.startswith("complex")
        titles, labels, slices = lay.titles(spec), lay.labels(spec), lay.slices(spec)
        for (_, name), plot in self.plots.items():
            plot.title.setText(plot_title(dtype_title(titles[name], complex_)),
                               color="#4b5563")
            plot.set_labels(*labels[name])
            plot.slice_rows = slices.get(name, 0)  # drawn with the array
        for i, page in enumerate(lay.PAGES):
            self.page_box.setItemText(i, dtype_title(lay.PAGE_TITLES[page], complex_))
        batch = spec.batch if spec.batched else None
        self.sample_label.setVisible(batch is not None)
        self.sample.setVisible(batch is not None)
        self.sample.blockSignals(True)
        self.sample.setRange(0, max((batch or 1) - 1, 0))
        self.sample.setValue(steps.sample)
        self.sample.blockSignals(False)
        self.caption.setText(self.arrangement.caption(spec))

    def _on_page_box_currentIndexChanged(self, i: int) -> None:
        if self.pages:
            page = self.pages[self.page_box.itemData(i)]
            self.stack.setCurrentWidget(page)
            page.reveal()
