"""ComplexSwitch: which real view of complex numbers the grids show."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QToolButton, QWidget

from core.spec import LayerSpec

VIEWS = (
    ("real", "Re", "real part"),
    ("imag", "Im", "imaginary part"),
    ("abs", "|z|", "magnitude"),
    ("phase", "arg", "phase (angle, −π … π)"),
)


class ComplexSwitch(QWidget):
    """Four toggle buttons; enabled only while the dtype is complex."""

    modeChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("complexSwitch")
        box = QHBoxLayout(self)
        box.setContentsMargins(6, 0, 6, 0)
        box.setSpacing(2)
        box.addWidget(QLabel("complex view:"))
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QToolButton] = {}
        for i, (mode, text, tip) in enumerate(VIEWS):
            button = QToolButton(objectName=f"complex_{mode}")
            button.setText(text)
            button.setToolTip(f"show the {tip} of complex values")
            button.setCheckable(True)
            button.setChecked(i == 0)
            self.group.addButton(button, i)
            box.addWidget(button)
            self.buttons[mode] = button
        self.group.idClicked.connect(self._on_group_idClicked)
        self.setEnabled(False)
        self.setToolTip("only for complex dtypes (complex64, complex128)")

    @property
    def mode(self) -> str:
        return VIEWS[self.group.checkedId()][0]

    def set_spec(self, spec: LayerSpec) -> None:
        self.setEnabled(spec.dtype.startswith("complex"))

    def _on_group_idClicked(self, index: int) -> None:
        self.modeChanged.emit(VIEWS[index][0])
