"""TensorGrid: one tensor as a heatmap of cells, with its values, a colour bar and editing.

Passive: data comes in through ``set_session`` / ``set_result`` / ``set_selection`` /
``set_highlight``; what the user wants goes out through signals (``cellsEdited`` carries a
`gui.document.CellEdit`, ``selectionRequested`` and ``hoverRequested`` carry a `Selection`).
The grid shows one 2D slice at a time, the tensor's last two axes (selectors for the axes
before them: `plane_axes`; a Conv1d tensor is a channels × positions strip, a Conv3d one an
H × W slice at a depth); the input shows its padded border with the values the padding mode
puts there. The parts: `SlicePlane` (the drawn plane's coordinates), `ColourScale`,
`HeatmapView` (the picture), `GridEditor` (mouse, keys, menu), `GridMarks` (highlights and
arrows), `DepthStrip` (a sum's slices side by side), `GridFooter` (readout and selectors);
what the grid answers without changing anything is `GridQueries`'.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.session import Session
from core.tensors import tensor
from core.tensors import title as tensor_title

from ..compute import ComputeResult
from ..equation import entry_text
from ..selection import NOTHING, Selection, fits
from .colour_scale import ColourScale
from .depth_strip import DepthStrip
from .grid_editor import GridEditor
from .grid_footer import GridFooter
from .grid_marks import GridMarks, Placement
from .grid_queries import GridQueries
from .heatmap_view import HeatmapView
from .plane_axes import fit_lead, lead_names, shape_text
from .slice_plane import same_data
from .strip_caption import elsewhere_hint
from .tensor_info import COMPLEX_VIEWS, to_view

#: A value as wide as the readout's usually are (`slice_plane.format_value`: six digits).
WIDE_VALUE = "−0.123456"


def _unbroken(title: str) -> str:
    """``title`` with no line break inside ∂L/∂x (a word joiner after the slash) nor inside
    the formula after the name (no-break spaces): a narrow grid's title breaks only between
    the name and its formula ("output" / "y = x ⊛ W + b", never "… + " / "b")."""
    name, space, formula = title.partition(" ")
    return (name + space + formula.replace(" ", "\u00a0")).replace("/", "/\u2060")


class TensorGrid(GridQueries, QWidget):
    """One of the eight tensors; see the module docstring."""

    selectionRequested = Signal(object)  # Selection
    hoverRequested = Signal(object)  # Selection (NOTHING when the pointer leaves)
    cellsEdited = Signal(object)  # CellEdit
    statusMessage = Signal(str)  # a short note for the status bar (paste clipped, bad number)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.info = tensor(name)
        self.editable = self.info.editable
        self.setObjectName(f"grid_{name}")
        self._array: np.ndarray | None = None
        self._spec = None
        self._lead: tuple[int, ...] = ()
        self._scale = ColourScale(self)
        self._scale.shrunk.connect(self._redraw)
        self._selection = NOTHING
        self._hover: tuple[int, int] | None = None
        self._dimmed = False
        self._fitted = True  # the view shows the whole slice (no zoom or pan by the user)
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

        self.view = HeatmapView(scrub_wheel=self.editable)
        # what the editor, the window and the tests reach through the grid
        self.vb, self.image, self.labels = self.view.vb, self.view.image, self.view.labels
        self.colorbar = self.view.colorbar
        self._empty = QLabel("", objectName="gridEmpty")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._stack = QStackedWidget()
        self._stack.addWidget(self.view)
        self._stack.addWidget(self._empty)
        self.depths = DepthStrip(self)  # a Conv3d sum's depth slices side by side
        self._stack.addWidget(self.depths)
        layout.addWidget(self._stack, 1)
        # at a depth the selected sum does not touch (picked by hand): where it does
        self.depth_hint = QLabel("", objectName="gridDepthHint", wordWrap=True)
        self.depth_hint.setVisible(False)
        layout.addWidget(self.depth_hint)
        self.footer = GridFooter(self.info.lead_axes)
        self.footer.set_title_row(header, self._title)
        self.readout, self.selector = self.footer.readout, self.footer.selector
        self.selector.leadChanged.connect(self._on_selector_leadChanged)
        layout.addWidget(self.footer)

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
        copied = None if cell is None else self._slice().copied_pixel(*cell)
        hover = NOTHING if copied is None else Selection(
            self.name, copied, padded=self._slice().padded_position(*cell))
        self.hoverRequested.emit(hover)

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
        if spec == self._spec and same_data(array, self._array):
            self._array = array
            return
        old_plane, old_spec = self._slice().shape(), self._spec
        old_shape = None if self._array is None else self._array.shape
        self._array, self._spec = array, spec
        # a Conv1d strip: cropped to the sum, captioned (F10; the view's on r12-strips)
        set_strip = getattr(self.view, "set_strip", None)
        if set_strip is not None:
            set_strip(spec is not None and spec.dims == 1)
        self.selector.set_axes(lead_names(spec, self.name))
        self._title.setText(_unbroken(tensor_title(self.name, spec)))
        if array is None:
            self._shape_label.setText("— no bias (bias=False)")
        else:
            self._shape_label.setText(shape_text(spec, self.name, array.shape))
            last = ",".join(str(max(n - 1, 0)) for n in array.shape)
            self.footer.set_widest(f"{self.info.symbol}[{last}] = {WIDE_VALUE}")
        if array is None or array.shape != old_shape:
            self._update_selectors()
        self._update_limit(immediate=spec != old_spec or array is None or array.shape != old_shape)
        self._redraw()
        if self._slice().shape() != old_plane:
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
        A lead of other length fits the grid's axes (`plane_axes.fit_lead`): a Conv1d strip
        takes (n, c) as n, a Conv3d slice (n, c) as n, c at the same depth.
        """
        if self._array is None:
            return
        lead = fit_lead(lead, len(self._lead))
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
        self._restyle("mode", mode)

    def set_shared_scale(self, shared: bool) -> None:
        """One colour scale for every slice of the tensor (compare channels), or (default)
        a scale fitted to the slice on screen."""
        self._restyle("shared", shared)

    def set_gray(self, on: bool) -> None:
        """Real values as a grayscale feature map (black = the minimum, white = the maximum
        of what the colour scale is fitted to: the slice on screen, or every slice when the
        scale is shared) instead of the diverging heatmap; complex |z| and arg keep their maps."""
        self._restyle("gray", on)

    def _restyle(self, setting: str, value) -> None:
        """Set the colour scale's ``setting`` and draw again (nothing when unchanged)."""
        if getattr(self._scale, setting) != value:
            setattr(self._scale, setting, value)
            self._update_limit(immediate=True)
            self._redraw()

    @property
    def gray(self) -> bool:
        return self._scale.gray

    def set_dimmed(self, dimmed: bool) -> None:
        """Grey the grid out (the results on screen belong to the last valid layer)."""
        if dimmed != self._dimmed:
            self._dimmed = dimmed
            self.view.dim.setVisible(dimmed)
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
        self._update_depths(style)

    def set_links(self, frm, to, layer: str = "explain") -> None:
        """Arrows from border cells ``frm`` to the padded cells ``to`` of the pixels they copy.

        Both (k, ndim) full padded indices of the input; ``layer`` is 'explain', 'current' or
        'hover' (one set of arrows each).
        """
        self.marks.set_links(layer, frm, to, self._placement())
        self._update_depths("links")

    def _placement(self) -> Placement:
        return self._slice().placement()

    # -- drawing -------------------------------------------------------------------------
    def _update_selectors(self) -> None:
        a = self._array
        lead_shape = () if a is None or a.ndim < 2 else a.shape[:-2]
        self._lead = self.selector.set_shape(lead_shape, self._lead)

    def _update_limit(self, immediate: bool) -> None:
        self._scale.refit(self._array, self._lead, immediate)
        self.colorbar.set_note(*self._scale.note(self._array))

    def _redraw(self) -> None:
        shown = self._slice()
        plane, cut = shown.values(), shown.frame()
        self.cut_note.setText("" if cut is None else cut.note())
        self.cut_note.setVisible(cut is not None)
        if plane is None:
            self.view.clear_plane()
            empty = "no bias\n(bias=False)" if self._array is None else "empty\n(a zero-size axis)"
            self._empty.setText(empty)
            self._stack.setCurrentWidget(self._empty)
            self._draw_selection()
            return
        self._stack.setCurrentWidget(self.view)
        values = to_view(plane, self._scale.mode)
        levels, cmap_name = self._scale.levels(self._array)
        pads = None
        if any(shown.pads):
            pads = shown.pads if cut is None else cut.pads
        self.view.draw(values, levels, cmap_name, shown.real_shape(), shown.offset, pads, cut)
        self._draw_selection()
        self.marks.redraw(self._placement())
        self.depths.forget()
        self._update_depths()
        self._update_readout()
        if self._fitted and self.view.aspect_is_stale(shown.shape() or (1, 1), self._showing()):
            self.fit()  # other numbers (another slice, new values) may need wider cells

    def fit(self) -> None:
        """Zoom to show the whole slice, cells as wide as their numbers need (up to
        `MAX_ASPECT` × their height) when the box has the room."""
        self._fitted = True
        self.view.fit(self._slice().shape() or (1, 1), self._showing())

    def _showing(self) -> bool:
        return self._stack.currentWidget() is self.view

    def _update_depths(self, changed: str | None = None) -> None:
        """The depth strip instead of the plane while it has depths to show (`DepthStrip`);
        ``changed``: the one highlight style that changed."""
        if self.depths.refresh(self._scale, self._stack.currentWidget() is self._empty, changed):
            self._stack.setCurrentWidget(self.depths)
        elif self.showing_depths():
            self._stack.setCurrentWidget(self.view)
            self.fit()
        elsewhere = self.depths.elsewhere() if self._selection.index else []
        hint = "" if not elsewhere else elsewhere_hint(
            self.depths.axis, elsewhere, entry_text(self._selection.tensor, self._selection.index))
        if hint != self.depth_hint.text():
            self.depth_hint.setText(hint)
            self.depth_hint.setVisible(bool(hint))

    def _draw_selection(self) -> None:
        self.view.draw_cursor(*self._slice().cursor(self.current_selection()))

    # -- readout -------------------------------------------------------------------------
    def _update_readout(self) -> None:
        if self._hover is not None:
            text = self.describe(*self._hover)
        else:
            cell = self._slice().cursor(self.current_selection())[0]
            text = "" if cell is None else self.describe(*cell)
        self.footer.set_text(text)

