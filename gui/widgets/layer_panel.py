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

The kind (Conv / ConvTranspose) and the number of spatial axes (1D / 2D / 3D) sit side by
side; every size argument has a box per axis (`layer_fields.AxisFields`). Switching the axes
proposes the layer `gui.dims_switch.switch_dims` maps (not what hidden boxes hold), which
the document makes one undo step. A Conv1d can be causal: its padding is then F.pad's, and
the padding fields are disabled, saying so, and show the Conv1d's own padding (0);
the padding the layer had when the user checked causal is set aside and comes back when
causal is unchecked (`gui.causal_note` says both in the status bar). With 'valid' or 'same'
the padding numbers are hidden: a line in their place says what torch pads. Which fields
apply to the layer the fields describe (shown, enabled, choices greyed out): `field_rules`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core import budget
from core.spec import DTYPES, PADDING_MODES, LayerSpec
from core.torch_layer import layer_class

from ..dims_switch import switch_dims
from .causal_aside import CausalAside
from .field_rows import FieldRows
from .field_rules import CAUSAL_TIP, PADDING_KIND_TIP, FieldRules
from .layer_fields import (
    CONV_FORMULA,
    SPIN_MAX,
    TRANSPOSED_FORMULA,
    AxisFields,
    call_html,
    combo_field,
    same_note,
    shapes_html,
    spin_field,
)
from .wrapped_note import WrappedNote

BACKENDS = (("numpy", "numpy"), ("torch", "torch (CPU)"), ("cuda", "CUDA"))
_CUDA_CHECKING = "Checking whether CUDA is available (torch loads in the background)…"
_CUDA_MISSING = "CUDA is not available here: torch.cuda.is_available() is False"

class LayerPanel(CausalAside, FieldRules, FieldRows, QWidget):
    """Edits the layer spec; see the module docstring."""

    specEdited = Signal(object, str)  # a valid LayerSpec, the field that changed
    invalidChanged = Signal(bool)  # the fields describe a layer core rejects
    backendRequested = Signal(str)
    fieldsResized = Signal()  # another number of boxes per row: the panel's width changed

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
        # the padding set aside when the user checked causal, and the causal layers it
        # belongs to (an undo or redo of the toggle keeps it; any other layer drops it)
        self._aside: tuple[int, ...] | str | None = None
        self._aside_for: set[LayerSpec] = set()
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
            "kind", ((False, "Conv"), (True, "ConvTranspose")),
            "Conv slides the kernel over the input; ConvTranspose paints a copy of the "
            "kernel, scaled by each input entry, onto the output (stride spreads the copies, "
            "padding crops the result's border, output_padding adds entries at the end)",
        )
        self.dims = combo_field(
            "dims", ((1, "1D"), (2, "2D"), (3, "3D")),
            "spatial axes: 1D a sequence (length), 2D an image (height, width), 3D a volume "
            "(depth, height, width) — nn.Conv1d, nn.Conv2d, nn.Conv3d",
        )
        self.in_channels = spin_field(1, "in_channels", "in_channels: channels of the input")
        self.out_channels = spin_field(1, "out_channels", "out_channels: number of filters")
        cropped = " (negative: cropped; not with padding_mode 'zeros')"
        self.axes = {
            "kernel_size": AxisFields("kernel_size", "kernel", 1, "kernel {axis} k{A}", "×"),
            "stride": AxisFields("stride", "stride", 1, "stride along the {axis}"),
            "padding": AxisFields("padding", "padding", -SPIN_MAX,
                                  "entries of padding at both ends of the {axis}" + cropped),
            "output_padding": AxisFields(
                "output_padding", "output_padding", 0,
                "entries added at the end of the output's {axis} (smaller than the stride or "
                "the dilation)"),
            "dilation": AxisFields("dilation", "dilation", 1,
                                   "spacing between kernel taps along the {axis}"),
            "input_size": AxisFields("input_size", "input", 1, "input {axis} {A}", "×"),
        }
        for fields in self.axes.values():  # kernel_d, kernel_h, kernel_w, stride_d, ...
            for spin in fields.spins:
                setattr(self, spin.objectName(), spin)
        self.padding_kind = combo_field(
            "padding_kind", (("numbers", "numbers"), ("valid", "'valid'"), ("same", "'same'")),
            PADDING_KIND_TIP)
        # in the numbers' place while 'valid' or 'same' is chosen: what torch pads then
        self.padding_note = WrappedNote("paddingNote")
        self.padding_note.setContentsMargins(6, 0, 0, 0)  # clear of a refusal's red edge
        self.padding_note.hide()
        self.causal = QCheckBox("causal", objectName="causal")
        self.causal.setToolTip(CAUSAL_TIP)
        self.groups = spin_field(1, "groups", "groups: in and out channels split into this many")
        self.bias = QCheckBox("bias", objectName="bias")
        self.bias.setToolTip("add a learnable bias b to every output channel")
        self.padding_mode = combo_field(
            "padding_mode", [(m, m) for m in PADDING_MODES],
            "what the padded border holds: zeros, a mirror (reflect), the edge (replicate) "
            "or the other side (circular)",
        )
        axes = self.axes
        # the kind and the number of axes side by side, across the label column: with a
        # label their row was the panel's widest, 21 px wider than a pair of size boxes
        self._row(layer, "transposed", None, self.kind, self.dims)
        self._row(layer, "in_channels", "in_channels", self.in_channels)
        self._row(layer, "out_channels", "out_channels", self.out_channels)
        self._row(layer, "kernel_size", "kernel_size", axes["kernel_size"].widget)
        self._row(layer, "stride", "stride", axes["stride"].widget)
        self._row(layer, "padding", "padding", self.padding_kind, axes["padding"].widget,
                  self.padding_note, first_line=1)
        self._row(layer, "causal", "", self.causal)
        # its name on two lines: on one it is the widest label, and would widen the panel
        # (taking the width from the grids) for the rows of every other layer too
        self._row(layer, "output_padding", "output_\npadding", axes["output_padding"].widget)
        self._row(layer, "padding_mode", "padding_mode", self.padding_mode)
        self._row(layer, "dilation", "dilation", axes["dilation"].widget)
        self._row(layer, "groups", "groups", self.groups)
        self._row(layer, "bias", "", self.bias)

        data = self._group(outer, "Input and numbers")
        self.batched = QCheckBox("batch N", objectName="batched")
        self.batched.setToolTip("unchecked: an unbatched (C, *spatial) input")
        self.batch = spin_field(0, "batch", "batch size N (0 is an empty batch)")
        self.dtype = combo_field("dtype", [(d, d) for d in DTYPES], "the dtype of every tensor")
        self._row(data, "batch", "", self.batched, self.batch)
        self._row(data, "input_size", "input H × W", axes["input_size"].widget)
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
        for box in (self.bias, self.batched, self.causal):
            box.toggled.connect(self._on_field_changed)
        for combo in (self.kind, self.padding_kind, self.padding_mode, self.dtype):
            combo.currentIndexChanged.connect(self._on_field_changed)
        self.dims.currentIndexChanged.connect(self._on_dims_currentIndexChanged)
        self.backend.currentIndexChanged.connect(self._on_backend_currentIndexChanged)

    # -- reading the fields --------------------------------------------------------------
    def spec_from_fields(self) -> LayerSpec:
        """The spec the fields describe; raises core's `SpecError` when invalid."""
        dims = self.dims.currentData()

        def sizes(field: str) -> tuple[int, ...]:
            return tuple(self._value(spin) for spin in self.axes[field].used(dims))

        transposed = bool(self.kind.currentData())
        causal = dims == 1 and not transposed and self.causal.isChecked()
        kind = self.padding_kind.currentData()
        # a causal layer pads itself (F.pad): its Conv1d's own padding is 0, whatever the
        # (disabled) padding fields hold
        padding = 0 if causal else kind if kind != "numbers" else sizes("padding")
        # a convolution has no output_padding: its (hidden) field is not part of the layer
        output_padding = sizes("output_padding") if transposed else 0
        return LayerSpec(
            in_channels=self._value(self.in_channels),
            out_channels=self._value(self.out_channels),
            kernel_size=sizes("kernel_size"),
            stride=sizes("stride"),
            padding=padding,
            dilation=sizes("dilation"),
            groups=self._value(self.groups),
            bias=self.bias.isChecked(),
            padding_mode=self.padding_mode.currentData(),
            input_size=sizes("input_size"),
            batch=self._value(self.batch) if self.batched.isChecked() else None,
            dtype=self.dtype.currentData(),
            transposed=transposed,
            output_padding=output_padding,
            dims=dims,
            causal=causal,
        )

    def _value(self, spin: QSpinBox) -> int:
        """The field's value: the spin box's, or the one it could not hold (see `set_spec`)."""
        return self._beyond.get(spin, spin.value())

    def _on_field_changed(self, *_args) -> None:
        sender = self.sender()
        field = sender.property("field") or ""
        if self._beyond.pop(sender, None) is not None:  # the user replaced the kept value
            self._say_beyond(field)
        if sender is self.causal:
            self._toggle_aside(self.causal.isChecked())
        self._sync_enabled()
        try:
            spec = self.spec_from_fields()
            budget.check(spec)  # a BudgetError names the size fields, the estimate, the limit
        except ValueError as exc:  # core's are SpecErrors; any other still shows, marking none
            self._show_error(field, str(exc), getattr(exc, "fields", ()))
            return
        self._show_error("", "")
        if spec.causal and self._aside is not None:
            self._aside_for.add(spec)
        if spec != self._spec:
            self._spec = spec
            self._show_shapes(spec)
            self.specEdited.emit(spec, field)

    def _on_dims_currentIndexChanged(self, _index: int) -> None:
        """Another number of spatial axes: the layer `gui.dims_switch` makes of the current
        one (sizes mapped, not read from the hidden boxes), shown and proposed."""
        dims = self.dims.currentData()
        if self._spec is None or self._spec.dims == dims:
            self._on_field_changed()
            return
        try:
            spec = switch_dims(self._spec, dims)
        except ValueError as exc:
            self._sync_enabled()
            self._show_error("transposed", str(exc), getattr(exc, "fields", ()))
            return
        self.set_spec(spec)
        self.specEdited.emit(spec, "dims")

    def _on_backend_currentIndexChanged(self, _index: int) -> None:
        self.backendRequested.emit(self.backend.currentData())

    # -- data in -------------------------------------------------------------------------
    def set_spec(self, spec: LayerSpec) -> None:
        """Show ``spec`` (silently: no specEdited) and clear any error."""
        if not self._keeps_aside(spec):
            self._aside, self._aside_for = None, set()
        self._spec = spec
        values = {self.in_channels: spec.in_channels, self.out_channels: spec.out_channels,
                  self.groups: spec.groups}
        for field, fields in self.axes.items():
            given = getattr(spec, field)
            if field == "padding" and spec.causal:  # its Conv1d's: 0, even spelt 'valid'
                given = (0,) * spec.dims
            if isinstance(given, tuple):
                values.update(zip(fields.used(spec.dims), given, strict=True))
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
        # (a causal layer's 'valid' shows as the 0 it is: "no padding" would read as none
        # at all, beside the F.pad that pads the left)
        kind = spec.padding if isinstance(spec.padding, str) and not spec.causal else "numbers"
        for combo, data in ((self.kind, spec.transposed), (self.dims, spec.dims),
                            (self.padding_kind, kind),
                            (self.padding_mode, spec.padding_mode), (self.dtype, spec.dtype)):
            if combo.currentData() != data:
                combo.blockSignals(True)
                combo.setCurrentIndex(combo.findData(data))
                combo.blockSignals(False)
        for box, checked in ((self.bias, spec.bias), (self.batched, spec.batch is not None),
                             (self.causal, spec.causal)):
            if box.isChecked() != checked:
                box.blockSignals(True)
                box.setChecked(checked)
                box.blockSignals(False)
        self._sync_enabled()
        self._show_error("", "")
        self._show_shapes(spec)

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
        if spec.padding == "same":
            self.padding_note.setText(same_note(spec))

