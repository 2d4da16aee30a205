"""TensorGrid: one tensor as a heatmap of cells, with its values, a colour bar and editing.

Passive: data comes in through ``set_session`` / ``set_result`` / ``set_selection`` /
``set_highlight``; what the user wants goes out through signals (``cellsEdited`` carries a
`gui.document.CellEdit`, ``selectionRequested`` and ``hoverRequested`` carry a `Selection`).
The grid shows one 2D slice at a time (selectors for batch and channel); the input shows
its padded border with the values the padding mode puts there.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.padding import pad, pad_index
from core.session import Session

from ..compute import ComputeResult
from ..padded_frame import Frame, frame, padded_grid
from ..selection import NOTHING, Selection, fits, rc
from .cell_view_box import CellViewBox
from .grid_editor import GridEditor
from .grid_items import (
    BorderItem,
    CellTextItem,
    ColorBar,
    DimItem,
    IndexLabelsItem,
    block_item,
    cells_path,
    colormap,
    cursor_item,
    dark_cells,
    gap_item,
    gaps_path,
    nice_limit,
)
from .grid_marks import GridMarks, Placement
from .slice_selector import SliceSelector
from .tensor_info import COMPLEX_VIEWS, TENSORS, TensorInfo, to_view
from .text_line import TextLine

_BACKGROUND = "#ffffff"
_RANGE_PAD = 0.005  # of the range, on each side: the frame's outer line stays in view
#: Cells may grow up to this many times wider than tall so that their numbers fit.
MAX_ASPECT = 2.0
#: A colour scale shrinks to fit smaller values only once edits pause this long.
SHRINK_MS = 400
__all__ = ["COMPLEX_VIEWS", "TENSORS", "CellViewBox", "TensorGrid", "TensorInfo", "to_view"]


def _unbroken(title: str) -> str:
    """``title`` with no line break inside ∂L/∂x (a word joiner after the slash): a narrow
    grid's title breaks only at its spaces."""
    return title.replace("/", "/\u2060")


class TensorGrid(QWidget):
    """One of the eight tensors; see the module docstring."""

    selectionRequested = Signal(object)  # Selection
    hoverRequested = Signal(object)  # Selection (NOTHING when the pointer leaves)
    cellsEdited = Signal(object)  # CellEdit
    statusMessage = Signal(str)  # a short note for the status bar (paste clipped, bad number)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.info = TENSORS[name]
        self.editable = self.info.editable
        self.setObjectName(f"grid_{name}")
        self._array: np.ndarray | None = None
        self._spec = None
        self._lead: tuple[int, ...] = ()
        self._mode = "real"
        self._limit = 1.0
        self._gray = False  # a grayscale feature map instead of the diverging heatmap
        self._range = (0.0, 1.0)  # the whole tensor's (min, max), for the gray levels
        self._selection = NOTHING
        self._hover: tuple[int, int] | None = None
        self._dimmed = False
        self._offset = (0, 0)  # (top, left) padding shown before the real cells
        self._shared = False  # one colour scale across every slice (else fitted to the slice)
        self._fitted = True  # the view shows the whole slice (no zoom or pan by the user)
        self._shrink_timer = QTimer(self, singleShot=True, interval=SHRINK_MS)
        self._shrink_timer.timeout.connect(self._on_shrink_timer_timeout)
        self._build()

    # -- construction --------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        header = QHBoxLayout()
        header.setSpacing(6)
        self._title = QLabel(_unbroken(self.info.title), objectName="gridTitle")
        # a narrow column (the bias's one value) breaks its title at a space rather than
        # being held as wide as "grad_bias ∂L/∂b" in a small window: that width is the cells'
        self._title.setWordWrap(True)
        self._shape_label = QLabel("", objectName="gridShape")
        self._shape_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        header.addWidget(self._title)
        header.addWidget(self._shape_label)
        header.addStretch(1)
        layout.addLayout(header)
        self._extra = QVBoxLayout()
        layout.addLayout(self._extra)
        # how much of a huge padding is not drawn (the input grid only)
        self.cut_note = QLabel("", objectName="gridCutNote", wordWrap=True)
        self.cut_note.setVisible(False)
        layout.addWidget(self.cut_note)

        strays = QApplication.topLevelWidgets()  # held: their identities stay theirs
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(_BACKGROUND)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.view.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.vb = CellViewBox(scrub_wheel=self.editable)
        self.view.addItem(self.vb, row=0, col=0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.vb.addItem(self.image)
        self.border = BorderItem()
        self.labels = CellTextItem()
        self.labels.setZValue(15)
        self.indices = IndexLabelsItem(view_rect=self.vb.viewRect)
        self.block = block_item()
        self.cursor = cursor_item()
        self.gaps = gap_item()
        self.dim = DimItem()
        for item in (self.indices, self.border, self.labels, self.block, self.cursor,
                     self.dim, self.gaps):
            self.vb.addItem(item, ignoreBounds=True)
        self.colorbar = ColorBar(colormap("diverging"), (-1.0, 1.0))
        self.image.setColorMap(self.colorbar.colorMap())
        self.view.addItem(self.colorbar, row=0, col=1)
        # pyqtgraph builds parentless context menus for its view boxes (disabled here); give
        # them a parent so that they go when the grid goes instead of outliving the window
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMenu) and w.parent() is None and all(w is not s for s in strays):
                w.setParent(self, w.windowFlags())
        self._empty = QLabel("", objectName="gridEmpty")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._stack = QStackedWidget()
        self._stack.addWidget(self.view)
        self._stack.addWidget(self._empty)
        layout.addWidget(self._stack, 1)
        footer = QHBoxLayout()
        footer.setSpacing(4)
        # a TextLine, not a QLabel: a new text (every hover, every animation step) must not
        # re-lay out the whole window (half the cost of an 'Animate all' frame)
        self.readout = TextLine(" ", objectName="gridReadout")
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        footer.addWidget(self.readout, 1)
        self.selector = SliceSelector(self.info.axes)
        self.selector.leadChanged.connect(self._on_selector_leadChanged)
        footer.addWidget(self.selector)
        layout.addLayout(footer)

        self.editor = GridEditor(self)
        self.marks = GridMarks(self.vb)
        self.vb.hovered.connect(self._on_vb_hovered)
        self.vb.sigResized.connect(self._on_vb_sigResized)
        self.vb.sigRangeChangedManually.connect(self._on_vb_sigRangeChangedManually)

    def _on_vb_sigResized(self, _vb) -> None:
        if self._fitted:
            self.fit()

    def _on_vb_sigRangeChangedManually(self, _mask) -> None:
        self._fitted = False

    def _on_selector_leadChanged(self, lead: tuple) -> None:
        sel = self.current_selection()
        self.set_slice(lead)
        if not sel.empty and len(sel.index) > 2:
            anchor = None if sel.anchor is None else (*lead, *sel.anchor[-2:])
            self.selectionRequested.emit(Selection(self.name, (*lead, *sel.index[-2:]), anchor))

    def _on_vb_hovered(self, pos: QPointF | None) -> None:
        cell = None if pos is None else self.plane_cell(pos)
        self._hover = cell
        self._update_readout()
        index = None if cell is None else self.real_index(*cell)
        if index is not None:
            self.hoverRequested.emit(Selection(self.name, index))
            return
        copied = None if cell is None else self.copied_pixel(*cell)
        hover = NOTHING if copied is None else Selection(self.name, copied,
                                                         padded=self._padded_cell(*cell))
        self.hoverRequested.emit(hover)

    def plane_cell(self, pos: QPointF) -> tuple[int, int] | None:
        """(row, col) of the image cell under view position ``pos`` (padded coordinates)."""
        shape = self._plane_shape()
        if shape is None:
            return None
        r, c = int(np.floor(pos.y())), int(np.floor(pos.x()))
        return (r, c) if 0 <= r < shape[0] and 0 <= c < shape[1] else None

    def real_index(self, r: int, c: int) -> tuple[int, ...] | None:
        """Full tensor index of image cell (r, c), or None for a border cell."""
        shape = self.real_shape()
        if shape is None:
            return None
        rr, cc = r - self._offset[0], c - self._offset[1]
        if not (0 <= rr < shape[0] and 0 <= cc < shape[1]):
            return None
        return self.full_index(rr, cc)

    def copied_pixel(self, r: int, c: int) -> tuple[int, ...] | None:
        """Full index of the pixel that border cell (r, c) copies; None for a real cell, a
        zero-padding cell, or a grid without a padded border."""
        spec = self._spec
        if not padded_grid(spec, self.name) or min(spec.pads) < 0:
            return None  # (a negative padding crops: no border is drawn)
        return self._border_source(r, c)

    def _padded_cell(self, r: int, c: int) -> tuple[int, int] | None:
        """Padded coordinates of drawn cell (r, c) (None: a marker of undrawn padding)."""
        cut = self.frame()
        return (r, c) if cut is None else cut.to_padded(r, c)

    def frame(self) -> Frame | None:
        """The part of a huge padding the input grid draws (None: it draws it all)."""
        return frame(self._spec) if padded_grid(self._spec, self.name) else None

    def _border_source(self, r: int, c: int) -> tuple[int, ...] | None:
        """The pixel border cell (r, c) of the input's plane copies (None: zero padding, a
        real cell, or no such cell)."""
        spec, plane = self._spec, self._plane_shape()
        if spec is None or plane is None or not (0 <= r < plane[0] and 0 <= c < plane[1]):
            return None
        if self.real_index(r, c) is not None:
            return None
        cut = self.frame()
        if cut is not None:
            padded = cut.to_padded(r, c)
            src = None if padded is None else cut.source(*padded)
            return None if src is None else self.full_index(*src)
        (h, w), (top, bottom, left, right) = self.real_shape(), spec.pads
        sr = pad_index(h, top, bottom, spec.padding_mode)[r]
        sc = pad_index(w, left, right, spec.padding_mode)[c]
        return None if sr < 0 or sc < 0 else self.full_index(int(sr), int(sc))

    def fill_tensor(self, kind: str) -> None:
        """Fill the whole tensor with pattern ``kind`` (see `gui.fills.FILLS`)."""
        self.editor.fill(kind, "tensor")

    def sizeHint(self) -> QSize:
        return QSize(260, 260)

    def set_compact(self, compact: bool) -> None:
        """Less room around the cells (a small window): thinner margins, a narrower colour
        bar. The numbers in the cells need that room more than the chrome does."""
        self.colorbar.set_compact(compact)
        m = 1 if compact else 4
        self.layout().setContentsMargins(m, 2, m, 2)

    def add_header_widget(self, widget: QWidget) -> None:
        """Put a widget (a note, buttons) under the title row."""
        self._extra.addWidget(widget)

    # -- data in -------------------------------------------------------------------------
    def set_session(self, session: Session) -> None:
        """Editable grids: show this grid's tensor of the document."""
        self.set_tensor(getattr(session, self.name), session.spec)

    def set_result(self, result: ComputeResult) -> None:
        """Result grids: show this grid's tensor of a computed result."""
        self.set_tensor(getattr(result.results, self.name), result.session.spec)

    def set_tensor(self, array: np.ndarray | None, spec) -> None:
        """Show ``array`` (this grid's tensor) for layer ``spec``; unchanged data draws nothing."""
        if spec == self._spec and _same(array, self._array):
            self._array = array
            return
        old_plane, old_spec = self._plane_shape(), self._spec
        old_shape = None if self._array is None else self._array.shape
        self._array, self._spec = array, spec
        title = self.info.title
        if self.name == "output" and not spec.bias:
            title = "output y = x ⊛ W"
        self._title.setText(_unbroken(title))
        if array is None:
            self._shape_label.setText("— no bias (bias=False)")
        else:
            self._shape_label.setText(str(tuple(array.shape)).replace(",)", ")"))
        if array is None or array.shape != old_shape:
            self._update_selectors()
        self._update_limit(immediate=spec != old_spec or array is None or array.shape != old_shape)
        self._redraw()
        if self._plane_shape() != old_plane:
            self.fit()

    def set_selection(self, selection: Selection) -> None:
        self._selection = selection
        mine = self.current_selection()
        if not mine.empty and len(mine.index) > 2 and mine.index[:-2] != self._lead:
            self.set_slice(mine.index[:-2])
        self._draw_selection()
        self._update_readout()

    def set_slice(self, lead: tuple[int | None, ...]) -> None:
        """Show the 2D slice ``array[lead]`` (e.g. (n, c)); ignored when out of range.

        None in a place keeps the axis where it is (``(n, None)``: sample n, same channel).
        """
        if self._array is None or len(lead) != len(self._lead):
            return
        lead = tuple(old if i is None else int(i) for i, old in zip(lead, self._lead,
                                                                   strict=True))
        if lead == self._lead:
            return
        if not fits(lead, self._array.shape[: len(lead)]):
            return
        self._lead = lead
        self.selector.set_lead(lead)
        self._update_limit(immediate=True)
        self._redraw()

    def set_complex_view(self, mode: str) -> None:
        if mode not in COMPLEX_VIEWS:
            raise ValueError(f"complex view must be one of {', '.join(COMPLEX_VIEWS)}")
        if mode != self._mode:
            self._mode = mode
            self._update_limit(immediate=True)
            self._redraw()

    def set_shared_scale(self, shared: bool) -> None:
        """One colour scale for every slice of the tensor (compare channels), or (default)
        a scale fitted to the slice on screen."""
        if shared != self._shared:
            self._shared = shared
            self._update_limit(immediate=True)
            self._redraw()

    def set_gray(self, on: bool) -> None:
        """Real values as a grayscale feature map (black = the minimum, white = the maximum
        of what the colour scale is fitted to: the slice on screen, or every slice when the
        scale is shared) instead of the diverging heatmap; complex |z| and arg keep their maps."""
        if on != self._gray:
            self._gray = on
            self._update_limit(immediate=True)
            self._redraw()

    @property
    def gray(self) -> bool:
        return self._gray

    def set_dimmed(self, dimmed: bool) -> None:
        """Grey the grid out (the results on screen belong to the last valid layer)."""
        if dimmed != self._dimmed:
            self._dimmed = dimmed
            self.dim.setVisible(dimmed)
            self.setProperty("dimmed", dimmed)

    def set_highlight(self, cells, style: str = "read", padded: bool = False) -> None:
        """Mark ``cells`` (full indices into this tensor) in highlight ``style``.

        ``cells``: an (k, ndim) int array or an iterable of index tuples. One layer per style
        (see `gui.widgets.highlight_items.STYLES`; an unknown style raises KeyError): a new
        call replaces that style's cells. Cells outside the shown slice are not drawn.
        ``padded=True``: the last two coordinates are in the padded input (border cells
        included); only meaningful for the input grid.
        """
        self.marks.set_cells(style, cells, padded, self._placement())

    def set_links(self, frm, to, layer: str = "explain") -> None:
        """Arrows from border cells ``frm`` to the padded cells ``to`` of the pixels they copy.

        Both (k, ndim) full padded indices of the input; ``layer`` is 'explain', 'current' or
        'hover' (one set of arrows each).
        """
        self.marks.set_links(layer, frm, to, self._placement())

    def clear_highlights(self) -> None:
        self.marks.clear(self._placement())

    def highlighted(self, style: str = "read") -> list[tuple[int, ...]]:
        """The cells last given for ``style`` (as index tuples)."""
        return self.marks.cells(style)

    def links(self, layer: str = "explain") -> int:
        """How many arrows ``layer`` draws on the shown slice."""
        return self.marks.link_count(layer)

    def _placement(self) -> Placement:
        ndim = 4 if self._array is None else self._array.ndim
        return Placement(ndim, self._lead, self._offset, self._plane_shape() or (0, 0),
                         self.frame())

    # -- reading back (tests, explainer) -------------------------------------------------
    @property
    def array(self) -> np.ndarray | None:
        return self._array

    @property
    def lead(self) -> tuple[int, ...]:
        return self._lead

    @property
    def offset(self) -> tuple[int, int]:
        """(top, left): padded border rows and columns shown before the real cells."""
        return self._offset

    @property
    def limit(self) -> float:
        """The colour scale's bound m (levels are (−m, m))."""
        return self._limit

    @property
    def shared_scale(self) -> bool:
        return self._shared

    def scale_values(self) -> np.ndarray:
        """The values the colour scale is fitted to: the shown slice, or every slice when
        the scale is shared (as viewed: Re, Im, |z| or arg of complex data)."""
        a = self._array
        if a is None or a.size == 0:
            return np.zeros(0)
        return to_view(a if self._shared or a.ndim < 3 else a[self._lead], self._mode)

    def shows_values(self) -> bool:
        """Whether the cells on screen are large enough to print their values (and do)."""
        if self._array is None or self._stack.currentWidget() is not self.view:
            return False
        shown, w, h = self.vb.viewRect(), self.vb.width(), self.vb.height()
        if shown.width() <= 0 or shown.height() <= 0 or w <= 0 or h <= 0:
            return False
        return self.labels.fits_at(w / shown.width(), h / shown.height())

    @property
    def complex_view(self) -> str:
        return self._mode

    def full_index(self, r: int, c: int) -> tuple[int, ...]:
        """Full tensor index of real cell (r, c) of the shown slice."""
        return (r,) if self._array.ndim == 1 else (*self._lead, r, c)

    def displayed(self) -> np.ndarray:
        """The real 2D image on screen (padded for the input)."""
        return self.image.image if self.image.image is not None else np.zeros((0, 0))

    # -- drawing -------------------------------------------------------------------------
    def _update_selectors(self) -> None:
        a = self._array
        lead_shape = () if a is None or a.ndim < 2 else a.shape[:-2]
        self._lead = self.selector.set_shape(lead_shape, self._lead)

    def _fitted_limit(self) -> float:
        a = self._array
        if a is None or a.size == 0:
            return 1.0
        if np.iscomplexobj(a) and self._mode == "phase":
            return float(np.pi)
        v = self.scale_values()
        finite = np.abs(v[np.isfinite(v)])
        return nice_limit(float(finite.max()) if finite.size else 1.0)

    def _update_limit(self, immediate: bool) -> None:
        """Fit the colour scale; an edit (not ``immediate``) grows it at once but shrinks it
        only when edits pause, so that scrubbing a value does not make the colours flicker."""
        target = self._fitted_limit()
        if immediate or target >= self._limit:
            self._shrink_timer.stop()
            self._limit = target
        else:
            self._shrink_timer.start()
        if self._gray:
            v = self.scale_values()
            finite = v[np.isfinite(v)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            self._range = (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)
        one = self._array is None or self._array.ndim < 3
        self.colorbar.set_note(
            "" if one else ("shared" if self._shared else "slice"),
            "" if one else ("one colour scale for every slice (View › Colour scale)"
                            if self._shared else "colour scale fitted to the slice on screen "
                            "(View › Colour scale shared across slices to compare)"))

    def _on_shrink_timer_timeout(self) -> None:
        target = self._fitted_limit()
        if target != self._limit:
            self._limit = target
            self._redraw()

    def _levels(self) -> tuple[tuple[float, float], str]:
        complex_ = self._array is not None and np.iscomplexobj(self._array)
        if complex_ and self._mode == "abs":
            return (0.0, self._limit), "sequential"
        if complex_ and self._mode == "phase":
            return (-np.pi, np.pi), "cyclic"
        if self._gray:
            return self._range, "gray"
        return (-self._limit, self._limit), "diverging"

    def _plane(self) -> np.ndarray | None:
        """The current 2D slice as stored (complex stays complex), padded for the input."""
        a = self._array
        if a is None or a.size == 0:
            return None
        if a.ndim == 1:
            return a[:, None]
        plane = a[self._lead]
        cut = self.frame()
        if cut is not None:
            return cut.plane(plane)[0]
        if padded_grid(self._spec, self.name) and any(self._spec.pads):
            plane = pad(plane, self._spec.pads, self._spec.padding_mode)
        return plane

    def _plane_shape(self) -> tuple[int, int] | None:
        a = self._array
        if a is None or a.size == 0:
            return None
        if a.ndim == 1:
            return (a.shape[0], 1)
        if padded_grid(self._spec, self.name):
            cut = self.frame()
            return self._spec.padded_size if cut is None else cut.shape
        return a.shape[-2:]

    def real_shape(self) -> tuple[int, int] | None:
        """Rows and columns of real (unpadded) cells in the shown slice."""
        a = self._array
        if a is None or a.size == 0:
            return None
        return (a.shape[0], 1) if a.ndim == 1 else a.shape[-2:]

    def _redraw(self) -> None:
        plane = self._plane()
        self._offset = (0, 0)
        cut = self.frame()
        if cut is not None:
            self._offset = cut.offset
        elif padded_grid(self._spec, self.name):
            top, _, left, _ = self._spec.pads
            self._offset = (top, left)
        self.cut_note.setText("" if cut is None else cut.note())
        self.cut_note.setVisible(cut is not None)
        if plane is None:
            self.image.clear()
            self.labels.set_values(np.zeros((0, 0)), np.zeros((0, 0), bool), None)
            self.border.setVisible(False)
            self.indices.set_shape(0, 0, (0, 0))
            empty = "no bias\n(bias=False)" if self._array is None else "empty\n(a zero-size axis)"
            self._empty.setText(empty)
            self._stack.setCurrentWidget(self._empty)
            self._draw_selection()
            return
        self._stack.setCurrentWidget(self.view)
        values = to_view(plane, self._mode)
        (lo, hi), cmap_name = self._levels()
        if self.colorbar.colorMap().name != cmap_name:
            self.colorbar.setColorMap(colormap(cmap_name))
            self.image.setColorMap(self.colorbar.colorMap())
        self.image.setImage(values, autoLevels=False, levels=(lo, hi))
        if tuple(self.colorbar.levels()) != (lo, hi):
            self.colorbar.setLevels((lo, hi))  # redraws its axis: only when the scale moves
        dark = dark_cells(values, (lo, hi), self.colorbar.colorMap())
        muted = None
        if padded_grid(self._spec, self.name) and any(self._spec.pads):
            muted = np.ones(plane.shape, bool)
            (h, w), (top, left) = self.real_shape(), self._offset
            muted[top : top + h, left : left + w] = False
            self.border.set_geometry(plane.shape, self._spec.pads if cut is None else cut.pads)
        else:
            self.border.setVisible(False)
        self.gaps.setPath(gaps_path([], [], (0, 0)) if cut is None else
                          gaps_path(cut.rows.markers(), cut.cols.markers(), plane.shape))
        self.labels.set_values(values, dark, muted)
        self.indices.set_shape(*self.real_shape(), self._offset)
        self.dim.set_rect(QRectF(0, 0, plane.shape[1], plane.shape[0]))
        self._draw_selection()
        self.marks.redraw(self._placement())
        self._update_readout()
        if self._fitted and self._aspect_is_stale():
            self.fit()  # other numbers (another slice, new values) may need wider cells

    def _aspect_is_stale(self) -> bool:
        shape = self._plane_shape() or (1, 1)
        wanted = self._cell_aspect(shape, IndexLabelsItem.margin_for(*shape))
        return abs(float(self.vb.state["aspectLocked"] or 0.0) - wanted) > 1e-6

    def fit(self) -> None:
        """Zoom to show the whole slice, cells as wide as their numbers need (up to
        `MAX_ASPECT` × their height) when the box has the room."""
        shape = self._plane_shape() or (1, 1)
        m = IndexLabelsItem.margin_for(*shape)  # room for the row and column numbers
        self._fitted = True
        self.vb.setAspectLocked(True, self._cell_aspect(shape, m))
        self.vb.setRange(QRectF(-m, -m, shape[1] + m, shape[0] + m), padding=_RANGE_PAD)

    def _cell_aspect(self, shape: tuple[int, int], margin: float) -> float:
        """Cell width over cell height: 1 (square) unless wider cells let the numbers print."""
        pad = 1 + 2 * _RANGE_PAD  # (the range's padding)
        w, h = self.vb.width() / pad, self.vb.height() / pad
        if w <= 0 or h <= 0 or self._stack.currentWidget() is not self.view:
            return 1.0
        sw, sh = w / (shape[1] + margin), h / (shape[0] + margin)
        if sh < self.labels.min_height() or sw <= sh:
            return 1.0  # no number fits however wide, or cells are wider than tall already
        need = self.labels.min_width()  # (formats every value: only for cells that may fit)
        if sh >= need:
            return 1.0
        ratio = need / sh
        return ratio if ratio <= min(sw / sh, MAX_ASPECT) else 1.0

    def current_selection(self) -> Selection:
        return self._selection if self._selection.tensor == self.name else NOTHING

    def _draw_selection(self) -> None:
        sel = self.current_selection()
        top, left = self._offset
        other_slice = not sel.empty and len(sel.index) > 2 and sel.index[:-2] != self._lead
        if sel.empty or self._array is None or other_slice:
            self.cursor.setPath(cells_path([]))
            self.block.setPath(cells_path([]))
            return
        r, c = rc(sel.index)
        self.cursor.setPath(cells_path([(r + top, c + left)]))
        _, rows, cols = sel.block()
        if sel.is_block():
            block = [(i + top, j + left) for i in range(rows.start, rows.stop)
                     for j in range(cols.start, cols.stop)]
            self.block.setPath(cells_path(block))
        else:
            self.block.setPath(cells_path([]))

    # -- readout -------------------------------------------------------------------------
    def describe(self, r: int, c: int) -> str:
        """'x[0, 1, 3, 4] = −0.53' for plane cell (r, c) of the image (padded coordinates)."""
        a, shape = self._array, self._plane_shape()
        if a is None or shape is None or not (0 <= r < shape[0] and 0 <= c < shape[1]):
            return ""
        idx = self.real_index(r, c)
        if idx is not None:
            return f"{self.info.symbol}[{', '.join(map(str, idx))}] = {_fmt(a[idx])}"
        where = f"border ({r}, {c})"  # short: the readout shares a row with the selectors
        cut = self.frame()
        if cut is not None:
            padded = cut.to_padded(r, c)
            if padded is None:
                return f"padding not drawn: {cut.describe_marker(r, c)}"
            where = f"border ({padded[0]}, {padded[1]})"
        src = self._border_source(r, c)
        if src is None:
            return f"{where} = 0 (zero padding)"
        mode = self._spec.padding_mode
        return f"{where} copies x[{', '.join(map(str, src))}] = {_fmt(a[src])} ({mode})"

    def _update_readout(self) -> None:
        if self._hover is not None:
            text = self.describe(*self._hover)
        else:
            sel = self.current_selection()
            text = ""
            if not sel.empty and self._array is not None:
                r, c = rc(sel.index)
                text = self.describe(r + self._offset[0], c + self._offset[1])
        self.readout.setText(text or " ")


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is b
    return a is b or (a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b))


def _fmt(v) -> str:
    if np.iscomplexobj(v):
        v = complex(v)
        return f"{v.real:.4g}{v.imag:+.4g}j".replace("-", "−")
    return f"{float(v):.6g}".replace("-", "−")
