"""DepthStrip: a Conv3d grid's depth slices side by side, the small multiples of one sum.

An entry of a Conv3d's output reads a kernel window that spans several depth slices of
the input (and every depth tap of the kernel): one H × W plane at a time cannot show the
whole sum. When a grid's highlighted reads lie at two or more depths and the grid is at one
of them, the grid shows those depths' planes in a strip instead of its single plane, each
labelled with its depth ("d = 2", the one the grid is at marked ▶) and carrying exactly the
highlights of its own depth, so the whole sum is on screen. The input's window may reach
into its depth padding: such a slice is labelled as padding and drawn as what the padding
mode puts there (zeros, or a copy of a real slice).

A Conv1d's strips do the same along their last lead axis: a grad_input entry reads every
output channel's kernel (the weight's strips 'o = 0', 'o = 1', … side by side), a
grad_weight entry every sample's input and grad_output ('n = 0', 'n = 1', …).

The strip has its own colour bar (the grid's, with its plane, is hidden), fitted to every
slice shown. When some slice shows only the current term's kernel window (the sum reads
nothing there), every label says why its slice is shown ('d = 0 · window only'); a note
under the slices names a crop of the planes and numbers rounded coarser than they can print
(`strip_caption`). The slices are laid out for the most precise numbers the room allows.

The strip draws; the grid decides when it shows (`TensorGrid`). A click on a mini plane
selects that cell through the grid (and the strip gives way to the single plane), a hover
shows what the cell feeds, as on the plane itself.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QGridLayout, QWidget

from core.padding import source_index

from ..selection import NOTHING, Selection
from .cell_text import IndexLabelsItem
from .depth_slice import LABEL_H, DepthSlice
from .grid_items import ColorBar, colormap
from .grid_marks import Placement
from .heatmap_view import MAX_ASPECT
from .plane_axes import DEPTH_LABEL, depth_pads, lead_names
from .slice_plane import SlicePlane
from .strip_words import StripWords
from .tensor_info import to_view
from .wrapped_note import WrappedNote

#: The highlight styles whose cells decide which depths the strip shows.
SPANNING = ("read", "window")
_NOTE_ROW = 99  # the note's row in the layout: under every row of planes
_CHROME = 6  # pixels of a mini plane's margins besides its cells (each way)
_ROOMY = 2.0  # a cell this many times what its numbers need: more is no better
_BAR_W = 46  # pixels of the strip's colour bar (a compact one: bar, axis and margins)


def _fitting(cells: np.ndarray, ndim: int) -> np.ndarray:
    """``cells`` when they index a tensor of ``ndim`` axes, else none (marks of another
    layer, given before its results replaced them)."""
    return cells if cells.ndim == 2 and cells.shape[1] == ndim else np.zeros((0, ndim), np.int64)


class DepthStrip(StripWords, QWidget):
    """The small multiples of one grid (see the module docstring)."""

    def __init__(self, grid) -> None:
        super().__init__(grid)
        self.setObjectName(f"depthStrip_{grid.name}")
        self._grid = grid
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(3)
        self.note = WrappedNote("depthNote")  # as tall as its lines, however many
        self.note.setVisible(False)
        self._layout.addWidget(self.note, _NOTE_ROW, 0, 1, -1)
        # the strip's colour scale: the grid's bar went with its plane
        self.bar_view = pg.GraphicsLayoutWidget(self)
        self.bar_view.setBackground("#ffffff")
        self.bar_view.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.colorbar = ColorBar(colormap("diverging"), (-1.0, 1.0))
        self.colorbar.set_compact(True)
        # "slices": the scale of the slices side by side (the grid's own says "slice")
        self.colorbar.set_note("slices", "one colour scale for the slices shown, fitted to them")
        self.bar_view.addItem(self.colorbar)
        self.bar_view.setFixedWidth(_BAR_W)
        self.bar_view.setVisible(False)
        self.minis: list[DepthSlice] = []
        self._zeros: list[int] = []
        self._bar = True  # the colour bar is shown (else the note gives the scale)
        self._shown = 0
        self._across = 0
        self._key: tuple | None = None  # what the planes were last drawn for
        self._spanned: tuple = (None, ([], []))  # (the cells' key, `spanned`'s answer)
        #: (top, left, rows, cols) of the planes the minis zoom to: the spanning reads and
        #: a cell around them (None: whole planes)
        self.region: tuple[int, int, int, int] | None = None
        self.depths: list[int] = []  # in padded coordinates for the input
        # what a resize changes is laid out after the layout pass that resized the strip or
        # a slice: a widget shown or hidden inside that pass lays the strip out again within
        # it, and the outer pass then placed the slices it had not reached yet by stale
        # sizes — d = 0 and d = 1 640 px wide, off the strip's edge, until the next resize
        # (review r13 R7)
        self._settle_timer = QTimer(self, singleShot=True, interval=0)
        self._settle_timer.timeout.connect(self._on_settle_timer_timeout)
        self._words_timer = QTimer(self, singleShot=True, interval=0)
        self._words_timer.timeout.connect(self.say_rounding)
        # pixels of note the slices are laid out around: none when the strip is drawn or
        # resized, then what the note the layout led to takes, should it take more, twice at
        # most (the note a crop brings takes room the crop was chosen for; it only grows, so
        # the layout settles)
        self._planned_note = 0
        self._replans = 0

    # -- what the grid asks ----------------------------------------------------------------
    def refresh(self, scale, empty: bool, changed: str | None = None) -> bool:
        """Draw the strip if the grid's highlighted reads span two or more depths and the
        grid is at one of them (a depth picked by hand elsewhere shows that plane alone);
        whether it has something to show. ``scale``: the grid's `ColourScale`; ``empty``:
        the grid has no cells; ``changed``: the one highlight style that changed (None: any)."""
        depths, zeros = self.spanned()
        if empty or len(depths) < 2 or self.current_depth() not in depths:
            self._key = None
            return False
        g = self._grid
        leads = [(*g.lead[:-1], max(self._source(d), 0)) for d in depths]
        levels, cmap_name = scale.levels_over(g.array, leads)
        key = (tuple(depths), tuple(zeros), g.lead, levels, cmap_name, scale.mode)
        if key != self._key:
            self._key = key
            self.show_depths(depths, zeros, levels, cmap_name, scale.mode)
        else:
            self.redraw_marks(changed)
        self._say_why()
        return True

    def elsewhere(self) -> list[int]:
        """The depths (real coordinates) the grid's highlights lie at when the grid shows
        none of them (a depth picked by hand): [] otherwise."""
        depths, zeros = self.spanned()
        if not depths or self.current_depth() in depths:
            return []
        front = depth_pads(self._grid.spec)[0] if self._padded() else 0
        return [d - front for d in sorted(depths + zeros)]

    def shows_values(self) -> bool:
        """Whether every slice on screen prints its values."""
        minis = self.minis[: self._shown]
        return bool(minis) and all(m.view.shows_values() for m in minis)

    def forget(self) -> None:
        """The grid drew new values: draw the planes anew at the next `refresh`."""
        self._key = None

    def spanned(self) -> tuple[list[int], list[int]]:
        """The depths (the last lead coordinate; padded for the input) the grid's spanning
        highlights lie at, in order, split into those the strip draws and those in zero
        padding (a window reaching there reads nothing: named in a note, not drawn)."""
        g = self._grid
        if g.array is None or g.array.ndim < 3 or g.spec is None or g.spec.dims == 2:
            return [], []
        given = [g.marks.cells_array(style) for style in SPANNING]
        # the same arrays again (another style changed, an animation step): no new look.
        # The key holds the arrays themselves: a freed array's id can be reused
        key = (g.spec, g.array.shape, given)
        old = self._spanned[0]
        if old is not None and old[:2] == key[:2] and all(
                a is b for a, b in zip(old[2], given, strict=True)):
            return self._spanned[1]
        depths: set[int] = set()
        for cells in given:
            if len(cells) and cells.shape[1] == g.array.ndim:
                depths.update(int(d) for d in np.unique(cells[:, -3]))
        # marks of another layer (a new document while its results compute) may name
        # depths this tensor does not have: only the ones it has (padding included)
        front, back = depth_pads(g.spec) if self._padded() else (0, 0)
        depths = {d for d in depths if 0 <= d < g.array.shape[-3] + front + back}
        self._spanned = (key, self._split(sorted(depths)))
        return self._spanned[1]

    def _split(self, depths: list[int]) -> tuple[list[int], list[int]]:
        """``depths`` as (drawn, zero padding)."""
        g = self._grid
        if not self._padded() or g.spec.padding_mode != "zeros":
            return sorted(depths), []
        front, size = depth_pads(g.spec)[0], g.array.shape[-3]
        zeros = sorted(d for d in depths if not 0 <= d - front < size)
        return sorted(set(depths) - set(zeros)), zeros

    def current_depth(self) -> int | None:
        """The grid's depth in the strip's coordinates (padded for the input)."""
        g = self._grid
        if not g.lead:
            return None
        return g.lead[-1] + (depth_pads(g.spec)[0] if self._padded() else 0)

    def _padded(self) -> bool:
        return SlicePlane(self._grid.name, None, self._grid.spec, ()).padded

    def show_depths(self, depths: list[int], zeros: list[int], levels, cmap_name: str,
                    mode: str) -> None:
        """Draw the planes at ``depths`` with the grid's colour ``levels`` and map; say that
        the window also covers the zero-padding depths ``zeros``."""
        g = self._grid
        spec, array, lead = g.spec, g.array, g.lead
        padded = self._padded()
        front = depth_pads(spec)[0] if padded else 0
        self.depths = list(depths)
        self._zeros = [d - front for d in zeros]
        if self.colorbar.colorMap().name != cmap_name:
            self.colorbar.setColorMap(colormap(cmap_name))
        self.colorbar.setLevels(levels)
        while len(self.minis) < len(depths):
            self.minis.append(DepthSlice(self))
        size = array.shape[-3]
        for mini, depth in zip(self.minis, depths, strict=False):
            real, source = depth - front, self._source(depth)
            plane = SlicePlane(g.name, array, spec, (*lead[:-1], max(source, 0)))
            values = to_view(plane.values(), mode)
            real_shape, offset = plane.real_shape(), plane.offset
            if source < 0:
                values = np.zeros_like(values)
                real_shape = (0, 0)
            mini.plane = plane if 0 <= real < size else None
            mini.depth, mini.shape = depth, plane.shape()
            pads = plane.pads if any(plane.pads) else None
            mini.view.set_strip(spec.dims == 1)  # (a long Conv1d strip: cropped, captioned)
            mini.view.draw(values, levels, cmap_name, real_shape, offset, pads, plane.frame())
            mini.real, mini.source = real, source
            mini.where = Placement(array.ndim, (*lead[:-1], real), offset, mini.shape,
                                   plane.frame(), (*lead[:-1], depth) if padded else None)
            self._copy_marks(mini)
        self._say_why()
        self._planned_note = self._replans = 0
        self._zoom(len(depths))
        self._arrange(len(depths))
        self.say_rounding()

    def _source(self, depth: int) -> int:
        """The real slice a strip depth (padded coordinates for the input) shows: itself,
        or the one the padding mode copies there (−1: zero padding)."""
        g = self._grid
        front = depth_pads(g.spec)[0] if self._padded() else 0
        size, real = g.array.shape[-3], depth - front
        if 0 <= real < size or not self._padded():
            return real
        return int(source_index(np.array(depth), size, front, g.spec.padding_mode))

    def _zoom(self, count: int) -> None:
        """Whole planes when their numbers print so (every column in view); else the part
        the sum reads (`_region`), for the room its numbers need."""
        self.region = None
        # a cell around the reads, unless only the reads then print (a Conv1d strip crops
        # itself: `HeatmapView.set_strip`)
        # (last, the reads alone: the current term's window may reach into a padded border
        # no term reads, and a crop with it printed nothing where one without it prints —
        # conv3d_basic 'same', grad_weight[0,1,0,0,0] at term 7, 1280×800)
        tries = [(1, SPANNING), (0, SPANNING), (0, ("read",))]
        for context, styles in [] if self._grid.spec.dims == 1 else tries:
            if not count or self._prints(count, finest=True):
                break
            region, whole = self._region(self.depths, context, styles), self.region
            if region is None:
                continue
            self.region = region
            # a crop clearly less than a plane; a little less only when its numbers then
            # print (the 4×4 reads of a 5×5 'same'-padded plane: review r13 R8)
            rows, cols = self.minis[0].shape
            if region[2] * region[3] > 0.6 * rows * cols and not self._prints(count):
                self.region = whole
        for mini in self.minis[:count]:
            mini.fit()

    def _prints(self, count: int, finest: bool = False) -> bool:
        """Whether ``count`` slices' numbers print in some arrangement, with the colour bar
        or without (``finest``: in their most precise format)."""
        return max(self._room(count, n, finest, bar) for n in range(1, count + 1)
                   for bar in (True, False)) >= 1.0

    def redraw_marks(self, style: str | None = None) -> None:
        """The grid's highlights changed (same depths): place them (``style``'s alone, when
        given) on every mini again."""
        for mini in self.minis[: self._shown]:
            self._copy_marks(mini, style)

    def _region(self, depths: list[int], context: int = 1, styles=SPANNING
                ) -> tuple[int, int, int, int] | None:
        """The part of the planes the marks of ``styles`` lie in, with ``context`` cells
        each side, when that is less than a whole plane (more room for each number)."""
        rows, cols = self.minis[0].shape
        boxes = []
        for mini in self.minis[: len(depths)]:
            for style in styles:
                layer = mini.marks.layers.get(style)
                if layer is not None and layer.count:
                    cells = np.array(sorted(layer.drawn()))
                    boxes.append((*cells.min(axis=0), *cells.max(axis=0)))
        if not boxes:
            return None
        b = np.array(boxes)
        top = max(int(b[:, 0].min()) - context, 0)
        left = max(int(b[:, 1].min()) - context, 0)
        bottom = min(int(b[:, 2].max()) + 1 + context, rows)
        right = min(int(b[:, 3].max()) + 1 + context, cols)
        if (bottom - top, right - left) == (rows, cols):
            return None
        return top, left, bottom - top, right - left

    def _copy_marks(self, mini: DepthSlice, only: str | None = None) -> None:
        """The grid's marks (``only`` that style's, when given; 'links': the arrows) on
        ``mini``'s slice, and the copy arrows of its padded border."""
        marks, ndim = self._grid.marks, mini.where.ndim
        for style, (cells, padded) in marks.layers_given().items():
            if only is None or style == only:
                mini.marks.set_cells(style, _fitting(cells, ndim), padded, mini.where)
        if only is None or only == "links":
            for layer, (frm, to) in marks.links_given().items():
                mini.marks.set_links(layer, _fitting(frm, ndim), _fitting(to, ndim),
                                     mini.where)

    @property
    def axis(self) -> str:
        """The strip's axis: a Conv3d's depth ('d', the kernel's 'kd'), a Conv1d strip's
        last lead axis (the sample n, the weight's output channel o)."""
        g = self._grid
        if g.spec.dims == 1:
            return lead_names(g.spec, g.name)[-1]
        return DEPTH_LABEL[g.info.layout]

    def _arrange(self, count: int) -> None:
        """Lay ``count`` minis out in the columns whose cells come closest to printing
        their numbers (cells may grow up to `MAX_ASPECT` times wider than tall)."""
        if not count:
            return
        # the numbers as precise as they print anywhere, else as large as they come; the
        # colour bar unless it alone keeps them from printing (the note then gives the scale)
        # (and, where both print, cells up to twice as large as just enough over fewer
        # columns: two 4×4 slices stacked in a wide column printed 6 px digits, review r12 G3)
        # (printing at all first: three 4×4 slices in two rows, closer to the precise
        # digits but printing none, beat three in a row that print '−1.9', review r13 R8)
        def best(bar: bool) -> tuple[tuple, int]:
            def rank(n: int) -> tuple:
                fine, coarse = self._room(count, n, True, bar), self._room(count, n, False, bar)
                prints = 2 if fine >= 1.0 else 1 if coarse >= 1.0 else 0
                return prints, min(fine, 1.0), min(coarse, 1.0), min(fine, _ROOMY), -n
            return max((rank(n), n) for n in range(1, count + 1))
        (with_bar, across), (without, plain) = best(True), best(False)
        bar = with_bar[:3] >= without[:3] or not without[0]
        across = across if bar else plain
        if (count, across, bar) == (self._shown, self._across, self._bar):
            return
        self._bar = bar
        for mini in self.minis:
            self._layout.removeWidget(mini)
            mini.setVisible(False)
        self._layout.removeWidget(self.bar_view)
        self._shown, self._across = count, across
        for i, mini in enumerate(self.minis[:count]):
            self._layout.addWidget(mini, i // across, i % across)
            mini.setVisible(True)
        down = math.ceil(count / across)
        if count < down * across:  # the last row's free place
            self._layout.addWidget(self.bar_view, down - 1, across - 1)
        elif bar:  # a column of its own
            self._layout.addWidget(self.bar_view, 0, across, down, 1)
        self.bar_view.setVisible(bar or count < down * across)
        # each slice shown above laid the strip out at once, before the next was placed;
        # the last pass must see them all (Qt did not always ask for one: the bar kept its
        # old place over d = 1 until the next resize)
        self._layout.invalidate()
        self._layout.activate()

    def _cell_px(self, count: int, across: int, bar: bool = True) -> tuple[float, float]:
        """(width, height) in pixels of a cell with ``count`` minis ``across`` a row (and
        the colour ``bar``)."""
        rows, cols = self.minis[0].shape if self.region is None else self.region[2:]
        m = IndexLabelsItem.margin_for(rows, cols)
        spacing = self._layout.spacing()
        note = self._planned_note
        down = math.ceil(count / across)
        bar = 0 if count < down * across or not bar else _BAR_W + spacing  # (a column)
        w = (self.width() - bar - (across - 1) * spacing) / across - _CHROME
        h = (self.height() - note - (down - 1) * spacing) / down - LABEL_H - _CHROME
        most_w, most_h = w / (cols + m), h / (rows + m)  # cell sides if nothing held them
        cell_h = min(most_h, most_w)
        return min(most_w, MAX_ASPECT * cell_h), cell_h

    def _note_px(self) -> int:
        """Pixels the note takes under the slices: its lines at the strip's width (its size
        hint is two lines, a word-wrapped label's) and the gap above it."""
        if not self.note.isVisibleTo(self):
            return 0
        return self.note.natural_height(self.width()) + self._layout.spacing()

    def _room(self, count: int, across: int, finest: bool = False, bar: bool = True) -> float:
        """How much of what its numbers need (1: just enough) a cell gets with ``count``
        minis ``across`` a row; ``finest``: in their most precise format."""
        cell_w, cell_h = self._cell_px(count, across, bar)
        labels = [mini.view.labels for mini in self.minis[:count]]
        need_w = max(max(lb.min_width(finest) for lb in labels), 1.0)
        need_h = max(max(lb.min_height() for lb in labels), 1.0)
        return min(cell_w / need_w, cell_h / need_h)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._shown:
            self._planned_note = self._replans = 0
            self._settle_timer.start()

    def say_rounding(self) -> None:
        super().say_rounding()
        # the slices were laid out around less note than this: again, around this one
        if self._shown and self._note_px() > self._planned_note and self._replans < 2:
            self._planned_note = self._note_px()
            self._replans += 1
            self._settle_timer.start()

    def _on_settle_timer_timeout(self) -> None:
        if self._shown:
            self._zoom(self._shown)
            self._arrange(self._shown)
            self.say_rounding()

    def say_rounding_soon(self) -> None:
        """`say_rounding` once the layout pass now running is over (a slice resized)."""
        self._words_timer.start()

    # -- what the minis report -------------------------------------------------------------
    def picked(self, index: tuple[int, ...]) -> None:
        self._grid.selectionRequested.emit(Selection(self._grid.name, index))

    def hovered(self, index: tuple[int, ...] | None, text: str) -> None:
        self._grid.footer.set_text(text)
        self._grid.hoverRequested.emit(NOTHING if index is None
                                       else Selection(self._grid.name, index))

    @property
    def symbol(self) -> str:
        return self._grid.info.symbol
