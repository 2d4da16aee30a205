"""Which of the Layer panel's fields apply to the layer they describe, kept in step as they
change: a size box per spatial axis, causal for a Conv1d alone, output_padding for a
ConvTranspose alone, the padding numbers only with 'numbers' (a line says what 'valid' and
'same' pad) and not with causal (F.pad pads), and the choices a layer cannot take greyed
out with the reason in their tool tips.

`FieldRules` is a mixin for `LayerPanel`: it reads the panel's fields, ``axes``,
``_forms``, ``_rows``, ``padding_note``, ``_aside`` and ``_value``, and emits its
``fieldsResized``.
"""

from __future__ import annotations

from PySide6.QtGui import QStandardItemModel

from ..causal_note import padding_text
from .layer_fields import LETTERS

_NOT_TRANSPOSED = "not for a ConvTranspose: its padding is numbers, its padding_mode 'zeros'"
PADDING_KIND_TIP = ("padding: numbers per axis, 'valid' (none) or 'same' (output as large "
                    "as input)")
CAUSAL_TIP = ("causal (Conv1d only): F.pad(x, ((k−1)·dilation, 0)) then an nn.Conv1d with no "
              "padding, so that no output sees a later input (TCN, WaveNet)")
_CAUSAL_TRANSPOSED = ("causal is for a Conv1d: a ConvTranspose1d has no causal form (switch the "
                      "kind to Conv to make the layer causal)")
_CAUSAL_MODE = ("not with causal: the layer's F.pad pads with zeros and its Conv1d pads nothing, "
                "so padding_mode is 'zeros'")
_CAUSAL_PADS = ("causal: the layer pads (k−1)·dilation = {n} on the left itself (F.pad) and its "
                "Conv1d has padding 0; uncheck causal to set the padding")
_ASIDE = "; padding {p} is set aside and comes back when you uncheck causal"
_NO_NUMBERS = {
    "valid": "'valid': no padding (the kernel stays inside the input)",
    "same": "'same': padding so that the output is as large as the input (stride 1 only)",
}


class FieldRules:
    """The panel's rules for which fields apply (see the module docstring)."""

    def _sync_enabled(self) -> None:
        dims = self.dims.currentData()
        if [fields.show(dims) for fields in self.axes.values()][0]:
            self.fieldsResized.emit()
        label = self._forms["input_size"].labelForField(self._rows["input_size"])
        # a Conv3d's on two lines: on one the label column took 40 px from the three boxes,
        # which then cut a four-digit size ("1000" showed "100") at the panel's narrowest
        label.setText(("input\n" if dims == 3 else "input ") + " × ".join(LETTERS[dims]))
        transposed = bool(self.kind.currentData())
        self._forms["causal"].setRowVisible(self._rows["causal"], dims == 1)
        # causal is a Conv1d's alone: a ConvTranspose1d's box is unchecked and greyed out
        if transposed and self.causal.isChecked():
            self.causal.blockSignals(True)
            self.causal.setChecked(False)
            self.causal.blockSignals(False)
        self.causal.setEnabled(not transposed)
        self.causal.setToolTip(_CAUSAL_TRANSPOSED if transposed else CAUSAL_TIP)
        causal = dims == 1 and self.causal.isChecked()
        numbers = self.padding_kind.currentData() == "numbers"
        self.padding_kind.setEnabled(not causal)
        self.axes["padding"].setEnabled(numbers and not causal)
        # 'valid' and 'same' have no numbers: a line says what torch pads instead
        self.axes["padding"].widget.setVisible(numbers)
        self.padding_note.setVisible(not numbers)
        if not numbers:
            self.padding_note.setText(_NO_NUMBERS[self.padding_kind.currentData()])
        why = ""
        if causal:
            k, d = self._value(self.kernel_w), self._value(self.dilation_w)
            why = _CAUSAL_PADS.format(n=(k - 1) * d)
            if self._aside is not None:
                why += _ASIDE.format(p=padding_text(self._aside))
        self.padding_kind.setToolTip(why or PADDING_KIND_TIP)
        self.axes["padding"].set_tip(why)
        self.batch.setEnabled(self.batched.isChecked())
        self._forms["output_padding"].setRowVisible(self._rows["output_padding"], transposed)
        # a transposed layer takes numbers and 'zeros' only, a causal one 'zeros': the other
        # choices are greyed out (one still selected is refused with core's message, and can
        # be changed)
        for combo, allowed in ((self.padding_kind, "numbers"), (self.padding_mode, "zeros")):
            model = combo.model()
            assert isinstance(model, QStandardItemModel)
            off_causal = causal and combo is self.padding_mode
            why = _NOT_TRANSPOSED if transposed else _CAUSAL_MODE if off_causal else ""
            for i in range(combo.count()):
                if combo.itemData(i) != allowed:
                    item = model.item(i)
                    item.setEnabled(not why)
                    item.setToolTip(why)
