"""TwinView: this layer's numbers beside its twin's (`core.twin`), in a dialog of their own.

A ConvTranspose2d's output next to the grad_input of the Conv2d whose backward pass it is
(and a Conv2d's grad_input next to the output of its ConvTranspose2d): two tables of the
same slice, so a student reads that the numbers are the same. The twin is computed by core
(`core.twin.compare_with_twin`) each time the layer's results change while it is shown.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.torch_layer import layer_call, layer_class
from core.twin import TwinComparison, compare_with_twin

from ..equation import fmt

_TITLES = {"output": "output y", "grad_input": "grad_input ∂L/∂x"}


def _table(name: str) -> QTableWidget:
    table = QTableWidget(objectName=name)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return table


class TwinView(QDialog):
    """Shows `compare_with_twin` for the latest results; ``set_result`` keeps it current."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("twinView")
        self.setWindowTitle("Compare with the matching layer")
        self.comparison: TwinComparison | None = None
        self.header = QLabel(objectName="twinHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # one box per axis in front of the table's two (sample, channel, depth: as the shape
        # asks); the table holds the last two axes: a Conv1d's channels × positions, else
        # height × width of one channel (and depth)
        self.sample = QSpinBox(objectName="twinSample")
        self.channel = QSpinBox(objectName="twinChannel")
        self.depth = QSpinBox(objectName="twinDepth")
        self.sample.setPrefix("n = ")
        self.channel.setPrefix("channel ")
        self.depth.setPrefix("d = ")
        self.axes_note = QLabel(objectName="twinAxes")
        picks = QHBoxLayout()
        for spin in (self.sample, self.channel, self.depth):
            picks.addWidget(spin)
        picks.addWidget(self.axes_note)
        picks.addStretch(1)
        self._lead: tuple[QSpinBox, ...] = ()  # the boxes picking this shape's lead axes
        self.ours_title, self.theirs_title = QLabel(), QLabel()
        self.ours, self.theirs = _table("twinOurs"), _table("twinTheirs")
        grid = QGridLayout()
        grid.addWidget(self.ours_title, 0, 0)
        grid.addWidget(self.theirs_title, 0, 1)
        grid.addWidget(self.ours, 1, 0)
        grid.addWidget(self.theirs, 1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(picks)
        layout.addLayout(grid, 1)
        for spin in (self.sample, self.channel, self.depth):
            spin.valueChanged.connect(self._on_pick_valueChanged)
        self.resize(900, 480)

    # -- data in -------------------------------------------------------------------------
    def show_for(self, result) -> None:
        """Compare ``result`` (a `gui.compute.ComputeResult`) with its twin and show it."""
        self._compare(result)
        self.show()
        self.raise_()

    def set_result(self, result) -> None:
        """New results: compare again while shown (a hidden view waits for `show_for`)."""
        if self.isVisible():
            self._compare(result)

    def _compare(self, result) -> None:
        try:
            self.comparison = compare_with_twin(result.session, result.results)
        except ValueError as exc:  # no twin: say why, show no numbers
            self.comparison = None
            self.header.setText(f"⚠ {html.escape(str(exc))}")
            for table in (self.ours, self.theirs):
                table.setRowCount(0)
                table.setColumnCount(0)
            return
        self._describe(self.comparison, result.session)
        self._fill()

    # -- drawing -------------------------------------------------------------------------
    def _describe(self, c: TwinComparison, session) -> None:
        spec, other = session.spec, c.twin_session.spec
        mine = "this layer's " + _TITLES[c.ours] + (" without its bias b" if c.bias_removed else "")
        fed = "grad_output = this input x" if spec.transposed else "input = this grad_output"
        weight = ("the conjugate weight conj(W)" if spec.dtype.startswith("complex")
                  else "the same weight W")
        call = html.escape(layer_call(other, f"torch.{other.dtype}"))
        self.header.setText(
            f"<b>{html.escape(mine)}</b> is the <b>{_TITLES[c.theirs]}</b> of "
            f"<code>{call}</code> on a {other.input_shape} input, "
            f"with {fed} and {weight} {spec.weight_shape}: max |Δ| = {c.max_abs_delta:.2g}"
        )
        self.ours_title.setText(f"{layer_class(spec)}: {mine}")
        self.theirs_title.setText(f"{layer_class(other)}: {_TITLES[c.theirs]}")
        dims, values = spec.dims, c.ours_values
        batched = values.ndim == dims + 2
        # the axes before the table's two: the sample (batched), the channel (2D and 3D),
        # the depth (3D)
        lead = [self.sample] if batched else []
        lead += [self.channel] if dims >= 2 else []
        lead += [self.depth] if dims == 3 else []
        self._lead = tuple(lead)
        for spin in (self.sample, self.channel, self.depth):
            used = spin in self._lead
            count = values.shape[self._lead.index(spin)] if used else 1
            spin.blockSignals(True)
            spin.setRange(0, max(count - 1, 0))
            spin.blockSignals(False)
            spin.setVisible(used and count > 1)
        rows, cols = ("channels", "positions") if dims == 1 else ("rows h", "columns w")
        self.axes_note.setText(f"table: {rows} down, {cols} across")

    def _plane(self, a: np.ndarray) -> np.ndarray:
        """The two last axes at the boxes' picks (empty for an empty batch or channel)."""
        if a.ndim != len(self._lead) + 2 or 0 in a.shape[:len(self._lead)]:
            return np.zeros((0, 0), a.dtype)
        return a[tuple(spin.value() for spin in self._lead)]

    def _fill(self) -> None:
        c = self.comparison
        if c is None:
            return
        for table, values in ((self.ours, c.ours_values), (self.theirs, c.theirs_values)):
            plane = self._plane(values)
            rows, cols = plane.shape if plane.ndim == 2 else (0, 0)
            table.setRowCount(rows)
            table.setColumnCount(cols)
            # 0-based, as the grids and the indices in the sums
            table.setVerticalHeaderLabels([str(r) for r in range(rows)])
            table.setHorizontalHeaderLabels([str(c) for c in range(cols)])
            for r in range(rows):
                for col in range(cols):
                    item = QTableWidgetItem(fmt(plane[r, col]))
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    table.setItem(r, col, item)
            table.resizeColumnsToContents()

    def _on_pick_valueChanged(self, _value: int) -> None:
        self._fill()

    def texts(self, which: str) -> list[list[str]]:
        """The numbers a table shows (``ours`` or ``theirs``), as text (for tests)."""
        table = getattr(self, which)
        return [[table.item(r, c).text() for c in range(table.columnCount())]
                for r in range(table.rowCount())]
