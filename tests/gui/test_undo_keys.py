"""Undo and redo work from the keyboard wherever the focus is: a Layer-panel field keeps focus
after Enter, and its line edit used to swallow Ctrl+Z / Ctrl+Shift+Z for its own typing."""

from __future__ import annotations

import numpy as np
import pytest
from files_support import data_home_fixture, dialogs_fixture, edit_cell, files_fixture  # noqa: F401
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def _type_and_enter(qtbot, spin, text: str) -> None:
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


@pytest.mark.parametrize("field", ["stride_h", "input_w"])
def test_ctrl_z_in_a_focused_field_after_enter_undoes_the_layer_change(window, qtbot, field):
    with qtbot.waitActive(window):
        window.activateWindow()
    spin = getattr(window.panel, field)
    before = window.document.spec
    _type_and_enter(qtbot, spin, "2")
    after = window.document.spec
    assert after != before
    assert QApplication.focusWidget() is spin  # the field keeps focus after Enter
    qtbot.keyClick(spin, Qt.Key.Key_Z, CTRL)
    assert window.document.spec == before
    assert window.panel.spec_from_fields() == before  # the field shows the undone value
    qtbot.keyClick(spin, Qt.Key.Key_Z, CTRL | SHIFT)
    assert window.document.spec == after
    qtbot.keyClick(spin, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(spin, Qt.Key.Key_Y, CTRL)
    assert window.document.spec == after


def test_ctrl_z_in_a_grid_selector_and_the_im2col_sample_undoes_a_cell_edit(window, qtbot):
    with qtbot.waitActive(window):
        window.activateWindow()
    window.panel.batch.setValue(2)
    spins = [window.grids.grids["input"].selector.shown()[0], window.im2col.sample]
    for spin in spins:
        before = window.document.session
        edit_cell(window, "input", 3.5)
        assert not np.array_equal(window.document.tensor("input"), before.input)
        spin.setFocus()
        assert QApplication.focusWidget() is spin
        qtbot.keyClick(spin, Qt.Key.Key_Z, CTRL)
        np.testing.assert_array_equal(window.document.tensor("input"), before.input,
                                      err_msg=spin.objectName())


def test_file_keys_work_from_a_focused_field(window, qtbot, files, dialogs):  # noqa: F811
    with qtbot.waitActive(window):
        window.activateWindow()
    spin = window.panel.kernel_w
    _type_and_enter(qtbot, spin, "2")
    qtbot.keyClick(spin, Qt.Key.Key_S, CTRL)  # Save: untitled, so it asks for a name
    assert [kind for kind, _ in dialogs.asked] == ["save"]
    qtbot.keyClick(spin, Qt.Key.Key_N, CTRL)  # New: the default layer again
    assert window.document.spec.kernel_size == (3, 3)
    qtbot.keyClick(spin, Qt.Key.Key_Z, CTRL)  # and New is undone like any change
    assert window.document.spec.kernel_size == (3, 2)
