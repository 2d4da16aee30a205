"""The words of a `DepthStrip` kept up to date: each slice's label (its depth, ▶ on the
current term's slice, why it is shown) and the note under the slices (zero padding, the
crop on screen, coarser rounding, the colour scale when no bar shows it). The texts
themselves are `strip_caption`'s.

`StripWords` is a mixin for the strip: it reads ``_grid``, ``minis``, ``depths``,
``_zeros``, ``_shown``, ``region``, ``note``, ``bar_view``, ``colorbar``, ``axis``,
``current_depth()``, which the strip has.
"""

from __future__ import annotations

import numpy as np

from .strip_caption import rounding_step, slice_label, slice_tip, strip_note, whole_cells


class StripWords:
    """Labels and note of a depth strip (see the module docstring)."""

    def _say_why(self) -> None:
        """Each slice's label: its depth, and why it is shown when some slice of a tensor
        the sum reads shows only the current term's kernel window (it reads nothing there).
        The sum's target reads nothing anywhere: its slices, the selected entry's among
        them, get no such word (review r12 G3: '▶ d = 1 · window only' on that entry)."""
        g = self._grid
        read = g.marks.cells_array("read")
        reads = set() if read.ndim != 2 or read.shape[1] != g.array.ndim else {
            int(d) for d in np.unique(read[:, -3])}
        some_window_only = bool(reads) and any(d not in reads for d in self.depths)
        # ▶ on the slice of the current term's cell (a padding slice's too), else the grid's
        now = g.marks.cells_array("current")
        marked = set() if now.ndim != 2 or now.shape[1] != g.array.ndim else {
            int(d) for d in now[:, -3]}
        marked = marked or {self.current_depth()}
        size = g.array.shape[-3]
        for mini, depth in zip(self.minis, self.depths, strict=False):
            why = "" if not some_window_only else "read" if depth in reads else "window only"
            text = slice_label(self.axis, mini.real, mini.source, size, depth in marked, why)
            if text != mini.label.text():
                mini.label.setStyleSheet("font-weight: bold;" if depth in marked else "")
                mini.label.setText(text)
                mini.label.setToolTip(slice_tip(self.axis, mini.real, why,
                                                painted=g.name != "input"))

    def say_rounding(self) -> None:
        """The note under the slices: zero padding the window covers, the crop of the
        planes, numbers rounded coarser than they can print."""
        if not self._shown:
            return
        steps = [rounding_step(m.view.printed_format(), m.view.labels.finest_format())
                 for m in self.minis[: self._shown]]
        steps = [st for st in steps if st]
        text = strip_note(self.axis, self._zeros, *self._crop(),
                          min(steps, key=len) if steps else None,
                          None if self.bar_view.isVisibleTo(self) else self.colorbar.levels())
        if text != self.note.text():
            self.note.setText(text)  # (a `WrappedNote`: as tall as its lines)
        self.note.setVisible(bool(text))

    def _crop(self) -> tuple[tuple[int, int, int, int] | None, tuple[int, int]]:
        """(top, left, rows, cols) of the real cells wholly on screen when the slices zoom
        to a region (None: whole planes), numbered as their labels are; the real plane's
        (rows, cols)."""
        mini = self.minis[0]
        real = mini.plane.real_shape() if mini.plane is not None else mini.shape
        if self.region is None or mini.where is None:
            return None, real
        shown = mini.view.vb.viewRect()
        return whole_cells((shown.top(), shown.left(), shown.bottom(), shown.right()),
                           mini.where.offset, real), real
