"""GridMarks: a grid's highlight layers and border arrows, kept in tensor coordinates.

The explainer (and anything else) gives cells as full indices into the tensor; the marks
keep them and place them on whatever slice the grid shows, again after every redraw.
Drawing is `gui.widgets.highlight_items` (a path for a few cells, an image for many).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..padded_frame import Frame
from .highlight_items import CellsLayer, LinksItem


@dataclass(frozen=True)
class Placement:
    """Where the grid's shown slice sits: what the marks need to place cells."""

    ndim: int  # of the tensor
    lead: tuple[int, ...]  # the leading index of the shown 2D slice
    offset: tuple[int, int]  # (top, left) padding before the real cells
    shape: tuple[int, int]  # rows and columns of the image (padded for the input)
    frame: Frame | None = None  # the drawn part of a huge padding (None: all of it)
    #: the shown slice's leading index in padded coordinates (a Conv3d input's depth is
    #: padded: its padded cells carry the padded depth); None: the same as ``lead``
    padded_lead: tuple[int, ...] | None = None

    def drawn(self, padded: np.ndarray) -> np.ndarray:
        """(k, 2) padded cells → the cells drawn (reads in undrawn padding: its marker)."""
        return padded if self.frame is None else self.frame.to_drawn(padded)


def cells_array(cells, ndim: int) -> np.ndarray:
    """Cells as an (k, ndim) int64 array (from an array or an iterable of index tuples)."""
    if isinstance(cells, (list, tuple)) and not len(cells):
        return np.zeros((0, ndim), np.int64)
    arr = np.asarray(cells, dtype=np.int64)
    return arr.reshape(-1, ndim) if arr.size else np.zeros((0, ndim), np.int64)


class GridMarks:
    """One highlight layer per style and one set of arrows per link layer, on one view box."""

    def __init__(self, view_box) -> None:
        self._vb = view_box
        self.layers: dict[str, CellsLayer] = {}
        self.link_items: dict[str, LinksItem] = {}
        self._cells: dict[str, tuple[np.ndarray, bool]] = {}
        self._links: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def set_cells(self, style: str, cells, padded: bool, where: Placement) -> None:
        arr = cells_array(cells, where.ndim)
        if style not in self.layers:
            layer = CellsLayer(style)  # KeyError for an unknown style
            self._vb.addItem(layer, ignoreBounds=True)
            self.layers[style] = layer
        self._cells[style] = (arr, padded)
        self._draw_cells(style, where)

    def set_links(self, layer: str, frm, to, where: Placement) -> None:
        if layer not in self.link_items:
            item = LinksItem(layer)
            self._vb.addItem(item, ignoreBounds=True)
            self.link_items[layer] = item
        self._links[layer] = (cells_array(frm, where.ndim), cells_array(to, where.ndim))
        self._draw_links(layer, where)

    def redraw(self, where: Placement) -> None:
        """Place every mark again (the slice, the shape or the padding changed)."""
        for style in self._cells:
            self._draw_cells(style, where)
        for layer in self._links:
            self._draw_links(layer, where)

    def cells(self, style: str) -> list[tuple[int, ...]]:
        arr = self._cells.get(style, (np.zeros((0, 0), np.int64), False))[0]
        return [tuple(int(i) for i in row) for row in arr]

    def cells_array(self, style: str) -> np.ndarray:
        """The cells last given for ``style`` as an (k, ndim) array (no copy)."""
        return self._cells.get(style, (np.zeros((0, 0), np.int64), False))[0]

    def layers_given(self) -> dict[str, tuple[np.ndarray, bool]]:
        """Every style's cells as given (and whether padded): for a view that places the
        same marks on other slices (`depth_strip`)."""
        return dict(self._cells)

    def links_given(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Every link layer's arrows as given (padded input cells: from, to)."""
        return dict(self._links)

    def link_count(self, layer: str) -> int:
        item = self.link_items.get(layer)
        return 0 if item is None else item.count

    # -- placing -------------------------------------------------------------------------
    @staticmethod
    def _in_slice(cells: np.ndarray, where: Placement, padded: bool = False) -> np.ndarray:
        lead = where.lead if not padded or where.padded_lead is None else where.padded_lead
        lead = np.asarray(lead, np.int64)
        if len(cells) == 0 or cells.shape[1] < 3 or not len(lead):
            return np.ones(len(cells), bool)
        return np.all(cells[:, :-2] == lead, axis=1)

    def _draw_cells(self, style: str, where: Placement) -> None:
        cells, padded = self._cells[style]
        if len(cells) == 0 or cells.shape[1] != where.ndim:
            rc = np.zeros((0, 2), np.int64)
        elif cells.shape[1] == 1:  # the bias: a column
            rc = np.stack([cells[:, 0], np.zeros(len(cells), np.int64)], axis=1)
        else:
            rc = cells[self._in_slice(cells, where, padded)][:, -2:].copy()
            if not padded:
                rc += np.asarray(where.offset, np.int64)
            else:
                rc = where.drawn(rc)
        self.layers[style].set_cells(rc, where.shape)
        marks_changed = getattr(self._vb, "marksChanged", None)
        if marks_changed is not None:
            marks_changed.emit()  # (a strip keeps the marked columns in view)

    def _draw_links(self, layer: str, where: Placement) -> None:
        frm, to = self._links[layer]
        if frm.shape[1] != where.ndim or len(frm) != len(to):
            frm = to = np.zeros((0, 2), np.int64)
        keep = self._in_slice(frm, where, padded=True)
        self.link_items[layer].set_links(where.drawn(frm[keep][:, -2:]),
                                         where.drawn(to[keep][:, -2:]),
                                         over_rows=getattr(self._vb, "strip", False))
