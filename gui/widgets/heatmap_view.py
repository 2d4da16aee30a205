"""HeatmapView: the picture of one plane in a `TensorGrid`.

A pyqtgraph layout with the grid's `CellViewBox`: the cells coloured on the colour bar's map,
their values and row/column numbers, the padded border, the markers of padding not drawn,
the cursor and the selected block, and a veil over stale results; and the fitting of the
view to a plane, cells as wide as their numbers need. What is drawn comes in through
``draw``, ``clear_plane`` and ``draw_cursor``; the grid decides what.

A Conv1d strip (``set_strip``) too long for its numbers shows the columns around what the
sum reads instead of hairline cells (`strip_fit`), follows the selection and the player's
steps there, and says which steps are in view (`strip_edges`).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMenu

from ..padded_frame import Frame
from .cell_text import CellTextItem, IndexLabelsItem, dark_cells
from .cell_view_box import CellViewBox
from .grid_items import (
    BorderItem,
    ColorBar,
    DimItem,
    block_item,
    cells_path,
    colormap,
    cursor_item,
    gap_item,
    gaps_path,
)
from .highlight_items import CellsLayer
from .strip_edges import StripEdges
from .strip_fit import StripFit, focus_span, strip_fit

_BACKGROUND = "#ffffff"
_RANGE_PAD = 0.005  # of the range, on each side: the frame's outer line stays in view
#: Cells may grow up to this many times wider than tall so that their numbers fit.
MAX_ASPECT = 2.0
#: The highlight styles whose cells a cropped strip keeps in view (not 'hover': a crop that
#: moved under the pointer would move what the pointer is over).
FOCUS_STYLES = ("current", "window", "read", "write", "source")


class HeatmapView(pg.GraphicsLayoutWidget):
    """See the module docstring. ``scrub_wheel``: the wheel scrubs values (editable grids)."""

    def __init__(self, scrub_wheel: bool) -> None:
        strays = QApplication.topLevelWidgets()  # held: their identities stay theirs
        super().__init__()
        self.setBackground(_BACKGROUND)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.small = False  # a depth strip's slice: row and column numbers get their band
        self.vb = CellViewBox(scrub_wheel=scrub_wheel)
        self.addItem(self.vb, row=0, col=0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.vb.addItem(self.image)
        self.border = BorderItem()
        self.labels = CellTextItem(view_rect=self.vb.viewRect)
        self.labels.setZValue(15)
        self.indices = IndexLabelsItem(view_rect=self.vb.viewRect)
        self.block = block_item()
        self.cursor = cursor_item()
        self.gaps = gap_item()
        self.dim = DimItem()
        self.edges = StripEdges(view_rect=self.vb.viewRect)
        self.edges.setVisible(False)
        for item in (self.indices, self.border, self.labels, self.block, self.cursor,
                     self.dim, self.gaps, self.edges):
            self.vb.addItem(item, ignoreBounds=True)
        self._strip = False
        self._cursor: tuple[tuple[int, int] | None, list[tuple[int, int]]] = (None, [])
        self._fitted: tuple[tuple[int, int], bool] | None = None  # the last fit's arguments
        self._crop: StripFit | None = None  # the strip's crop on screen (None: none)
        self._refocus = QTimer(self, singleShot=True, interval=0)
        self._refocus.timeout.connect(self._on_refocus_timeout)
        self.vb.marksChanged.connect(self._on_vb_marksChanged)
        self.vb.sigRangeChangedManually.connect(self._on_vb_sigRangeChangedManually)
        self.colorbar = ColorBar(colormap("diverging"), (-1.0, 1.0))
        self.image.setColorMap(self.colorbar.colorMap())
        self.addItem(self.colorbar, row=0, col=1)
        # pyqtgraph builds parentless context menus for its view boxes (disabled here); give
        # them a parent so that they go when the grid goes instead of outliving the window
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMenu) and w.parent() is None and all(w is not s for s in strays):
                w.setParent(self, w.windowFlags())

    def clear_plane(self) -> None:
        """Draw no cells (a missing bias, a zero-size axis)."""
        self.image.clear()
        self.labels.set_values(np.zeros((0, 0)), np.zeros((0, 0), bool), None)
        self.border.setVisible(False)
        self.indices.set_shape(0, 0, (0, 0))
        self.edges.set_plane(0, 0, 0, 0, (0.0, 0.0))

    def draw(self, values: np.ndarray, levels: tuple[float, float], cmap_name: str,
             real_shape: tuple[int, int], offset: tuple[int, int],
             pads: tuple[int, int, int, int] | None = None, cut: Frame | None = None) -> None:
        """Show real ``values`` (rows, cols) on colour map ``cmap_name`` at ``levels``; the
        real cells are ``real_shape`` from ``offset``. ``pads``: the drawn padded border's
        (top, bottom, left, right) (None: no border); ``cut``: a huge padding's frame."""
        lo, hi = levels
        if self.colorbar.colorMap().name != cmap_name:
            self.colorbar.setColorMap(colormap(cmap_name))
            self.image.setColorMap(self.colorbar.colorMap())
        self.image.setImage(values, autoLevels=False, levels=(lo, hi))
        if tuple(self.colorbar.levels()) != (lo, hi):
            self.colorbar.setLevels((lo, hi))  # redraws its axis: only when the scale moves
        dark = dark_cells(values, (lo, hi), self.colorbar.colorMap())
        muted = None
        if pads is not None:
            muted = np.ones(values.shape, bool)
            (h, w), (top, left) = real_shape, offset
            muted[top : top + h, left : left + w] = False
            self.border.set_geometry(values.shape, pads)
        else:
            self.border.setVisible(False)
        self.gaps.setPath(gaps_path([], [], (0, 0)) if cut is None else
                          gaps_path(cut.rows.markers(), cut.cols.markers(), values.shape))
        self.labels.set_values(values, dark, muted)
        self.indices.set_shape(*real_shape, offset)
        self.edges.set_plane(*values.shape, real_shape[1], offset[1],
                             (self.indices.row_band(), self.indices.margin))
        self.dim.set_rect(QRectF(0, 0, values.shape[1], values.shape[0]))

    def draw_cursor(self, cell: tuple[int, int] | None, block: list[tuple[int, int]]) -> None:
        """The cursor on image cell ``cell`` (None: none) and the selected ``block``'s cells."""
        self.cursor.setPath(cells_path([] if cell is None else [cell]))
        self.block.setPath(cells_path(block))
        if (cell, block) != self._cursor:
            self._cursor = (cell, list(block))
            self._on_vb_marksChanged()

    def shows_values(self) -> bool:
        """Whether the cells on screen are large enough to print their values."""
        shown, w, h = self.vb.viewRect(), self.vb.width(), self.vb.height()
        if shown.width() <= 0 or shown.height() <= 0 or w <= 0 or h <= 0:
            return False
        return self.labels.fits_at(w / shown.width(), h / shown.height())

    def set_strip(self, strip: bool) -> None:
        """Whether the planes are a Conv1d's strips (channels × positions): one too long
        for its numbers is cropped around the sum (`strip_fit`), its arrows run above its
        rows, and a caption names the steps in view."""
        if strip == self._strip:
            return
        self._strip = strip
        self._crop = None
        self.vb.strip = strip
        self.edges.setVisible(strip)

    def printed_format(self) -> str | None:
        """The format the cells' values print in now ('{:.2f}'…), None when they do not."""
        shown, w, h = self.vb.viewRect(), self.vb.width(), self.vb.height()
        if shown.width() <= 0 or shown.height() <= 0 or w <= 0 or h <= 0:
            return None
        if not self.labels.fits_at(w / shown.width(), h / shown.height()):
            return None
        return self.labels.printed_format(w / shown.width(), h / shown.height())

    def fit(self, shape: tuple[int, int], showing: bool,
            region: tuple[int, int, int, int] | None = None) -> None:
        """Zoom to show a whole plane of ``shape``, cells as wide as their numbers need (up
        to `MAX_ASPECT` × their height) when the box has the room; ``showing``: the view is
        the grid's page on screen (else cells stay square). ``region``: (top, left, rows,
        cols) of the plane to show instead of all of it (its row and column numbers then
        stick to the edges). A strip whose numbers do not fit shows the part around the
        sum instead (`set_strip`)."""
        self._fitted = (shape, showing) if region is None else None
        top, left = (0, 0) if region is None else region[:2]
        rows, cols = shape if region is None else region[2:]
        m = self._margin(shape, rows)
        self.indices.set_margin(m)
        crop = None if region is not None else self._strip_fit(shape, showing)
        self._crop = crop
        if crop is not None:
            self.vb.setAspectLocked(True, crop.aspect)
            self.vb.setRange(QRectF(crop.first - crop.left, -m, crop.count + crop.left,
                                    shape[0] + m + crop.caption), padding=_RANGE_PAD)
            return
        self.vb.setAspectLocked(True, self._cell_aspect((rows, cols), m, showing))
        self.vb.setRange(QRectF(left - m, top - m, cols + m, rows + m), padding=_RANGE_PAD)
        if region is not None:  # the crop's corner at the view's: the room to spare (the
            # cells are square or wider) goes right and down, not into the labels' margin
            shown = self.vb.viewRect()
            self.vb.translateBy(x=left - m - shown.left(), y=top - m - shown.top())

    def _margin(self, shape: tuple[int, int], rows: int) -> float:
        """Cells of room above and left of ``rows`` rows of a ``shape`` plane for the row
        and column numbers: at least their band's, or small cells put the numbers over the
        first row (and a crop the cells before it under them, review F8)."""
        m = IndexLabelsItem.margin_for(*shape)
        band_h = self.indices.band_px(*shape)[0]
        h = self.vb.height() / (1 + 2 * _RANGE_PAD)
        # (a grid's own plane keeps its margin: its cells, larger, need their every pixel)
        if self.small and h > band_h and (h - band_h) / rows >= IndexLabelsItem.MIN_CELL_PX:
            m = min(max(m, band_h * rows / (h - band_h)), 1.5)
        return m

    def aspect_is_stale(self, shape: tuple[int, int], showing: bool) -> bool:
        """Whether the values now need other cell widths than the view has (or a strip
        another crop)."""
        crop = self._strip_fit(shape, showing)
        if crop is not None or self._crop is not None:
            return crop != self._crop
        wanted = self._cell_aspect(shape, self._margin(shape, shape[0]), showing)
        return abs(float(self.vb.state["aspectLocked"] or 0.0) - wanted) > 1e-6

    def caption(self) -> str:
        """The strip's caption now ('steps 20–40 of 64'; '' when every step is in view)."""
        shown = self.vb.viewRect()
        if not self._strip or shown.width() <= 0:
            return ""
        return self.edges.text(self.vb.width() / shown.width())

    def cropped(self) -> StripFit | None:
        """The strip's crop the last fit chose (None: the whole plane)."""
        return self._crop

    def _strip_fit(self, shape: tuple[int, int], showing: bool) -> StripFit | None:
        if not self._strip or not showing:
            return None
        pad = 1 + 2 * _RANGE_PAD
        box = (self.vb.width() / pad, self.vb.height() / pad)
        if box[0] <= 0 or box[1] <= 0:
            return None
        need = (self.labels.min_width(), self.labels.min_height())
        span, anchor = self._focus()
        return strip_fit(shape, box, self._margin(shape, shape[0]), need,
                         self.indices.row_band() + 2.0, span, anchor,
                         None if self._crop is None else self._crop.first,
                         finer=self.labels.min_width(finest=True))

    def _focus(self) -> tuple[tuple[int, int] | None, int | None]:
        """The columns the sum reads and writes here, and the one to keep in view above all
        (the current term's, else the selected cell's)."""
        layers = {item.style: item.columns() for item in self.vb.childGroup.childItems()
                  if isinstance(item, CellsLayer)}
        cell, block = self._cursor
        mine = [c for _, c in ([] if cell is None else [cell]) + block]
        span = focus_span([*(layers.get(style, ()) for style in FOCUS_STYLES), mine])
        current = layers.get("current", ())
        anchor = int(current[0]) if len(current) else (None if cell is None else cell[1])
        return span, anchor

    def _on_vb_marksChanged(self) -> None:
        if self._strip and self._fitted is not None:
            self._refocus.start()  # once the explainer has given every layer

    def _on_refocus_timeout(self) -> None:
        if self._fitted is None or not self._strip:
            return
        if self._strip_fit(*self._fitted) != self._crop:
            self.fit(*self._fitted)

    def _on_vb_sigRangeChangedManually(self, _mask) -> None:
        self._fitted = None  # zoomed or panned by hand: the strip stays where it was put

    def _cell_aspect(self, shape: tuple[int, int], margin: float, showing: bool) -> float:
        """Cell width over cell height: 1 (square) unless wider cells let the numbers print."""
        pad = 1 + 2 * _RANGE_PAD  # (the range's padding)
        w, h = self.vb.width() / pad, self.vb.height() / pad
        if w <= 0 or h <= 0 or not showing:
            return 1.0
        sw, sh = w / (shape[1] + margin), h / (shape[0] + margin)
        if sh < self.labels.min_height() or sw <= sh:
            return 1.0  # no number fits however wide, or cells are wider than tall already
        # the most precise numbers the room allows (a strip's narrow slices printed '−2.4'
        # where the Sum panel says −2.43), else the coarsest that print at all
        for finest in (True, False):
            need = self.labels.min_width(finest)  # (formats every value: cells that may fit)
            if sh >= need:
                return 1.0
            ratio = need / sh
            if ratio <= min(sw / sh, MAX_ASPECT):
                return ratio
        return 1.0
