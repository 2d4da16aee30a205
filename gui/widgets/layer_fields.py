"""The Layer panel's field widgets and texts: spin boxes as wide as their numbers, combo
boxes, the layer as PyTorch code in rich text, the output-size formulas."""

from __future__ import annotations

import html

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QComboBox, QSpinBox

from core.spec import LayerSpec
from core.tensors import FORWARD, SYMBOLS
from core.torch_layer import layer_call

SPIN_MAX = 2**31 - 1  # the most a QSpinBox (a C int) holds


def call_html(spec: LayerSpec) -> str:
    """`core.torch_layer.layer_call` as rich text that wraps only between arguments (never inside
    ``dilation=(2, 1)``): each argument's own spaces are non-breaking."""
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
    return f"{html.escape(head)}{', '.join(glued)})"


#: The widest value a field is sized for (five digits): a spin box sizes itself for its whole
#: range (±2³¹, eleven digits), which made the Layer panel a third wider than its numbers
#: and took that width from the grids; a longer value still fits, scrolled as it is typed.
_SIZED_FOR = "99999"


CONV_FORMULA = ("output size per axis: ⌊(size + pad_before + pad_after − dilation·(kernel − 1)"
                 " − 1) / stride⌋ + 1")
TRANSPOSED_FORMULA = ("output size per axis: (size − 1)·stride − 2·padding + dilation·(kernel − 1)"
                       " + output_padding + 1")


class _Spin(QSpinBox):
    """A spin box as wide as a five-digit value needs, whatever its range."""

    def _trim(self, hint: QSize) -> QSize:
        metrics = self.fontMetrics()
        widest = max((self.textFromValue(v) for v in (self.minimum(), self.maximum())), key=len)
        surplus = (metrics.horizontalAdvance(self.prefix() + widest + self.suffix())
                   - metrics.horizontalAdvance(_SIZED_FOR))
        return QSize(hint.width() - max(surplus, 0), hint.height())

    def sizeHint(self) -> QSize:
        return self._trim(super().sizeHint())

    def minimumSizeHint(self) -> QSize:
        return self._trim(super().minimumSizeHint())


def spin_field(minimum: int, name: str, tip: str) -> QSpinBox:
    """A field from the spec's ``minimum`` up to what Qt can hold (the budget judges sizes)."""
    spin = _Spin(objectName=name)
    spin.setRange(minimum, SPIN_MAX)
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

    h_line, w_line = spec.output_size_formula()
    # padding pads a Conv2d's input; a transposed layer's output is its full result
    # with padding cropped off
    padded = "output before cropping" if spec.transposed else "padded input"
    rows = [(f"{name} {SYMBOLS[name]}", shape(spec.shape(name))) for name in FORWARD]
    rows.append((padded, shape(spec.padded_size)))
    table = "".join(f"<tr><td>{k}</td><td><b>{v}</b></td></tr>" for k, v in rows)
    formulas = "".join(
        f"<p style='margin:6px 0 0 0'><b>{axis}<sub>out</sub> = {size}</b><br>"
        f"<span style='font-family:sans-serif; color:#4b5563'>{line.rsplit(' = ', 1)[0]}"
        f"</span></p>"
        for axis, size, line in zip("HW", spec.output_size, (h_line, w_line), strict=True)
    )
    return f"<table cellspacing='2'>{table}</table>{formulas}"
