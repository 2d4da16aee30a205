"""What a `TensorGrid` answers about the slice on screen, without changing anything: its
tensor, layer and lead, where a cell of the drawn plane sits in the tensor, what a cell
reads as, the colour scale's bound, the highlights given, whether the numbers print.

The explainer, the grid's editor and the tests ask these; the grid's commands (``set_*``)
and its drawing stay in `tensor_grid`. `GridQueries` is a mixin for the grid: it reads
``name``, ``info``, ``_array``, ``_spec``, ``_lead``, ``_scale``, ``_selection``,
``marks``, ``view``, ``depths``, ``_stack`` and ``_showing()``, which the grid creates.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF

from ..selection import NOTHING, Selection
from .slice_plane import SlicePlane


class GridQueries:
    """Read-only answers of a `TensorGrid` (see the module docstring)."""

    def plane_cell(self, pos: QPointF) -> tuple[int, int] | None:
        """(row, col) of the image cell under view position ``pos`` (padded coordinates)."""
        shape = self._slice().shape()
        if shape is None:
            return None
        r, c = int(np.floor(pos.y())), int(np.floor(pos.x()))
        return (r, c) if 0 <= r < shape[0] and 0 <= c < shape[1] else None

    def _slice(self) -> SlicePlane:
        """The plane on screen (its cells' indices, border sources and readout text)."""
        return SlicePlane(self.name, self._array, self._spec, self._lead)

    def real_index(self, r: int, c: int) -> tuple[int, ...] | None:
        """Full tensor index of image cell (r, c), or None for a border cell."""
        return self._slice().real_index(r, c)

    def highlighted(self, style: str = "read") -> list[tuple[int, ...]]:
        """The cells last given for ``style`` (as index tuples)."""
        return self.marks.cells(style)

    def links(self, layer: str = "explain") -> int:
        """How many arrows ``layer`` draws on the shown slice."""
        return self.marks.link_count(layer)


    @property
    def array(self) -> np.ndarray | None:
        return self._array

    @property
    def spec(self):
        """The layer the grid's tensor belongs to (None before the first one)."""
        return self._spec

    @property
    def lead(self) -> tuple[int, ...]:
        return self._lead

    @property
    def offset(self) -> tuple[int, int]:
        """(top, left): padded border rows and columns shown before the real cells."""
        return self._slice().offset

    @property
    def limit(self) -> float:
        """The colour scale's bound m (levels are (−m, m))."""
        return self._scale.limit

    def scale_values(self) -> np.ndarray:
        """The values the colour scale is fitted to: the shown slice, or every slice when
        the scale is shared (as viewed: Re, Im, |z| or arg of complex data)."""
        return self._scale.values(self._array, self._lead)

    def shows_values(self) -> bool:
        """Whether the cells on screen are large enough to print their values (and do):
        the plane's, or every slice's of the depth strip."""
        if self._array is not None and self.showing_depths():
            return self.depths.shows_values()
        return self._array is not None and self._showing() and self.view.shows_values()

    @property
    def complex_view(self) -> str:
        return self._scale.mode

    def full_index(self, r: int, c: int) -> tuple[int, ...]:
        """Full tensor index of real cell (r, c) of the shown slice."""
        return self._slice().full_index(r, c)

    def real_shape(self) -> tuple[int, int] | None:
        """Rows and columns of real (unpadded) cells in the shown slice."""
        return self._slice().real_shape()

    def showing_depths(self) -> bool:
        """Whether the grid shows its depth strip (`DepthStrip`) instead of one plane."""
        return self._stack.currentWidget() is self.depths

    def current_selection(self) -> Selection:
        return self._selection if self._selection.tensor == self.name else NOTHING

    def describe(self, r: int, c: int) -> str:
        """'x[0, 1, 3, 4] = −0.53' for plane cell (r, c) of the image (padded coordinates)."""
        return self._slice().describe(r, c, self.info.symbol)
