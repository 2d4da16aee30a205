"""PresetsMenu: the shipped example sessions (``core.io.presets``), listed when first opened."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget


class PresetsMenu(QMenu):
    """Lists ``core.io.presets.list_presets()``; choosing one loads it and emits the session."""

    sessionChosen = Signal(object, str)  # Session, undo text ("Load preset …")
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("&Presets", parent)
        self.setObjectName("presetsMenu")
        self.setToolTipsVisible(True)
        self._filled = False
        self.aboutToShow.connect(self.fill)
        self.triggered.connect(self._on_triggered)

    def fill(self) -> None:
        """Build the entries (once; core.io.presets is imported only now): the default
        scene first, then one section per kind of layer (Conv1d, Conv2d, Conv3d, then the
        transposed ones), each under a header: by id alone 1D, 2D, 3D and transposed
        presets interleaved (review r12 F14)."""
        if self._filled:
            return
        self._filled = True
        try:
            from core.io.presets import list_presets, load_preset

            presets = list_presets()
        except Exception as exc:  # a broken presets folder must not break the menu bar
            self.addAction(f"(presets unavailable: {exc})").setEnabled(False)
            return
        families: dict[str, list] = {}
        for info in presets:
            try:
                spec = load_preset(info.name).spec
                family = f"{'ConvTranspose' if spec.transposed else 'Conv'}{spec.dims}d"
            except Exception:  # listed all the same: choosing it says what is wrong
                family = "Other"
            families.setdefault("" if info is presets[0] else family, []).append(info)
        for family in sorted(families, key=_family_order):
            if family:
                self.addSeparator()
                header = self.addAction(family)
                header.setEnabled(False)  # a heading, not a choice
                font = header.font()
                font.setBold(True)
                header.setFont(font)
            for info in families[family]:
                self._add_preset(info)

    def _add_preset(self, info) -> None:
        action = self.addAction(info.title)
        action.setData(info.name)
        # the title says what it shows; the id is what the command line takes
        action.setToolTip(f"{info.description}\n\nOn the command line: main.py {info.name}")
        action.setStatusTip(info.description)

    def names(self) -> list[str]:
        self.fill()
        return [a.data() for a in self.actions() if a.data()]

    def load(self, name: str) -> None:
        """Load preset ``name`` and emit it (or ``failed`` with the reason)."""
        from core.io.presets import PresetError, load_preset

        try:
            session = load_preset(name)
        except (PresetError, ValueError) as exc:
            self.failed.emit(str(exc))
            return
        title = next((a.text() for a in self.actions() if a.data() == name), name)
        self.sessionChosen.emit(session, f"Load preset “{title}”")

    def _on_triggered(self, action: QAction) -> None:
        if action.data():
            self.load(action.data())


def _family_order(family: str) -> tuple:
    """The default scene (''), Conv1d…Conv3d, ConvTranspose1d…3d, then any other."""
    if not family:
        return (0,)
    if family == "Other":
        return (3,)
    return (1 + family.startswith("ConvTranspose"), family)
