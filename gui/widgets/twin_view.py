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
        self.sample = QSpinBox(objectName="twinSample")
        self.channel = QSpinBox(objectName="twinChannel")
        self.sample.setPrefix("n = ")
        self.channel.setPrefix("channel ")
        picks = QHBoxLayout()
        picks.addWidget(self.sample)
        picks.addWidget(self.channel)
        picks.addStretch(1)
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
        self.sample.valueChanged.connect(self._on_pick_valueChanged)
        self.channel.valueChanged.connect(self._on_pick_valueChanged)
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
        lead = c.ours_values.shape[:-2]
        batched = len(lead) == 2
        for spin, count, shown in ((self.sample, lead[0] if batched else 1, batched),
                                   (self.channel, lead[-1], True)):
            spin.blockSignals(True)
            spin.setRange(0, max(count - 1, 0))
            spin.blockSignals(False)
            spin.setVisible(shown and count > 1)

    def _plane(self, a: np.ndarray) -> np.ndarray:
        if a.ndim == 4:
            if a.shape[0] == 0:  # an empty batch: nothing to show
                return a[:0, 0] if a.shape[1] else np.zeros((0, 0), a.dtype)
            a = a[self.sample.value()]
        return a[self.channel.value()]

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
