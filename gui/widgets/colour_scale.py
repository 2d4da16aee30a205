"""ColourScale: how a `TensorGrid`'s values map to colours.

Signed values on a diverging map with symmetric levels (−m, m), m a `nice_limit` of the
largest magnitude; complex |z| on a sequential map (0, m) and arg on a cyclic one (−π, π);
a grayscale feature map from the minimum to the maximum on request. The scale is fitted to
the slice on screen, or (``shared``) to every slice of the tensor. An edit grows the scale
at once but shrinks it only once edits pause (``shrunk`` then asks for a redraw), so that
scrubbing a value does not make the colours flicker.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from .grid_items import nice_limit
from .tensor_info import to_view

#: A colour scale shrinks to fit smaller values only once edits pause this long.
SHRINK_MS = 400


class ColourScale(QObject):
    """The scale's settings (``mode``, ``gray``, ``shared``) and its fitted bounds."""

    shrunk = Signal()  # the bound shrank after edits paused: draw again

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.mode = "real"  # the complex view: 'real', 'imag', 'abs' or 'phase'
        self.limit = 1.0  # the diverging map's bound m
        self.gray = False  # a grayscale feature map instead of the diverging heatmap
        self.range = (0.0, 1.0)  # the fitted (min, max), for the gray levels
        self.shared = False  # one colour scale across every slice (else fitted to the slice)
        self._array: np.ndarray | None = None  # what the bound was last fitted to
        self._lead: tuple[int, ...] = ()
        self._shrink_timer = QTimer(self, singleShot=True, interval=SHRINK_MS)
        self._shrink_timer.timeout.connect(self._on_shrink_timer_timeout)

    def refit(self, array: np.ndarray | None, lead: tuple[int, ...], immediate: bool) -> None:
        """Fit the scale to ``array``'s slice ``lead``; an edit (not ``immediate``) grows it
        at once but shrinks it only when edits pause."""
        self._array, self._lead = array, lead
        target = self.fitted_limit(array, lead)
        if immediate or target >= self.limit:
            self._shrink_timer.stop()
            self.limit = target
        else:
            self._shrink_timer.start()
        if self.gray:
            self.fit_range(array, lead)

    def _on_shrink_timer_timeout(self) -> None:
        target = self.fitted_limit(self._array, self._lead)
        if target != self.limit:
            self.limit = target
            self.shrunk.emit()

    def values(self, array: np.ndarray | None, lead: tuple[int, ...]) -> np.ndarray:
        """The values the scale is fitted to: slice ``lead``, or every slice when the scale
        is shared (as viewed: Re, Im, |z| or arg of complex data)."""
        a = array
        if a is None or a.size == 0:
            return np.zeros(0)
        return to_view(a if self.shared or a.ndim < 3 else a[lead], self.mode)

    def fitted_limit(self, array: np.ndarray | None, lead: tuple[int, ...]) -> float:
        """The bound m that fits the values now."""
        if array is None or array.size == 0:
            return 1.0
        if np.iscomplexobj(array) and self.mode == "phase":
            return float(np.pi)
        v = self.values(array, lead)
        finite = np.abs(v[np.isfinite(v)])
        return nice_limit(float(finite.max()) if finite.size else 1.0)

    def fit_range(self, array: np.ndarray | None, lead: tuple[int, ...]) -> None:
        """Fit the gray levels to the values now (a constant plane gets a unit range)."""
        v = self.values(array, lead)
        finite = v[np.isfinite(v)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        self.range = (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)

    def levels(self, array: np.ndarray | None) -> tuple[tuple[float, float], str]:
        """(levels, colour map name) for ``array``'s values as viewed."""
        complex_ = array is not None and np.iscomplexobj(array)
        if complex_ and self.mode == "abs":
            return (0.0, self.limit), "sequential"
        if complex_ and self.mode == "phase":
            return (-np.pi, np.pi), "cyclic"
        if self.gray:
            return self.range, "gray"
        return (-self.limit, self.limit), "diverging"

    def levels_over(self, array: np.ndarray | None, leads: list[tuple[int, ...]]
                    ) -> tuple[tuple[float, float], str]:
        """(levels, colour map name) fitted to the slices ``leads`` together (a depth strip
        shows several: fitted to one, the others' colours would clip unsaid); the shared
        scale's when the scale is shared."""
        if self.shared or array is None or array.ndim < 3 or not leads:
            return self.levels(array)
        complex_ = np.iscomplexobj(array)
        if complex_ and self.mode == "phase":
            return (-np.pi, np.pi), "cyclic"
        v = np.concatenate([np.ravel(to_view(array[lead], self.mode)) for lead in leads])
        finite = v[np.isfinite(v)]
        if self.gray:
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            return ((lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)), "gray"
        top = nice_limit(float(np.abs(finite).max()) if finite.size else 1.0)
        if complex_ and self.mode == "abs":
            return (0.0, top), "sequential"
        return (-top, top), "diverging"

    def note(self, array: np.ndarray | None) -> tuple[str, str]:
        """(word, tool tip) under the colour bar: which scale is in force; none for a
        tensor of one slice."""
        if array is None or array.ndim < 3:
            return "", ""
        if self.shared:
            return "shared", "one colour scale for every slice (View › Colour scale)"
        return "slice", ("colour scale fitted to the slice on screen "
                         "(View › Colour scale shared across slices to compare)")
