"""GridsView: the eight tensor grids laid out along the forward and the backward flow.

    forward    input x   ⊛   weight W   +   bias b   =   output y     (⊛ᵀ: ConvTranspose2d)
    backward   ∂L/∂x    ←    ∂L/∂W        ∂L/∂b      ←   grad_output ∂L/∂y

Each gradient sits under the tensor it belongs to (same shape); grad_output sits under the
output and flows right to left. Also the note that says what grad_output means.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from core.session import Session
from core.spec import LayerSpec
from core.tensors import BACKWARD, EDITABLE, FORWARD, RESULTS, operator, title

from ..padded_frame import frame, padded_grid
from ..provenance import grid_shape
from .cell_text import IndexLabelsItem
from .tensor_grid import TensorGrid

_FORWARD_OPS = ("⊛", "+", "=")
_BACKWARD_OPS = ("←", "", "←")
_STRETCH = (9, 5, 2, 9)
#: Pixels each grid spends besides its cells: across (margins, colour bar and its axis) and
#: down (title, selectors, readout), and what a heading takes (operators are measured).
_GRID_W, _GRID_H, _HEADING_H = 64, 64, 22
_ROOMY_CELL = 17  # pixels a cell needs down to print its number with room to spare
#: Cells narrower than this (px) make the grids compact (`TensorGrid.set_compact`), which
#: saves `_COMPACT_SAVES` pixels across each grid.
_COMPACT_CELL, _COMPACT_SAVES = 26, 14
_PRINTABLE_ROWS = 16  # taller grids (with their margin) are not expected to print numbers
_STRIP_MAX_W = 9  # planes wider than this (cells) are not counted once per depth slice
#: A Conv1d strip longer than this is cropped around the sum where its numbers do not fit
#: (`HeatmapView.set_strip`): counted as this many cells across, it leaves the weight's few
#: taps the room to print theirs (a 64-step input took all but ~15 px a tap).
_STRIP_CELLS = 10


def _strip_planes(spec: LayerSpec, name: str, width: int) -> int:
    """How many planes wide to count grid ``name`` whose plane is ``width`` cells across: a
    Conv3d's input and weight show a sum's depth slices side by side (`depth_strip`), as
    many as the kernel has taps in depth (up to 3: more go into rows, and the single plane
    shown without a selection must not get all the room) — when the planes are small
    enough for side-by-side slices to print their numbers at all (a wide input column
    would only starve the others). A ConvTranspose3d paints its output with the kernel's
    copies: the output (and grad_output) show those slices (review r12 G3: 10 px cells)."""
    stripped = ("input", "weight") + (("output", "grad_output") if spec.transposed else ())
    if spec.dims != 3 or name not in stripped or width > _STRIP_MAX_W:
        return 1
    return max(1, min(spec.kernel_size[0], 3))


class GradOutputNote(QWidget):
    """Says what grad_output means, with one-click Ones / Random."""

    fillRequested = Signal(str)  # 'ones' or 'random'

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradOutputNote")
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(objectName="noteLabel")
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setToolTip(
            "grad_output is ∂L/∂y, the gradient flowing back into the output from whatever "
            "loss L follows the layer. All ones is the gradient of L = y.sum(); any other "
            "values mean L = Σ y·grad_output, as y.backward(grad_output) computes."
        )
        self.ones = QPushButton("Ones", objectName="gradOnes")
        self.ones.setToolTip("grad_output = 1 everywhere: the gradient of L = y.sum()")
        self.random = QPushButton("Random", objectName="gradRandom")
        self.random.setToolTip("a seeded random upstream gradient")
        box.addWidget(self.label, 1)
        box.addWidget(self.ones)
        box.addWidget(self.random)
        self.ones.clicked.connect(self._on_ones_clicked)
        self.random.clicked.connect(self._on_random_clicked)

    def set_session(self, session: Session) -> None:
        gy = session.grad_output
        if gy.size and np.all(gy == 1):
            text = "L = y.sum()"  # short: it shares a row with two buttons at 1280 px
        else:
            text = "L = Σ y·gy"  # y.backward(gy); the tooltip says it in full
        self.label.setText(text)
        self._fit_label()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_label()

    def _fit_label(self) -> None:
        """The label whole or not at all: a narrow column (a Conv3d's, beside three spin
        boxes) would cut it under the buttons; its tooltip still says what L is."""
        need = (self.label.fontMetrics().horizontalAdvance(self.label.text())
                + self.ones.sizeHint().width() + self.random.sizeHint().width()
                + 2 * self.layout().spacing())
        self.label.setVisible(self.width() >= need)

    def _on_ones_clicked(self) -> None:
        self.fillRequested.emit("ones")

    def _on_random_clicked(self) -> None:
        self.fillRequested.emit("random")


class GridsView(QWidget):
    """Builds the grids and the operators between them; holds no state of its own."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gridsView")
        self.grids: dict[str, TensorGrid] = {}
        self.headings: list[QLabel] = []
        self._operators: list[QLabel] = []
        self._compact: bool | None = None
        self._wide_ops = 0  # pixels the operators take when not compact
        layout = QGridLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setHorizontalSpacing(0)
        layout.setVerticalSpacing(6)
        headings = (
            "Forward   y = x ⊛ W + b",
            "Backward   from ∂L/∂y back to ∂L/∂x, ∂L/∂W and ∂L/∂b",
        )
        for row, (names, ops, flow) in enumerate(
            ((FORWARD, _FORWARD_OPS, "forward"), (BACKWARD, _BACKWARD_OPS, "backward"))
        ):
            heading = QLabel(headings[row], objectName="flowLabel")
            heading.setProperty("flow", flow)
            self.headings.append(heading)
            layout.addWidget(heading, 2 * row, 0, 1, 2 * len(names) - 1)
            for i, name in enumerate(names):
                grid = TensorGrid(name)
                grid.setProperty("flow", flow)
                self.grids[name] = grid
                layout.addWidget(grid, 2 * row + 1, 2 * i)
                if i < len(ops):
                    op = QLabel(ops[i], objectName="operator")
                    op.setAlignment(Qt.AlignmentFlag.AlignCenter)
                    self._operators.append(op)
                    layout.addWidget(op, 2 * row + 1, 2 * i + 1)
        self._layout = layout
        self._cells: tuple[list[float], list[float]] | None = None
        for i, stretch in enumerate(_STRETCH):
            layout.setColumnStretch(2 * i, stretch)
        layout.setRowStretch(1, 1)
        layout.setRowStretch(3, 1)
        self.grad_note = GradOutputNote()
        self.grids["grad_output"].add_header_widget(self.grad_note)
        self.grad_note.fillRequested.connect(self.grids["grad_output"].fill_tensor)

    def set_spec(self, spec: LayerSpec) -> None:
        """Share the room by cells: each column of grids gets width in proportion to the
        cells it shows across (the padded input has more than the output), each row height
        to the cells down, so that cells come out about the same size everywhere."""
        # the forward pass as this layer computes it: x ⊛ W, or x ⊛ᵀ W for a transposed one
        self._operators[0].setText(operator(spec))
        self.headings[0].setText(f"Forward   {title('output', spec).removeprefix('output ')}")
        cols, rows = [0.0] * len(FORWARD), [0.0, 0.0]
        for r, names in enumerate((FORWARD, BACKWARD)):
            for i, name in enumerate(names):
                shape = grid_shape(spec, name)
                if shape is None:
                    continue
                h, w = (shape[0], 1) if len(shape) == 1 else shape[-2:]
                cut = frame(spec) if padded_grid(spec, name) else None
                if cut is not None:
                    h, w = cut.shape  # (a huge padding: the few border cells drawn)
                if spec.dims == 1:
                    w = min(w, _STRIP_CELLS)
                m = IndexLabelsItem.margin_for(h, w)
                cols[i] = max(cols[i], (w + m) * _strip_planes(spec, name, w))
                rows[r] = max(rows[r], h + m)
        self._cells = (cols, rows)
        self._share_room()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._share_room()

    def _share_room(self) -> None:
        if self._cells is None:
            return
        cols, rows = self._cells
        if not self._compact:
            self._wide_ops = sum(op.sizeHint().width() for op in self._operators[:3])
        saves = _COMPACT_SAVES if self._compact else 0
        least = [max(self.grids[names[i]].minimumSizeHint().width() for names in
                     (FORWARD, BACKWARD)) + saves for i in range(len(cols))]
        compact = self._cell_width(cols, least, self._wide_ops, 0) < _COMPACT_CELL
        if compact != self._compact:
            self._set_compact(compact)
        saves = _COMPACT_SAVES if compact else 0
        ops = sum(op.sizeHint().width() for op in self._operators[:3])
        cell_w = self._cell_width(cols, [w - saves for w in least], ops, saves)
        # the backward row also holds grad_output's note (what its values mean)
        extra = (0, self.grad_note.sizeHint().height())
        fixed_h = 2 * (_GRID_H + _HEADING_H) + sum(extra)
        cell_h = max(self.height() - fixed_h, 0) / max(sum(rows), 1.0)
        for i, c in enumerate(cols):
            self._layout.setColumnStretch(2 * i, max(round(_GRID_W + c * cell_w), 1))
        # a short window and grids small enough to print their numbers: the two heading
        # lines go (the operators between the grids still say which row is the forward
        # pass) and their room goes to the cells
        short = cell_h < _ROOMY_CELL and max(rows) <= _PRINTABLE_ROWS
        for heading in self.headings:
            heading.setHidden(short)
        for r, n in enumerate(rows):
            self._layout.setRowStretch(2 * r + 1,
                                       max(round(_GRID_H + extra[r] + n * cell_h), 1))

    def _cell_width(self, cols: list[float], least: list[int], ops: int, saves: int) -> float:
        """Pixels a cell gets across when the columns' cells are equally wide: the room the
        operators (``ops`` px) and each grid's chrome leave, where a column held at its least
        width (``least``: its selectors, its title) takes that whatever its cells."""
        chrome = _GRID_W - saves
        room = self.width() - ops - 2 * (2 if saves else 6)
        free = list(range(len(cols)))
        while True:
            held = sum(least[i] for i in range(len(cols)) if i not in free)
            cell = (max(room - held - chrome * len(free), 0)
                    / max(sum(cols[i] for i in free), 1.0))
            narrow = [i for i in free if least[i] > chrome + cols[i] * cell]
            if not narrow or len(narrow) == len(free):
                return cell
            free = [i for i in free if i not in narrow]

    def _set_compact(self, compact: bool) -> None:
        """Thinner margins and smaller operator glyphs (``compact`` in the style sheet)."""
        self._compact = compact
        for grid in self.grids.values():
            grid.set_compact(compact)
        m = 2 if compact else 6
        self._layout.setContentsMargins(m, 4, m, 4)
        for op in self._operators:
            op.setProperty("compact", compact)
            op.style().unpolish(op)
            op.style().polish(op)

    def set_shared_scale(self, shared: bool) -> None:
        """Colour scales shared across slices (compare channels) or fitted to each slice."""
        for grid in self.grids.values():
            grid.set_shared_scale(shared)

    def editable(self) -> list[TensorGrid]:
        return [self.grids[n] for n in EDITABLE]

    def results(self) -> list[TensorGrid]:
        return [self.grids[n] for n in RESULTS]

    def all(self) -> list[TensorGrid]:
        return list(self.grids.values())
