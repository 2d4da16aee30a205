"""A monkey on the real window: thousands of random clicks, keys, drags, edits, fills, pastes,
hyperparameter changes, undos and presets. Nothing may raise (pytest-qt fails the test on an
exception in any slot or event handler), and the results must still be core's."""

from __future__ import annotations

import os
import random
import time

import numpy as np
from gui_checks import assert_results_match_core, cell_pos
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QFileDialog, QSpinBox

ACTIONS = int(os.environ.get("MONKEY_ACTIONS", "3000"))
SECONDS = float(os.environ.get("MONKEY_SECONDS", "50"))
SEED = int(os.environ.get("MONKEY_SEED", "20261123"))
KEYS = [Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Return,
        Qt.Key.Key_Escape, Qt.Key.Key_Delete, Qt.Key.Key_Tab, Qt.Key.Key_F2, Qt.Key.Key_5,
        Qt.Key.Key_Minus, Qt.Key.Key_Period, Qt.Key.Key_Backspace, Qt.Key.Key_A]
TEXTS = ["1", "-2.5", "0", "1e3", "abc", "3+4j", "", "7\t8\n9\t10", "[[1, 2], [3, 4]]",
         "[1, 2, 3]", "nan", "—", "0.001"]
# small ranges keep each recompute cheap while still reaching invalid combinations
SPIN_LIMITS = {"in_channels": 6, "out_channels": 6, "groups": 4, "kernel_h": 5, "kernel_w": 5,
               "stride_h": 3, "stride_w": 3, "padding_h": 4, "padding_w": 4, "dilation_h": 3,
               "dilation_w": 3, "batch": 3, "input_h": 20, "input_w": 20}


class Monkey:
    def __init__(self, qtbot, window, rng: random.Random) -> None:
        self.qtbot, self.w, self.rng = qtbot, window, rng
        self.grids = list(window.grids.grids.values())
        self.panel = window.panel

    def grid(self):
        return self.rng.choice(self.grids)

    def point(self, grid) -> QPoint:
        shape = grid.real_shape()
        if shape is None or self.rng.random() < 0.1:
            vp = grid.view.viewport()
            return QPoint(self.rng.randrange(max(vp.width(), 1)),
                          self.rng.randrange(max(vp.height(), 1)))
        return cell_pos(grid, self.rng.randrange(shape[0]), self.rng.randrange(shape[1]))

    # -- actions -------------------------------------------------------------------------
    def click(self) -> None:
        g = self.grid()
        mod = self.rng.choice([Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier])
        self.qtbot.mouseClick(g.view.viewport(), Qt.MouseButton.LeftButton, mod, self.point(g))

    def double_click(self) -> None:
        g = self.grid()
        self.qtbot.mouseDClick(g.view.viewport(), Qt.MouseButton.LeftButton, pos=self.point(g))
        self.finish_editor(g)

    def key(self) -> None:
        g = self.grid()
        mod = self.rng.choice([Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier,
                               Qt.KeyboardModifier.ControlModifier])
        self.qtbot.keyClick(g.view, self.rng.choice(KEYS), mod)
        self.finish_editor(g)

    def finish_editor(self, g) -> None:
        editor = g.editor.line_edit
        if editor is not None:
            editor.setText(self.rng.choice(TEXTS))
            self.qtbot.keyClick(editor, self.rng.choice(
                [Qt.Key.Key_Return, Qt.Key.Key_Tab, Qt.Key.Key_Escape, Qt.Key.Key_Up]))
            if g.editor.line_edit is not None:
                self.qtbot.keyClick(g.editor.line_edit, Qt.Key.Key_Escape)

    def drag(self) -> None:
        g = self.grid()
        vp = g.view.viewport()
        start = self.point(g)
        self.qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
        for _ in range(self.rng.randrange(1, 5)):
            time.sleep(0.011)  # pyqtgraph rate-limits mouse moves to 100 per second
            self.qtbot.mouseMove(vp, start + QPoint(self.rng.randrange(-30, 30),
                                                    self.rng.randrange(-60, 60)))
        self.qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=start + QPoint(3, -40))

    def context_menu(self) -> None:
        g = self.grid()
        self.qtbot.mouseClick(g.view.viewport(), Qt.MouseButton.RightButton, pos=self.point(g))
        popup = QApplication.activePopupWidget()
        if popup is not None:
            actions = [a for a in popup.actions() if a.isEnabled() and not a.isSeparator()
                       and a.menu() is None]
            if actions and self.rng.random() < 0.5:
                self.rng.choice(actions).trigger()
            popup.close()

    def hover(self) -> None:
        g = self.grid()
        time.sleep(0.011)
        self.qtbot.mouseMove(g.view.viewport(), self.point(g))

    def wheel(self) -> None:
        g = self.grid()
        shape = g.real_shape() or (1, 1)
        pos = QPointF(self.rng.uniform(-1, shape[1] + 1), self.rng.uniform(-1, shape[0] + 1))
        mods = self.rng.choice([Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier])
        g.vb.wheeled.emit(pos, self.rng.choice([-2.0, -1.0, 1.0, 3.0]), mods)

    def fill(self) -> None:
        g = self.grid()
        from gui.fills import FILL_LABELS

        g.editor.fill(self.rng.choice(sorted(FILL_LABELS)),
                      self.rng.choice(["selection", "slice", "tensor"]))

    def paste(self) -> None:
        self.grid().editor.paste(self.rng.choice(TEXTS))

    def spin(self) -> None:
        name = self.rng.choice(sorted(SPIN_LIMITS))
        spin: QSpinBox = getattr(self.panel, name)
        low = spin.minimum()
        spin.setValue(self.rng.randint(low, max(low, SPIN_LIMITS[name])))

    def combo(self) -> None:
        combo: QComboBox = self.rng.choice([self.panel.dtype, self.panel.padding_kind,
                                            self.panel.padding_mode])
        combo.setCurrentIndex(self.rng.randrange(combo.count()))

    def check(self) -> None:
        box: QCheckBox = self.rng.choice([self.panel.bias, self.panel.batched])
        box.toggle()

    def undo_redo(self) -> None:
        action = self.w.undo_action if self.rng.random() < 0.6 else self.w.redo_action
        for _ in range(self.rng.randrange(1, 4)):
            action.trigger()

    def selector(self) -> None:
        g = self.grid()
        spins = g.selector.shown()
        if spins:
            s = self.rng.choice(spins)
            s.setValue(self.rng.randint(s.minimum(), s.maximum()))

    def view_switch(self) -> None:
        if self.w.complex_switch.isEnabled():
            self.w.complex_switch.set_mode(self.rng.choice(["real", "imag", "abs", "phase"]))

    def revert(self) -> None:
        self.panel.revert()

    def preset(self) -> None:
        self.w.presets_menu.load(self.rng.choice(self.w.presets_menu.names()))

    def backend(self) -> None:
        combo = self.panel.backend
        combo.setCurrentIndex(combo.findData(self.rng.choice(["numpy", "numpy", "torch"])))

    WEIGHTS = {"context_menu": 2, "hover": 4, "click": 20, "double_click": 4, "key": 20,
               "drag": 5, "wheel": 6, "fill": 6, "paste": 4, "spin": 14, "combo": 4, "check": 3,
               "undo_redo": 8, "selector": 4, "view_switch": 2, "revert": 2, "preset": 1,
               "backend": 1}

    def step(self) -> str:
        names = list(self.WEIGHTS)
        name = self.rng.choices(names, weights=[self.WEIGHTS[n] for n in names])[0]
        getattr(self, name)()
        return name


def _cancelled(*_args, **_kwargs):
    return ("", "")


def _no_folder(*_args, **_kwargs):
    return ""


def test_monkey(qtbot, window, monkeypatch):
    # a grid's "Import/Export .npy…" opens a file dialog; the monkey cancels it
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(_cancelled))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(_cancelled))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(_no_folder))
    rng = random.Random(SEED)
    monkey = Monkey(qtbot, window, rng)
    deadline = time.monotonic() + SECONDS
    done = 0
    for done in range(1, ACTIONS + 1):
        monkey.step()
        if done % 250 == 0:
            float32 = window.document.spec.dtype in ("float32", "complex64")
            assert_results_match_core(window, rtol=1e-4 if float32 else 1e-9)
        if time.monotonic() > deadline:
            break
    assert done >= min(ACTIONS, 1000), f"only {done} actions in {SECONDS} s"
    assert window.document.undo_stack.count() > 50  # the monkey really edited things
    window.panel.revert()
    float32 = window.document.spec.dtype in ("float32", "complex64")
    assert_results_match_core(window, rtol=1e-4 if float32 else 1e-9)
    # the whole history still undoes to the start and redoes to the end
    stack = window.document.undo_stack
    end, where = window.document.session, stack.index()
    stack.setIndex(0)
    stack.setIndex(where)
    assert window.document.session.spec == end.spec
    for name, a in end.tensors().items():
        np.testing.assert_array_equal(window.document.tensor(name), a)
    assert_results_match_core(window, rtol=1e-4 if float32 else 1e-9)
