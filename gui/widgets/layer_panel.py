"""LayerPanel: every hyperparameter of the layer, the live shapes and the output-size formula.

The panel proposes a new `LayerSpec` (``specEdited``) whenever its fields describe a valid
layer that fits the memory budget (`core.budget`). When they don't, it marks the rows of the
fields core's `SpecError` names (``error.fields``; the budget's names the size fields; a
field without a row marks nothing), shows core's message (or the budget's, with the estimate
and the limit) under the field just changed, and says so through ``invalidChanged`` — the
document keeps the last valid spec. ``set_spec`` updates the fields silently.

The fields' ranges are the spec's own (its minimums; negative padding, which core refuses
only for 'zeros', and then says so); there is no maximum but Qt's: a value a spin box cannot
hold (beyond ±2³¹ − 1) is kept as it is, with a note under the field, until the user changes
that spin box. Nothing the panel shows is ever cut to fit it.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core import budget
from core.spec import DTYPES, PADDING_MODES, LayerSpec
from core.torch_layer import kinds, layer_class

from .layer_fields import (
    CONV_FORMULA,
    SPIN_MAX,
    TRANSPOSED_FORMULA,
    call_html,
    combo_field,
    shapes_html,
    spin_field,
)

BACKENDS = (("numpy", "numpy"), ("torch", "torch (CPU)"), ("cuda", "CUDA"))
_CUDA_CHECKING = "Checking whether CUDA is available (torch loads in the background)…"
_CUDA_MISSING = "CUDA is not available here: torch.cuda.is_available() is False"
_NOT_TRANSPOSED = "not for a ConvTranspose2d: its padding is numbers, its padding_mode 'zeros'"

class LayerPanel(QWidget):
    """Edits the layer spec; see the module docstring."""

    specEdited = Signal(object, str)  # a valid LayerSpec, the field that changed
    invalidChanged = Signal(bool)  # the fields describe a layer core rejects
    backendRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerPanel")
        self._spec: LayerSpec | None = None
        self._message = ""
        self._invalid: set[str] = set()
        self._rows: dict[str, QWidget] = {}
        self._forms: dict[str, QFormLayout] = {}
        self._errors: dict[str, QLabel] = {}
        self._notes: dict[str, str] = {}  # field -> why it shows another value than the layer's
        self._beyond: dict[QSpinBox, int] = {}  # values a spin box cannot hold, kept as they are
        self._build()

    # -- construction --------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 8, 6, 8)  # (narrow: its width is the grids')
        outer.setSpacing(10)
        self.title = QLabel("nn.Conv2d", objectName="panelTitle")
        outer.addWidget(self.title)
        # the code preview sits below the fields (see _build_code): as it grows it moves
        # nothing under the mouse
        self.call = QLabel(objectName="torchCall")
        self.call.setWordWrap(True)
        self.call.setTextFormat(Qt.TextFormat.RichText)
        self.call.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.call.setToolTip("the same layer in PyTorch")

        layer = self._group(outer, "Layer")
        self.kind = combo_field(
            "kind", [(t, name) for name, t in kinds(2).items()],
            "Conv2d slides the kernel over the input; ConvTranspose2d paints a copy of the "
            "kernel, scaled by each input pixel, onto the output (stride spreads the copies, "
            "padding crops the result's border, output_padding adds rows/columns)",
        )
        self.in_channels = spin_field(1, "in_channels", "in_channels: channels of the input")
        self.out_channels = spin_field(1, "out_channels", "out_channels: number of filters")
        self.kernel_h = spin_field(1, "kernel_h", "kernel height kH")
        self.kernel_w = spin_field(1, "kernel_w", "kernel width kW")
        self.stride_h = spin_field(1, "stride_h", "stride along the height")
        self.stride_w = spin_field(1, "stride_w", "stride along the width")
        self.padding_kind = combo_field(
            "padding_kind", (("numbers", "numbers"), ("valid", "'valid'"), ("same", "'same'")),
            "padding: numbers per axis, 'valid' (none) or 'same' (output as large as input)",
        )
        cropped = " (negative: cropped; not with padding_mode 'zeros')"
        self.padding_h = spin_field(-SPIN_MAX, "padding_h",
                                    "rows of padding above and below" + cropped)
        self.padding_w = spin_field(-SPIN_MAX, "padding_w",
                                    "columns of padding left and right" + cropped)
        self.output_padding_h = spin_field(
            0, "output_padding_h",
            "rows added at the bottom of the output (smaller than the stride or the dilation)")
        self.output_padding_w = spin_field(
            0, "output_padding_w",
            "columns added at the right of the output (smaller than the stride or the dilation)")
        self.dilation_h = spin_field(1, "dilation_h", "spacing between kernel rows")
        self.dilation_w = spin_field(1, "dilation_w", "spacing between kernel columns")
        self.groups = spin_field(1, "groups", "groups: in and out channels split into this many")
        self.bias = QCheckBox("bias", objectName="bias")
        self.bias.setToolTip("add a learnable bias b to every output channel")
        self.padding_mode = combo_field(
            "padding_mode", [(m, m) for m in PADDING_MODES],
            "what the padded border holds: zeros, a mirror (reflect), the edge (replicate) "
            "or the other side (circular)",
        )
        self._row(layer, "transposed", "layer", self.kind)
        self._row(layer, "in_channels", "in_channels", self.in_channels)
        self._row(layer, "out_channels", "out_channels", self.out_channels)
        self._row(layer, "kernel_size", "kernel_size", self.kernel_h, self.kernel_w, sep="×")
        self._row(layer, "stride", "stride", self.stride_h, self.stride_w)
        self._row(layer, "padding", "padding", self.padding_kind, self.padding_h, self.padding_w,
                  first_line=1)
        # its name on two lines: on one it is the widest label, and would widen the panel
        # (taking the width from the grids) for the rows of every other layer too
        self._row(layer, "output_padding", "output_\npadding", self.output_padding_h,
                  self.output_padding_w)
        self._row(layer, "padding_mode", "padding_mode", self.padding_mode)
        self._row(layer, "dilation", "dilation", self.dilation_h, self.dilation_w)
        self._row(layer, "groups", "groups", self.groups)
        self._row(layer, "bias", "", self.bias)

        data = self._group(outer, "Input and numbers")
        self.batched = QCheckBox("batch N", objectName="batched")
        self.batched.setToolTip("unchecked: an unbatched (C, H, W) input")
        self.batch = spin_field(0, "batch", "batch size N (0 is an empty batch)")
        self.input_h = spin_field(1, "input_h", "input height H")
        self.input_w = spin_field(1, "input_w", "input width W")
        self.dtype = combo_field("dtype", [(d, d) for d in DTYPES], "the dtype of every tensor")
        self._row(data, "batch", "", self.batched, self.batch)
        self._row(data, "input_size", "input H × W", self.input_h, self.input_w, sep="×")
        self._row(data, "dtype", "dtype", self.dtype)

        compute = self._group(outer, "Compute")
        self.backend = combo_field("backend", BACKENDS, "which implementation computes the numbers")
        self._row(compute, "backend", "backend", self.backend)
        self.set_cuda_available(None)

        code = self._group(outer, "In PyTorch")
        code.addRow(self.call)

        shapes = self._group(outer, "Shapes")
        self.shapes = QLabel(objectName="shapes")
        self.shapes.setTextFormat(Qt.TextFormat.RichText)
        self.shapes.setWordWrap(True)
        self.shapes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        shapes.addRow(self.shapes)
        outer.addStretch(1)

        for spin in self.findChildren(QSpinBox):
            spin.valueChanged.connect(self._on_field_changed)
        for box in (self.bias, self.batched):
            box.toggled.connect(self._on_field_changed)
        for combo in (self.kind, self.padding_kind, self.padding_mode, self.dtype):
            combo.currentIndexChanged.connect(self._on_field_changed)
        self.backend.currentIndexChanged.connect(self._on_backend_currentIndexChanged)

    def _group(self, outer: QVBoxLayout, title: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(4)
        form.setContentsMargins(4, 6, 4, 6)  # the group's frame has its own padding
        outer.addWidget(box)
        return form

    def _row(self, form: QFormLayout, field: str, label: str, *widgets, sep: str = "",
             first_line: int | None = None) -> None:
        """A labelled row of ``widgets``; after ``first_line`` of them the rest go on a
        second line (the padding's kind and numbers: side by side they made the panel, and
        so the Layer dock, some 70 px wider than any other row)."""
        row = QWidget(objectName=f"row_{field}")
        row.setProperty("role", "fieldRow")
        row.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        lines = QVBoxLayout(row)
        lines.setContentsMargins(0, 0, 0, 0)
        lines.setSpacing(4)
        box = QHBoxLayout()
        box.setSpacing(4)
        lines.addLayout(box)
        for i, w in enumerate(widgets):
            if i and i == first_line:
                box = QHBoxLayout()
                box.setSpacing(4)
                lines.addLayout(box)
            elif i and sep:
                box.addWidget(QLabel(sep))
            box.addWidget(w, 1)
            w.setProperty("field", field)
        form.addRow(label, row)
        self._forms[field] = form
        error = QLabel(objectName=f"error_{field}")
        error.setProperty("role", "error")
        error.setWordWrap(True)
        error.setTextFormat(Qt.TextFormat.RichText)
        error.linkActivated.connect(self._on_error_linkActivated)
        error.hide()
        form.addRow(error)
        self._rows[field], self._errors[field] = row, error

    # -- reading the fields --------------------------------------------------------------
    def spec_from_fields(self) -> LayerSpec:
        """The spec the fields describe; raises core's `SpecError` when invalid."""
        v = self._value
        kind = self.padding_kind.currentData()
        padding = kind if kind != "numbers" else (v(self.padding_h), v(self.padding_w))
        transposed = bool(self.kind.currentData())
        # a Conv2d has no output_padding: its (hidden) field is not part of the layer
        output_padding = ((v(self.output_padding_h), v(self.output_padding_w)) if transposed
                          else (0, 0))
        return LayerSpec(
            in_channels=v(self.in_channels),
            out_channels=v(self.out_channels),
            kernel_size=(v(self.kernel_h), v(self.kernel_w)),
            stride=(v(self.stride_h), v(self.stride_w)),
            padding=padding,
            dilation=(v(self.dilation_h), v(self.dilation_w)),
            groups=v(self.groups),
            bias=self.bias.isChecked(),
            padding_mode=self.padding_mode.currentData(),
            input_size=(v(self.input_h), v(self.input_w)),
            batch=v(self.batch) if self.batched.isChecked() else None,
            dtype=self.dtype.currentData(),
            transposed=transposed,
            output_padding=output_padding,
        )

    def _value(self, spin: QSpinBox) -> int:
        """The field's value: the spin box's, or the one it could not hold (see `set_spec`)."""
        return self._beyond.get(spin, spin.value())

    @property
    def message(self) -> str:
        """Core's message for the invalid fields ('' when the fields are valid)."""
        return self._message

    def _on_field_changed(self, *_args) -> None:
        sender = self.sender()
        field = sender.property("field") or ""
        if self._beyond.pop(sender, None) is not None:  # the user replaced the kept value
            self._say_beyond(field)
        self._sync_enabled()
        try:
            spec = self.spec_from_fields()
            budget.check(spec)  # a BudgetError names the size fields, the estimate, the limit
        except ValueError as exc:  # core's are SpecErrors; any other still shows, marking none
            self._show_error(field, str(exc), getattr(exc, "fields", ()))
            return
        self._show_error("", "")
        if spec != self._spec:
            self._spec = spec
            self._show_shapes(spec)
            self.specEdited.emit(spec, field)

    def _on_backend_currentIndexChanged(self, _index: int) -> None:
        self.backendRequested.emit(self.backend.currentData())

    def _sync_enabled(self) -> None:
        numbers = self.padding_kind.currentData() == "numbers"
        self.padding_h.setEnabled(numbers)
        self.padding_w.setEnabled(numbers)
        self.batch.setEnabled(self.batched.isChecked())
        transposed = bool(self.kind.currentData())
        self._forms["output_padding"].setRowVisible(self._rows["output_padding"], transposed)
        # a transposed layer takes numbers and 'zeros' only: the other choices are greyed
        # out (one still selected is refused with core's message, and can be changed)
        for combo, allowed in ((self.padding_kind, "numbers"), (self.padding_mode, "zeros")):
            model = combo.model()
            assert isinstance(model, QStandardItemModel)
            for i in range(combo.count()):
                if combo.itemData(i) != allowed:
                    item = model.item(i)
                    item.setEnabled(not transposed)
                    item.setToolTip(_NOT_TRANSPOSED if transposed else "")

    # -- errors --------------------------------------------------------------------------
    def _show_error(self, field: str, message: str, fields: tuple[str, ...] = ()) -> None:
        """Show ``message`` under ``field``'s row (the one just edited) and mark the rows of
        ``fields``; an empty message clears both."""
        was_invalid = bool(self._message)
        marked = {f for f in fields if f in self._rows} if message else set()
        for name, row in self._rows.items():
            bad = name in marked
            if bool(row.property("invalid")) != bad:
                row.setProperty("invalid", bad)
                row.style().unpolish(row)
                row.style().polish(row)
                for w in row.findChildren(QWidget):
                    w.setProperty("invalid", bad)
                    w.style().unpolish(w)
                    w.style().polish(w)
        where = field if field in self._errors else next(
            (name for name in self._rows if name in marked), next(iter(self._errors)))
        for name, label in self._errors.items():
            if message and name == where:
                label.setText(f"⚠ {html.escape(message)} <a href='revert'>Revert</a>")
            elif name in self._notes:
                label.setText(f"⚠ {html.escape(self._notes[name])}")
            label.setVisible((bool(message) and name == where) or name in self._notes)
        self._message, self._invalid = message, marked
        if bool(message) != was_invalid:
            self.invalidChanged.emit(bool(message))

    def revert(self) -> None:
        """Put the fields back to the last valid layer (the document's)."""
        if self._spec is not None:
            self.set_spec(self._spec)

    def _on_error_linkActivated(self, _link: str) -> None:
        self.revert()

    # -- data in -------------------------------------------------------------------------
    def set_spec(self, spec: LayerSpec) -> None:
        """Show ``spec`` (silently: no specEdited) and clear any error."""
        self._spec = spec
        values = {
            self.in_channels: spec.in_channels,
            self.out_channels: spec.out_channels,
            self.kernel_h: spec.kernel_size[0],
            self.kernel_w: spec.kernel_size[1],
            self.stride_h: spec.stride[0],
            self.stride_w: spec.stride[1],
            self.dilation_h: spec.dilation[0],
            self.dilation_w: spec.dilation[1],
            self.groups: spec.groups,
            self.input_h: spec.input_size[0],
            self.input_w: spec.input_size[1],
            self.output_padding_h: spec.output_padding[0],
            self.output_padding_w: spec.output_padding[1],
        }
        if isinstance(spec.padding, tuple):
            values[self.padding_h], values[self.padding_w] = spec.padding
        if spec.batch is not None:
            values[self.batch] = spec.batch
        self._beyond.clear()
        self._notes.clear()
        for spin, value in values.items():
            if not spin.minimum() <= value <= spin.maximum():
                self._keep_beyond(spin, value)
                value = min(max(value, spin.minimum()), spin.maximum())  # shown; not the layer's
            if spin.value() != value:
                spin.blockSignals(True)
                spin.setValue(value)
                spin.blockSignals(False)
        kind = spec.padding if isinstance(spec.padding, str) else "numbers"
        for combo, data in ((self.kind, spec.transposed), (self.padding_kind, kind),
                            (self.padding_mode, spec.padding_mode), (self.dtype, spec.dtype)):
            if combo.currentData() != data:
                combo.blockSignals(True)
                combo.setCurrentIndex(combo.findData(data))
                combo.blockSignals(False)
        for box, checked in ((self.bias, spec.bias), (self.batched, spec.batch is not None)):
            if box.isChecked() != checked:
                box.blockSignals(True)
                box.setChecked(checked)
                box.blockSignals(False)
        self._sync_enabled()
        self._show_error("", "")
        self._show_shapes(spec)

    def _keep_beyond(self, spin: QSpinBox, value: int) -> None:
        """Keep ``value``, which ``spin`` cannot hold, as the field's value, and say so."""
        self._beyond[spin] = value
        self._say_beyond(spin.property("field"))

    def _say_beyond(self, field: str) -> None:
        """The note under ``field`` for the values its spin boxes keep (none: no note)."""
        kept = [(s, v) for s, v in self._beyond.items() if s.property("field") == field]
        if not kept:
            self._notes.pop(field, None)
            return
        spin = kept[0][0]
        self._notes[field] = (
            f"{field} {', '.join(str(v) for _, v in kept)} is beyond what this field can show "
            f"({spin.minimum()} to {spin.maximum()}); the layer keeps it until you change it"
        )

    def set_session(self, session) -> None:
        """The document changed; a tensor edit leaves fields being edited (even invalid) alone."""
        if session.spec != self._spec:
            self.set_spec(session.spec)

    def set_backend(self, name: str) -> None:
        if self.backend.currentData() != name:
            self.backend.blockSignals(True)
            self.backend.setCurrentIndex(self.backend.findData(name))
            self.backend.blockSignals(False)

    def set_cuda_available(self, available: bool | None) -> None:
        """None: not known yet (torch still loading); False: disabled with the reason."""
        model = self.backend.model()
        assert isinstance(model, QStandardItemModel)
        item = model.item(self.backend.findData("cuda"))
        item.setEnabled(bool(available))
        tip = {None: _CUDA_CHECKING, False: _CUDA_MISSING}.get(available, "run on the GPU")
        item.setToolTip(tip)

    def _show_shapes(self, spec: LayerSpec) -> None:
        self.title.setText(f"nn.{layer_class(spec)}")
        self.call.setText(call_html(spec))
        self.shapes.setToolTip(TRANSPOSED_FORMULA if spec.transposed else CONV_FORMULA)
        self.shapes.setText(shapes_html(spec))
