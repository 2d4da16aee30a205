"""The two questions an import asks: how to turn a picture into the input, and which layer
of a checkpoint to take (with its groups). Plain option dialogs: no file is read here."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.io.checkpoint_import import NOT_IN_STATE_DICT, ConvWeight, group_choices
from core.io.image_import import (
    INTERACTIVE_SIDE,
    MAX_SIDE,
    SCALING_TITLES,
    ImageOptions,
    default_size,
)
from core.spec import AXES, LayerSpec

from .widgets.layer_fields import spin_field

_COLOR_TITLES = {"gray": "grayscale (1 channel)", "rgb": "RGB (3 channels)"}
_FIT_TITLES = {"crop": "keep the aspect ratio, crop the centre", "stretch": "stretch"}


def _combo(items: dict[str, str], current: str) -> QComboBox:
    box = QComboBox()
    for key, title in items.items():
        box.addItem(title, key)
    box.setCurrentIndex(list(items).index(current))
    return box


class ImageImportDialog(QDialog):
    """Colour, size, fit and scaling for one picture; `options` reads them."""

    def __init__(self, name: str, picture: tuple[int, int], spec: LayerSpec,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageImportDialog")
        self.setWindowTitle(f"Import image {name}")
        self._spec = spec
        form = QFormLayout()
        ph, pw = picture
        form.addRow("Picture:", QLabel(f"{name}, {pw} × {ph} pixels (width × height)"))
        self.color = _combo(_COLOR_TITLES, "rgb" if spec.in_channels == 3 else "gray")
        form.addRow("Channels:", self.color)
        h, w = default_size(spec)
        # any number may be typed (Qt dropped the keys of one out of range: 5000 became
        # 500); one that is not a side is said in the note and OK waits for a good one
        self.height_box = spin_field(1, "imageHeight", "the input's height in pixels")
        self.width_box = spin_field(1, "imageWidth", "the input's width in pixels")
        for box, value in ((self.height_box, h), (self.width_box, w)):
            box.setKeyboardTracking(True)  # the note follows each key
            box.setValue(value)
        size = QHBoxLayout()
        size.addWidget(self.height_box)
        size.addWidget(QLabel("×"))
        size.addWidget(self.width_box)
        size.addWidget(QLabel("(height × width)"))
        size.addStretch(1)
        form.addRow("Input size:", size)
        self.fit = _combo(_FIT_TITLES, "crop")
        form.addRow("Resize:", self.fit)
        self.scaling = _combo(SCALING_TITLES, "0-1")
        form.addRow("Values:", self.scaling)
        self.note = QLabel(objectName="importNote")
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        for box in (self.color,):
            box.currentIndexChanged.connect(self._update_note)
        for spin in (self.height_box, self.width_box):
            spin.valueChanged.connect(self._update_note)
        self._update_note()

    def options(self) -> ImageOptions:
        return ImageOptions(color=self.color.currentData(),
                            size=(self.height_box.value(), self.width_box.value()),
                            fit=self.fit.currentData(), scaling=self.scaling.currentData())

    def _update_note(self, *_args) -> None:
        sides = (self.height_box.value(), self.width_box.value())
        wrong = [f"The {axis} {side} is not a side of 1 to {MAX_SIDE} pixels."
                 for axis, side in zip(("height", "width"), sides, strict=True)
                 if not 1 <= side <= MAX_SIDE]
        self.ok.setEnabled(not wrong)
        if wrong:  # (ImageOptions refuses them: `options` is read after OK only)
            self.note.setText("\n".join(wrong))
            return
        o, spec = self.options(), self._spec
        lines = []
        if default_size(spec) != spec.input_size:
            lines.append(f"The size offered is the input's, {spec.input_size[0]} × "
                         f"{spec.input_size[1]}, capped at {INTERACTIVE_SIDE} per side.")
        if o.channels != spec.in_channels:
            lines.append(f"The layer's in_channels changes {spec.in_channels} → {o.channels} "
                         "(you will be asked).")
        if max(o.size) > INTERACTIVE_SIDE:
            lines.append(f"Sides over {INTERACTIVE_SIDE} make every edit slower to redraw.")
        if spec.batched and (spec.batch or 0) > 1:
            lines.append(f"The picture goes into sample 0 of {spec.batch}.")
        self.note.setText("\n".join(lines))


class LayerImportDialog(QDialog):
    """Pick one convolution weight of a checkpoint, the layer kind to read it as (Conv or
    ConvTranspose, with as many axes as the weight's kernel: a state_dict does not say;
    ``transposed`` is the current layer's) and its groups; `choice` reads them."""

    def __init__(self, name: str, weights: list[ConvWeight], others: int,
                 transposed: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerImportDialog")
        self.setWindowTitle(f"Import a layer from {name}")
        self.list = QListWidget(objectName="layerList")
        for w in weights:
            item = QListWidgetItem(w.label())
            item.setData(256, w)  # Qt.UserRole
            self.list.addItem(item)
        self.kind = QComboBox(objectName="layerKind")
        self.kind.addItem("", False)  # texts: the selected weight's (`_name_kinds`)
        self.kind.addItem("", True)
        self.kind.setCurrentIndex(self.kind.findData(transposed))
        self._name_kinds(2)
        self.groups = QComboBox(objectName="layerGroups")
        note = QLabel(
            f"{len(weights)} tensor(s) can be a convolution weight; {others} other "
            "tensor(s) are not listed. A state_dict does not say which layer a weight belongs "
            "to, and a Conv and a ConvTranspose read the same weight differently: "
            "pick the model's layer (the current one's kind is offered). Nor can the shape "
            f"tell the groups: pick the model's (1 is torch's default). {NOT_IN_STATE_DICT}.",
            objectName="importNote")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("read as:", self.kind)
        form.addRow("groups:", self.groups)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Weight (key, shape, matching bias):"))
        layout.addWidget(self.list, 1)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(self._on_list_currentRowChanged)
        self.kind.currentIndexChanged.connect(self._on_kind_currentIndexChanged)
        self.list.setCurrentRow(0)
        self.resize(620, 420)

    def _name_kinds(self, dims: int) -> None:
        """The kinds as read for a weight with ``dims`` kernel axes (Conv1d/2d/3d)."""
        kernel = ", ".join("k" + a[0].upper() for a in AXES[dims])
        self.kind.setItemText(0, f"Conv{dims}d: weight (out, in/groups, {kernel})")
        self.kind.setItemText(1, f"ConvTranspose{dims}d: weight (in, out/groups, {kernel})")

    def _on_kind_currentIndexChanged(self, _index: int) -> None:
        self._on_list_currentRowChanged(self.list.currentRow())

    def _on_list_currentRowChanged(self, row: int) -> None:
        kept = self.groups.currentData()
        self.groups.clear()
        if row < 0:
            return
        weight: ConvWeight = self.list.item(row).data(256)
        if len(weight.shape) - 2 in AXES:
            self._name_kinds(len(weight.shape) - 2)
        transposed = bool(self.kind.currentData())
        for g in group_choices(weight.shape):
            c, o = weight.channels(transposed, g)
            extra = ", depthwise" if weight.shape[1] == 1 and g == weight.shape[0] > 1 else ""
            fits = ("" if weight.bias_shape in (None, (o,))
                    else f"; the bias has {weight.bias_shape[0]}, not {o}")
            self.groups.addItem(f"{g}  (in_channels {c}, out_channels {o}{extra}{fits})", g)
            if g == kept:
                self.groups.setCurrentIndex(self.groups.count() - 1)

    def choice(self) -> tuple[str, int, bool] | None:
        """(key, groups, transposed), or None when no weight is selected."""
        item = self.list.currentItem()
        if item is None:
            return None
        return item.data(256).key, int(self.groups.currentData()), bool(self.kind.currentData())
