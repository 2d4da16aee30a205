"""SliceSelector: spin boxes that pick which 2D slice of a tensor a grid shows (n, c, o, and
a Conv3d's depth d)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QWidget

_LEAST_W, _ARROWS_W = 48, 32  # pixels: the narrowest box; its arrows and frame
_TIPS = {"d": "which depth slice to show", "kd": "which depth tap of the kernel to show"}


class SliceSelector(QWidget):
    """One spin box per leading axis ('n', 'c' …), shown only for the axes the tensor has.

    ``set_shape`` (silent) sizes them; the user's choice goes out as ``leadChanged``.
    """

    leadChanged = Signal(tuple)

    def __init__(self, axes: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.axes: tuple[str, ...] = ()
        self._box = QHBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self._box.setSpacing(4)
        self.spins: list[QSpinBox] = []
        self._labels: list[QLabel] = []
        self._build(axes)

    def _build(self, axes: tuple[str, ...]) -> None:
        """One label and spin box per axis (those of an earlier layer removed)."""
        for w in (*self._labels, *self.spins):
            self._box.removeWidget(w)
            w.deleteLater()
        self.spins, self._labels = [], []
        self.axes = tuple(axes)
        for axis in axes:
            label = QLabel(axis, objectName="selectorLabel")
            spin = QSpinBox(objectName=f"selector_{axis}")
            spin.setFixedWidth(_LEAST_W)
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(self._on_spin_valueChanged)
            self._box.addWidget(label)
            self._box.addWidget(spin)
            self._labels.append(label)
            self.spins.append(spin)
        self._name(axes)

    def shown(self) -> list[QSpinBox]:
        return [s for s in self.spins if not s.isHidden()]

    @property
    def lead(self) -> tuple[int, ...]:
        return tuple(s.value() for s in self.shown())

    def set_shape(self, lead_shape: tuple[int, ...], lead: tuple[int, ...]) -> tuple[int, ...]:
        """Size the spin boxes for leading axes of ``lead_shape``; returns the clamped lead.

        The last ``len(lead_shape)`` axes are used (an unbatched tensor has no 'n').
        """
        n = len(lead_shape)
        lead = list(lead) if len(lead) == n else [0] * n
        first = len(self.spins) - n
        for i, (label, spin) in enumerate(zip(self._labels, self.spins, strict=True)):
            label.setVisible(i >= first)
            spin.setVisible(i >= first)
        for i, size in enumerate(lead_shape):
            spin = self.spins[first + i]
            lead[i] = min(lead[i], max(size - 1, 0))
            spin.blockSignals(True)
            spin.setRange(0, max(size - 1, 0))
            spin.setValue(lead[i])
            spin.setSuffix(f" / {size}")
            spin.setEnabled(size > 1)
            # as wide as its widest text (a Conv3d grid has three boxes beside its readout)
            text = f"{max(size - 1, 0)} / {size}"
            spin.setFixedWidth(max(_LEAST_W, spin.fontMetrics().horizontalAdvance(text)
                                   + _ARROWS_W))
            spin.blockSignals(False)
        return tuple(lead)

    def set_axes(self, axes: tuple[str, ...]) -> None:
        """Name the spin boxes (a transposed layer's weight is (c, o)); another number of
        axes (a Conv1d's strips have one, a Conv3d's depth adds one) builds them anew, to be
        sized by ``set_shape``."""
        axes = tuple(axes)
        if axes == self.axes:
            return
        if len(axes) != len(self.axes):
            self._build(axes)
            return
        self.axes = axes
        self._name(axes)

    def _name(self, axes: tuple[str, ...]) -> None:
        for axis, label, spin in zip(axes, self._labels, self.spins, strict=True):
            label.setText(axis)
            spin.setObjectName(f"selector_{axis}")
            spin.setToolTip(_TIPS.get(axis, f"which {axis} to show"))

    def set_lead(self, lead: tuple[int, ...]) -> None:
        """Show ``lead`` (silently)."""
        for spin, value in zip(self.shown(), lead, strict=True):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)

    def _on_spin_valueChanged(self, _value: int) -> None:
        self.leadChanged.emit(self.lead)
