"""ImportController: your own data in — File › Import image…, File › Import layer…, files
dropped on the input grid (pictures) or the weight grid (checkpoints), a grid's "Import
from .npy…", and View › Feature maps in gray.

Reading and fitting are core's (`core.io.image_import`, `core.io.checkpoint_import`,
`core.io.tensor_import`); this module
asks for files and options, asks before the layer's ``in_channels`` changes for a picture,
and pushes the result as one `ReplaceSession` step (one Undo takes it back). Every failure is
one `Prompts.error` with core's reason, and the session stays as it was. Tests replace
``ask_image_options`` / ``ask_layer`` (the option dialogs) and the file controller's prompts.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QAction, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu

from core.io.checkpoint_formats import Checkpoint, CheckpointError, open_checkpoint
from core.io.checkpoint_import import (
    NOT_IN_STATE_DICT,
    ConvWeight,
    conv_weights,
    describe_layer,
    kind_note,
    session_with_layer,
)
from core.io.image_import import (
    IMAGE_SUFFIXES,
    ImageOptions,
    describe,
    image_size,
    image_spec,
    load_image,
    session_with_image,
)
from core.io.tensor_import import TensorFileError, describe_change, import_npy
from core.spec import LayerSpec
from core.torch_layer import layer_class

from .document import Document
from .export_actions import NPY_FILTER
from .import_dialogs import ImageImportDialog, LayerImportDialog
from .words import count

IMAGE_FILTER = ("Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ");;All files (*)")
CHECKPOINT_FILTER = "Checkpoints (*.pt *.pth *.safetensors);;All files (*)"
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".safetensors", ".bin", ".ckpt")


def _dropped_file(event: QEvent) -> Path | None:
    mime = event.mimeData()
    urls = [u for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
    return Path(urls[0].toLocalFile()) if len(urls) == 1 else None


class ImportController(QObject):
    """See the module docstring. ``files`` is the window's `FileController` (its prompts,
    its last folder)."""

    message = Signal(str)
    grayChanged = Signal(bool)

    def __init__(self, window: QMainWindow, document: Document, grids: dict,
                 files: QObject) -> None:
        super().__init__(window)
        self.window, self.document, self.files = window, document, files
        self.image_action = QAction("Import &image…", self)
        self.image_action.setStatusTip("Use a picture (PNG, JPEG, BMP, GIF, TIFF) as the input")
        self.image_action.triggered.connect(self.import_image)
        self.layer_action = QAction("Import &layer from a checkpoint…", self)
        self.layer_action.setStatusTip("Take a Conv1d/2d/3d or ConvTranspose1d/2d/3d weight (and "
                                       "bias) from a .pt/.pth state_dict or a .safetensors file")
        self.layer_action.triggered.connect(self.import_layer)
        self.gray_action = QAction("Feature maps in &gray", self, checkable=True)
        self.gray_action.setStatusTip("Draw every grid as a grayscale image (black = its "
                                      "minimum, white = its maximum) instead of the "
                                      "diverging heatmap")
        self.gray_action.toggled.connect(self.grayChanged)
        self._drop_targets: dict[QObject, str] = {}
        for name, kind in (("input", "image"), ("weight", "layer")):
            grid = grids[name]
            for target in (grid, grid.view, grid.view.viewport()):
                target.setAcceptDrops(True)
                target.installEventFilter(self)
                self._drop_targets[target] = kind
        for grid in grids.values():
            self.grayChanged.connect(grid.set_gray)

    def fill_menus(self, file_menu: QMenu, view_menu: QMenu) -> None:
        """The two imports before File › Quit (the last item); the gray toggle in View."""
        quit_action = file_menu.actions()[-1]
        file_menu.insertAction(quit_action, self.image_action)
        file_menu.insertAction(quit_action, self.layer_action)
        file_menu.insertSeparator(quit_action)
        view_menu.addSeparator()
        view_menu.addAction(self.gray_action)

    @property
    def prompts(self):
        return self.files.prompts

    def _folder(self) -> str:
        return self.files.recent.last_folder()

    def _fail(self, title: str, path: Path, reason: str) -> bool:
        self.prompts.error(title, f"{path.name} was not imported; the session is unchanged.",
                           reason)
        return False

    # -- images --------------------------------------------------------------------------
    def import_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import an image as the input",
                                              self._folder(), IMAGE_FILTER)
        if path:
            self.import_image_from(path)

    def ask_image_options(self, path: Path, picture: tuple[int, int],
                          spec: LayerSpec) -> ImageOptions | None:
        dialog = ImageImportDialog(path.name, picture, spec, self.window)
        try:
            return dialog.options() if dialog.exec() else None  # 1: accepted
        finally:
            dialog.deleteLater()

    def import_image_from(self, path: str | os.PathLike[str],
                          options: ImageOptions | None = None) -> bool:
        """Read a picture into the input (asking for ``options`` when None); True when done."""
        path, session = Path(path), self.document.session
        if session.spec.dims != 2:  # a picture is (C, H, W): a Conv2d's input
            return self._fail("Cannot import the image", path,
                              f"a picture is a 2D input and the layer is a "
                              f"{layer_class(session.spec)}: switch the layer to 2D first")
        try:
            picture = image_size(path)
            options = options or self.ask_image_options(path, picture, session.spec)
            if options is None:
                return False
            pixels = load_image(path, options)
            spec = image_spec(session.spec, pixels.shape)
        except ValueError as e:  # ImageFileError, a layer that cannot take it, BudgetError
            return self._fail("Cannot import the image", path, str(e))
        old = session.spec
        if spec.in_channels != old.in_channels and not self.prompts.question(
                "Change in_channels?",
                f"The {options.color} picture has {count(spec.in_channels, 'channel')} but "
                f"the layer has in_channels {old.in_channels}. Change the layer to in_channels "
                f"{spec.in_channels}?",
                "The weight keeps its values where the old and new shapes overlap"
                + ("; new channels start at 0" if spec.in_channels > old.in_channels else
                   f"; its channels past {spec.in_channels} go")
                + ". Undo takes it all back."):
            self.message.emit(f"{path.name} was not imported (in_channels kept)")
            return False
        try:
            new = session_with_image(session, pixels)
        except ValueError as e:
            return self._fail("Cannot import the image", path, str(e))
        what = describe(path, pixels, options)
        if not self.document.replace_session(new, f"Import image {path.name}"):
            return False  # over the budget: the document said why through `refused`
        self.message.emit(f"Input from {what}")
        return True

    # -- layers --------------------------------------------------------------------------
    def import_layer(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import a layer from a checkpoint",
                                              self._folder(), CHECKPOINT_FILTER)
        if path:
            self.import_layer_from(path)

    def ask_layer(self, ckpt: Checkpoint,
                  weights: list[ConvWeight]) -> tuple[str, int, bool] | None:
        """(key, groups, transposed) from the dialog, or None when cancelled."""
        others = len(ckpt.entries) - len(weights)
        dialog = LayerImportDialog(ckpt.path.name, weights, others,
                                   self.document.spec.transposed, self.window)
        try:
            return dialog.choice() if dialog.exec() else None
        finally:
            dialog.deleteLater()

    def import_layer_from(self, path: str | os.PathLike[str], key: str | None = None,
                          groups: int = 1, transposed: bool | None = None) -> bool:
        """Take weight ``key`` as a ConvTranspose2d's (``transposed``) or a Conv2d's (None: the
        current layer's kind), asking which weight, kind and groups when ``key`` is None;
        True when done."""
        path, old = Path(path), self.document.session
        try:
            ckpt = open_checkpoint(path)
            weights = conv_weights(ckpt)
            if key is None:
                chosen = self.ask_layer(ckpt, weights)
                if chosen is None:
                    return False
                key, groups, transposed = chosen
            new = session_with_layer(old, ckpt, key, groups, transposed)
        except (CheckpointError, ValueError) as e:
            return self._fail("Cannot import the layer", path, str(e))
        if not self.document.replace_session(new, f"Import layer {key}"):
            return False  # over the budget: the document said why through `refused`
        said = describe_layer(ckpt, key, groups, new.spec.transposed, new.spec.dtype)
        switch = kind_note(old, new)
        self.message.emit(f"Imported {said}{'; ' + switch if switch else ''}. "
                          f"{NOT_IN_STATE_DICT}.")
        return True

    # -- one tensor from a .npy file -----------------------------------------------------
    def import_tensor(self, name: str) -> None:
        """Load a .npy into editable tensor ``name`` (a grid's "Import from .npy…"); offer
        to reshape the layer if needed."""
        path, _ = QFileDialog.getOpenFileName(self.window, f"Import {name} from a .npy file",
                                              self._folder(), NPY_FILTER)
        if path:
            self.import_tensor_from(name, path)

    def import_tensor_from(self, name: str, path: str | os.PathLike[str]) -> bool:
        """Read ``path`` into tensor ``name``, asking before the layer changes; True when done."""
        path, session = Path(path), self.document.session
        try:
            imp = import_npy(path, name, session)
        except TensorFileError as e:
            self.prompts.error(f"Cannot import {name}", f"{path.name} was not imported.",
                               str(e))
            return False
        if imp.fits:
            if not self.document.replace_session(imp.apply(session),
                                                 f"Import {name} from {path.name}"):
                return False
            self.message.emit(f"Imported {name} {tuple(imp.array.shape)} from {path}")
            return True
        if imp.proposal is None:
            self.prompts.error(f"Cannot import {name}", f"{path.name} was not imported.",
                               imp.refusal)
            return False
        try:
            self.document.check(imp.proposal, what=f"the layer {name} {imp.array.shape} needs")
        except ValueError as e:  # over the memory budget
            self.prompts.error(f"Cannot import {name}", f"{path.name} was not imported.", str(e))
            return False
        change = describe_change(session.spec, imp.proposal)
        if not self.prompts.question(f"Reshape the layer for {name}?",
                                     f"{imp.problem}.\n\nChange the layer to fit it?",
                                     f"Changes: {change}. Values are kept where the old and "
                                     f"new shapes overlap; Undo takes it back."):
            return False
        if not self.document.replace_session(imp.apply(session),
                                             f"Import {name} from {path.name} (reshape layer)"):
            return False
        self.message.emit(f"Imported {name} {tuple(imp.array.shape)}; the layer now has {change}")
        return True

    # -- drag and drop -------------------------------------------------------------------
    def _accepts(self, kind: str, path: Path | None) -> bool:
        if path is None:
            return False
        suffixes = IMAGE_SUFFIXES if kind == "image" else CHECKPOINT_SUFFIXES
        return path.suffix.lower() in suffixes

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = self._drop_targets.get(watched)
        etype = event.type()
        if kind is None or etype not in (QEvent.Type.DragEnter, QEvent.Type.DragMove,
                                         QEvent.Type.Drop):
            return False
        path = _dropped_file(event)
        if not self._accepts(kind, path):
            event.ignore()
            return etype == QEvent.Type.Drop
        event.acceptProposedAction()
        if etype == QEvent.Type.Drop and isinstance(event, QDropEvent):
            if kind == "image":
                self.import_image_from(path)
            else:
                self.import_layer_from(path)
        return True
