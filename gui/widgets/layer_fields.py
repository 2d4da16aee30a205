"""The Layer panel's field widgets and texts: spin boxes as wide as their numbers, combo
boxes, one size argument's spin boxes per spatial axis (`AxisFields`), the layer as PyTorch
code in rich text, the output-size formulas."""

from __future__ import annotations

import html

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from core.spec import AXES, LayerSpec
from core.tensors import FORWARD, SYMBOLS
from core.torch_layer import layer_call, pad_call

SPIN_MAX = 2**31 - 1  # the most a QSpinBox (a C int) holds
#: Each spatial axis' letter in the formulas, per number of spatial axes d.
LETTERS = {d: tuple(a[0].upper() for a in names) for d, names in AXES.items()}


def call_html(spec: LayerSpec) -> str:
    """`core.torch_layer.layer_call` as rich text that wraps only between arguments (never inside
    ``dilation=(2, 1)``): each argument's own spaces are non-breaking. A causal layer's
    ``F.pad`` call (`core.torch_layer.pad_call`) comes first, on a line of its own."""
    text = layer_call(spec, f"torch.{spec.dtype}")
    head, args = text[: text.index("(") + 1], text[text.index("(") + 1 : -1]
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(args):  # split at the commas between arguments only
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(args[start:i])
            start = i + 1
    parts.append(args[start:])
    glued = [html.escape(p.strip()).replace(" ", "&nbsp;") for p in parts]
    call = f"{html.escape(head)}{', '.join(glued)})"
    pad = pad_call(spec)  # a causal layer: its padding is F.pad's, before the layer
    return call if pad is None else f"{html.escape(pad).replace(' ', '&nbsp;')}, then<br>{call}"


#: The widest value a field is sized for (five digits): a spin box sizes itself for its whole
#: range (±2³¹, eleven digits), which made the Layer panel a third wider than its numbers
#: and took that width from the grids; a longer value still fits, scrolled as it is typed.
_SIZED_FOR = "99999"


CONV_FORMULA = ("output size per axis: ⌊(size + pad_before + pad_after − dilation·(kernel − 1)"
                 " − 1) / stride⌋ + 1")
TRANSPOSED_FORMULA = ("output size per axis: (size − 1)·stride − 2·padding + dilation·(kernel − 1)"
                       " + output_padding + 1")


#: Three boxes in a row (a Conv3d's depth, height, width) are sized for three digits: at five
#: they made the Layer panel some 100 px wider than any 2D row.
_SIZED_FOR_THREE = "999"


class _Spin(QSpinBox):
    """A spin box as wide as a five-digit value needs (``sized_for``), whatever its range,
    that takes any integer typed but steps no lower than ``floor`` (the spec's least).

    With the floor as its minimum, Qt dropped the keystrokes of a smaller value: "-5"
    typed into in_channels became 5 and was applied, without a word. Typed, it now goes to
    the spec, whose refusal names the field and the number ("in_channels must be >= 1, got
    -5"); the arrows, wheel and keys still stop at the floor.
    """

    sized_for = _SIZED_FOR
    floor = -SPIN_MAX

    def stepBy(self, steps: int) -> None:  # noqa: N802  (Qt's name)
        value = self.value()
        if steps < 0 and value + steps < self.floor:
            steps = min(0, self.floor - value)  # to the floor, or nowhere from below it
        if steps:
            super().stepBy(steps)

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:  # noqa: N802
        flags = super().stepEnabled()
        if self.value() <= self.floor:
            flags &= ~QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags

    def _trim(self, hint: QSize) -> QSize:
        metrics = self.fontMetrics()
        widest = max((self.textFromValue(v) for v in (self.minimum(), self.maximum())), key=len)
        surplus = (metrics.horizontalAdvance(self.prefix() + widest + self.suffix())
                   - metrics.horizontalAdvance(self.sized_for))
        return QSize(hint.width() - max(surplus, 0), hint.height())

    def sizeHint(self) -> QSize:
        return self._trim(super().sizeHint())

    def minimumSizeHint(self) -> QSize:
        return self._trim(super().minimumSizeHint())


def spin_field(minimum: int, name: str, tip: str) -> QSpinBox:
    """A field that steps from the spec's ``minimum`` up to what Qt can hold (the budget
    judges sizes) and takes any integer typed (the spec judges it: `_Spin`)."""
    spin = _Spin(objectName=name)
    spin.setRange(-SPIN_MAX, SPIN_MAX)
    spin.floor = minimum
    spin.setKeyboardTracking(False)
    spin.setToolTip(tip)
    spin.setAccelerated(True)
    return spin


def combo_field(name: str, items, tip: str) -> QComboBox:
    combo = QComboBox(objectName=name)
    for data, text in items:
        combo.addItem(text, data)
    combo.setToolTip(tip)
    return combo


def shapes_html(spec: LayerSpec) -> str:
    """Every forward tensor's shape, the padded (or uncropped) size, and the output-size
    formula per axis with the numbers filled in, as the panel's rich text."""

    def shape(s) -> str:
        return "—" if s is None else str(tuple(s)).replace(",)", ")")

    # padding pads a Conv2d's input; a transposed layer's output is its full result
    # with padding cropped off
    padded = "output before cropping" if spec.transposed else "padded input"
    rows = [(f"{name} {SYMBOLS[name]}", shape(spec.shape(name))) for name in FORWARD]
    rows.append((padded, shape(spec.padded_size)))
    # the names' column keeps a gap before the values: "padded input" is as wide as the
    # column and its value touched it ("padded input(3, 4, 4)", review r12 F14)
    table = "".join(f"<tr><td style='padding-right:8px'>{k}</td><td><b>{v}</b></td></tr>"
                    for k, v in rows)
    formulas = "".join(
        f"<p style='margin:6px 0 0 0'><b>{axis}<sub>out</sub> = {size}</b><br>"
        f"<span style='font-family:sans-serif; color:#4b5563'>{line.rsplit(' = ', 1)[0]}"
        f"</span></p>"
        for axis, size, line in zip(LETTERS[spec.dims], spec.output_size,
                                    spec.output_size_formula(), strict=True)
    )
    return f"<table cellspacing='2'>{table}</table>{formulas}"


def same_note(spec: LayerSpec) -> str:
    """What padding 'same' pads along each axis of ``spec`` (core's pads), in words."""
    before, after = spec.pads[::2], spec.pads[1::2]
    if spec.dims == 1:
        return (f"'same': padding {before[0]} before and {after[0]} after, so that the output "
                "is as long as the input")
    # no-break spaces: a line breaks between axes, never inside "D 0 + 1"
    per_axis = ", ".join(f"{a} {b} + {e}".replace(" ", "\u00a0")
                         for a, b, e in zip(LETTERS[spec.dims], before, after, strict=True))
    return f"'same': padding (before + after) {per_axis}, so that the output is as large as " \
        "the input"


class AxisFields:
    """One size argument's spin boxes, one per spatial axis (depth, height, width), in a row
    of their own joined by ``sep``: a layer with d spatial axes uses (and shows) the last d,
    so a Conv1d's length is the width's box and a Conv3d adds the depth's in front.

    ``tip`` is the tooltip with ``{axis}`` (the axis' name) and ``{A}`` (its letter) to fill.
    The boxes are ``<prefix>_d``, ``<prefix>_h`` and ``<prefix>_w``, each with property
    ``field`` (the spec's field: what a refusal names).
    """

    SUFFIXES = ("d", "h", "w")

    def __init__(self, field: str, prefix: str, minimum: int, tip: str, sep: str = "") -> None:
        self.field, self.tip = field, tip
        self.spins = tuple(spin_field(minimum, f"{prefix}_{a}", "") for a in self.SUFFIXES)
        self.widget = QWidget(objectName=f"axes_{field}")
        box = QHBoxLayout(self.widget)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        self._seps: list[QLabel] = []
        for i, spin in enumerate(self.spins):
            if i and sep:
                label = QLabel(sep)
                self._seps.append(label)
                box.addWidget(label)
            box.addWidget(spin, 1)
            spin.setProperty("field", field)
        self.dims, self._instead = 0, ""
        self.show(2)

    def used(self, dims: int | None = None) -> tuple[QSpinBox, ...]:
        """The boxes a layer with ``dims`` spatial axes (default: the shown number) reads."""
        return self.spins[3 - (dims or self.dims):]

    def show(self, dims: int) -> bool:
        """Show the last ``dims`` boxes, each with its axis' tooltip; whether that changed."""
        if dims == self.dims:
            return False
        self.dims = dims
        first = 3 - dims
        for i, spin in enumerate(self.spins):
            spin.setVisible(i >= first)
            spin.sized_for = _SIZED_FOR_THREE if dims == 3 else _SIZED_FOR
            spin.updateGeometry()
        for i, label in enumerate(self._seps):  # the separator before box i + 1
            label.setVisible(i + 1 > first)
        self.set_tip(self._instead)
        return True

    def set_tip(self, instead: str = "") -> None:
        """Every box's tooltip says ``instead`` (why the boxes are disabled), or ('') its
        axis' own."""
        self._instead = instead
        for spin, axis in zip(self.used(), AXES[self.dims], strict=True):
            spin.setToolTip(instead or self.tip.format(axis=axis, A=axis[0].upper()))

    def setEnabled(self, enabled: bool) -> None:  # noqa: N802  (as QWidget's)
        for spin in self.spins:
            spin.setEnabled(enabled)
