"""Fixtures for the file tests (import the ``*_fixture`` names; use them as ``dialogs``,
``data_home``, ``files``): scripted prompts, scripted file dialogs, an isolated
controller (its own settings file, autosave folder under tmp_path)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

from core.io.autosave import AutosaveSlot
from core.io.presets import load_preset
from gui.document import CellEdit
from gui.file_actions import FileController
from gui.prompts import DISCARD


class FakePrompts:
    """Records every message; answers questions from queues (yes / discard by default)."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str, str]] = []
        self.questions: list[tuple[str, str, str]] = []
        self.answers: list[bool] = []
        self.unsaved: list[str] = []
        self.unsaved_answers: list[str] = []
        self.unsaved_before: list[str] = []  # what each unsaved-changes prompt named

    def error(self, title: str, text: str, detail: str = "") -> None:
        self.errors.append((title, text, detail))

    def question(self, title: str, text: str, detail: str = "") -> bool:
        self.questions.append((title, text, detail))
        return self.answers.pop(0) if self.answers else True

    def unsaved_changes(self, name: str, before: str = "closing") -> str:
        self.unsaved.append(name)
        self.unsaved_before.append(before)
        return self.unsaved_answers.pop(0) if self.unsaved_answers else DISCARD

    @property
    def last_error(self) -> str:
        assert self.errors, "no error was shown"
        return " | ".join(self.errors[-1])


class FakeDialogs:
    """Answers QFileDialog's static functions from queues (the chosen filter is the first);
    records what they were asked."""

    def __init__(self) -> None:
        self.open: list[str] = []
        self.save: list[str] = []
        self.folder: list[str] = []
        self.asked: list[tuple[str, tuple]] = []

    def _get_open(self, parent=None, caption="", folder="", filters="", *args, **kwargs):
        self.asked.append(("open", (caption, folder, filters)))
        return (self.open.pop(0) if self.open else "", filters.split(";;")[0])

    def _get_save(self, parent=None, caption="", folder="", filters="", *args, **kwargs):
        self.asked.append(("save", (caption, folder, filters)))
        return (self.save.pop(0) if self.save else "", filters.split(";;")[0])

    def _get_folder(self, parent=None, caption="", folder="", *args, **kwargs):
        self.asked.append(("folder", (caption, folder)))
        return self.folder.pop(0) if self.folder else ""


@pytest.fixture(name="dialogs")
def dialogs_fixture(monkeypatch) -> FakeDialogs:
    fake = FakeDialogs()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake._get_open))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake._get_save))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(fake._get_folder))
    return fake


@pytest.fixture(name="data_home")
def data_home_fixture(tmp_path, monkeypatch) -> Path:
    """XDG_DATA_HOME under tmp_path: each instance autosaves to DATA_HOME/convviz/autosaves/."""
    home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


def controller_for(window, tmp_path: Path) -> FileController:
    """The window's FileController (or a new one), made synchronous and isolated."""
    files = getattr(window, "files", None)
    if files is None:
        files = FileController(window, window.document, window.engine, window.selection,
                               synchronous=True)
    files.synchronous = True
    files.prompts = FakePrompts()
    files.set_settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    return files


@pytest.fixture(name="files")
def files_fixture(window, tmp_path, data_home) -> FileController:
    return controller_for(window, tmp_path)


def edit_cell(window, name: str = "input", value: float = 7.25) -> None:
    """One undoable edit: the first cell of ``name`` becomes ``value``."""
    index = (0,) * window.document.tensor(name).ndim
    window.document.apply_edit(CellEdit(name, index, np.asarray(value), f"Edit {name}"))


def die(slot: AutosaveSlot) -> None:
    """A killed instance: the operating system drops its lock; its files stay."""
    os.close(slot._fd)
    slot._fd = None


def dead_instance(folder, preset: str = "depthwise") -> AutosaveSlot:
    slot = AutosaveSlot(folder, f"99999-{preset}")
    slot.write(load_preset(preset))
    die(slot)
    return slot
