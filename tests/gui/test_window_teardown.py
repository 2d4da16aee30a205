"""A window that was edited, closed and dropped (``gui.show()`` in a notebook, a script) goes
quietly: no traceback from its parts' event filters or slots while the garbage collector
frees it (review r11 #18: 'DockFitter' object has no attribute '_dock', 'FileController'
object has no attribute 'window', "Slot 'Autosaver::' not found")."""

from __future__ import annotations

import gc
import sys

import numpy as np
from files_support import controller_for, data_home_fixture, edit_cell  # noqa: F401
from PySide6.QtWidgets import QApplication

from core.io.presets import load_preset
from gui.main_window import MainWindow

HARMLESS = "This plugin does not support"  # the offscreen platform's notes


def _complaints(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and HARMLESS not in line]


def test_an_edited_window_closed_and_dropped_prints_nothing(qtbot, capfd, monkeypatch,
                                                           tmp_path, data_home):
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    w = MainWindow(load_preset("causal_conv1d"), synchronous=True)
    w.show()
    qtbot.waitExposed(w)
    w.panel.kernel_w.setValue(5)  # an edit through the Layer panel
    edit_cell(w, "input", 2.5)  # a cell edit
    files = controller_for(w, tmp_path)
    x = np.random.default_rng(0).standard_normal((2, 3, 11))
    np.save(tmp_path / "x.npy", x)
    assert w.imports.import_tensor_from("input", tmp_path / "x.npy")  # reshapes the layer
    assert w.document.spec.input_shape == (2, 3, 11)
    assert files.prompts.errors == []
    qtbot.wait(20)
    capfd.readouterr()  # what showing and editing printed is not this test's business
    w.close()
    del w, files
    gc.collect()
    for _ in range(5):
        QApplication.processEvents()
        qtbot.wait(10)
    out, err = capfd.readouterr()
    assert unraisable == []
    assert _complaints(err) == [] and _complaints(out) == []
