"""Editing through the real window: cells, keys, scrubbing, fills, paste, undo/redo."""

from __future__ import annotations

import numpy as np
import pytest
from gui_checks import assert_results_match_core, cell_pos
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication

from gui.selection import Selection


def click_cell(qtbot, grid, r, c, modifier=Qt.KeyboardModifier.NoModifier):
    pos = cell_pos(grid, r, c)
    qtbot.mouseClick(grid.view.viewport(), Qt.MouseButton.LeftButton, modifier, pos)


def type_value(qtbot, grid, text: str, key=Qt.Key.Key_Return):
    qtbot.keyClicks(grid.view, text[0])
    editor = grid.editor.line_edit
    assert editor is not None, "typing a digit opens the cell editor"
    qtbot.keyClicks(editor, text[1:])
    qtbot.keyClick(editor, key)


def test_typing_a_number_updates_every_result(qtbot, window):
    grid = window.grids.grids["input"]
    click_cell(qtbot, grid, 2, 3)
    assert window.selection.selection == Selection("input", (0, 0, 2, 3))
    type_value(qtbot, grid, "2.5")
    assert window.document.tensor("input")[0, 0, 2, 3] == 2.5
    assert_results_match_core(window)
    # Enter moved the cursor down, ready for the next value
    assert window.selection.selection.index == (0, 0, 3, 3)


def test_each_editable_grid_edits_its_tensor(qtbot, window):
    for name in ("input", "weight", "bias", "grad_output"):
        grid = window.grids.grids[name]
        click_cell(qtbot, grid, 1, 0)
        type_value(qtbot, grid, "-3")
        index = window.selection.selection.index
        assert index is not None
        assert -3 in window.document.tensor(name), name
        assert_results_match_core(window)


def test_double_click_and_arrows(qtbot, window):
    grid = window.grids.grids["weight"]
    click_cell(qtbot, grid, 0, 0)
    qtbot.keyClick(grid.view, Qt.Key.Key_Right)
    qtbot.keyClick(grid.view, Qt.Key.Key_Down)
    assert window.selection.selection.index == (0, 0, 1, 1)
    qtbot.mouseDClick(grid.view.viewport(), Qt.MouseButton.LeftButton, pos=cell_pos(grid, 2, 2))
    editor = grid.editor.line_edit
    assert editor is not None and editor.selectedText()  # pre-filled with the value
    editor.setText("0.25")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert window.document.tensor("weight")[0, 0, 2, 2] == 0.25


def test_bad_number_keeps_the_editor_open(qtbot, window):
    grid = window.grids.grids["input"]
    click_cell(qtbot, grid, 0, 0)
    before = window.document.session
    qtbot.keyClicks(grid.view, "1")
    editor = grid.editor.line_edit
    qtbot.keyClicks(editor, "x")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert grid.editor.line_edit is editor and editor.property("invalid")
    assert window.document.session is before
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert grid.editor.line_edit is None


def test_read_only_grids_do_not_edit(qtbot, window):
    grid = window.grids.grids["output"]
    click_cell(qtbot, grid, 1, 1)
    qtbot.keyClicks(grid.view, "5")
    assert grid.editor.line_edit is None
    assert window.document.undo_stack.count() == 0


def test_drag_scrubs_in_one_undo_step(qtbot, window):
    grid = window.grids.grids["weight"]
    start = cell_pos(grid, 1, 1)
    before = window.document.tensor("weight")[0, 0, 1, 1]
    viewport = grid.view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for dy in range(5, 80, 5):
        qtbot.mouseMove(viewport, start - QPoint(0, dy))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start - QPoint(0, 80))
    after = window.document.tensor("weight")[0, 0, 1, 1]
    assert after > before
    assert window.document.undo_stack.count() == 1
    assert_results_match_core(window)
    window.undo_action.trigger()
    assert window.document.tensor("weight")[0, 0, 1, 1] == before


def test_wheel_scrubs(qtbot, window):
    grid = window.grids.grids["bias"]
    before = window.document.tensor("bias")[2]
    # drive the view box's wheel signal with the cell's position (offscreen wheel events are
    # delivered the same way)
    from PySide6.QtCore import QPointF

    for _ in range(3):
        grid.vb.wheeled.emit(QPointF(0.5, 2.5), 1.0, Qt.KeyboardModifier.NoModifier)
    assert window.document.tensor("bias")[2] > before
    assert window.document.undo_stack.count() == 1
    assert_results_match_core(window)


def test_context_menu_fills(qtbot, window):
    grid = window.grids.grids["weight"]
    menu = grid.editor.build_menu()
    fills = {tuple(a.data()): a for m in [menu] + [a.menu() for a in menu.actions() if a.menu()]
             for a in m.actions() if a.data()}
    fills[("fill", "sobel_x", "slice")].trigger()
    np.testing.assert_array_equal(window.document.tensor("weight")[0, 0],
                                  [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    fills[("fill", "ones", "tensor")].trigger()
    assert np.all(window.document.tensor("weight") == 1)
    assert_results_match_core(window)
    menu.close()
    # a block selection, then fill only it
    click_cell(qtbot, grid, 0, 0)
    click_cell(qtbot, grid, 1, 1, Qt.KeyboardModifier.ShiftModifier)
    assert len(window.selection.selection.cells()) == 4
    grid.editor.fill("zeros", "selection")
    w = window.document.tensor("weight")[0, 0]
    assert np.all(w[:2, :2] == 0) and np.all(w[2] == 1)
    grid.editor.fill("random", "tensor")
    assert np.unique(window.document.tensor("weight")).size > 10
    assert_results_match_core(window)
    for _ in range(4):
        window.undo_action.trigger()
    assert not np.all(window.document.tensor("weight") == 1)


def test_copy_and_paste(qtbot, window):
    grid = window.grids.grids["input"]
    click_cell(qtbot, grid, 4, 4)
    QGuiApplication.clipboard().setText("[[1, 2], [3, 4]]")
    qtbot.keyClick(grid.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(window.document.tensor("input")[0, 0, 4:6, 4:6], [[1, 2], [3, 4]])
    assert len(window.selection.selection.cells()) == 4
    qtbot.keyClick(grid.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "1\t2\n3\t4"
    # tab-separated into the weight, clipped at its edge
    wgrid = window.grids.grids["weight"]
    click_cell(qtbot, wgrid, 2, 1)
    grid.editor  # noqa: B018
    wgrid.editor.paste("7\t8\t9\n1\t1\t1")
    np.testing.assert_array_equal(window.document.tensor("weight")[0, 0, 2, 1:], [7, 8])
    assert_results_match_core(window)
    wgrid.editor.paste("not numbers")  # refused with a note, nothing changes
    np.testing.assert_array_equal(window.document.tensor("weight")[0, 0, 2, 1:], [7, 8])


def test_a_paste_over_the_size_limit_is_refused_and_said(qtbot, window):
    from gui.fills import MAX_PASTE_CHARS

    grid = window.grids.grids["input"]
    click_cell(qtbot, grid, 0, 0)
    before, notes = window.document.session, []
    grid.statusMessage.connect(notes.append)
    grid.editor.paste("1\t" * (MAX_PASTE_CHARS // 2 + 1))
    assert window.document.session is before and window.document.undo_stack.count() == 0
    assert notes and "over the paste limit" in notes[-1]


def test_delete_zeroes_the_selection(qtbot, window):
    grid = window.grids.grids["grad_output"]
    click_cell(qtbot, grid, 0, 0)
    qtbot.keyClick(grid.view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(grid.view, Qt.Key.Key_Delete)
    gy = window.document.tensor("grad_output")
    assert gy[0, 0, 0, 0] == 0 and gy[0, 0, 0, 1] == 0 and gy[0, 0, 0, 2] == 1
    assert_results_match_core(window)


def test_grad_output_note_buttons(qtbot, window):
    note = window.grids.grad_note
    assert "y.sum()" in note.label.text()
    qtbot.mouseClick(note.random, Qt.MouseButton.LeftButton)
    assert not np.all(window.document.tensor("grad_output") == 1)
    assert note.label.text() == "L = Σ y·gy"  # y.backward(gy): any other upstream gradient
    assert_results_match_core(window)
    qtbot.mouseClick(note.ones, Qt.MouseButton.LeftButton)
    assert np.all(window.document.tensor("grad_output") == 1)


def test_channel_selectors_follow_the_selection(qtbot, window):
    grid = window.grids.grids["weight"]
    spins = grid.selector.shown()
    spins[0].setValue(3)
    spins[1].setValue(2)
    assert grid.lead == (3, 2)
    click_cell(qtbot, grid, 0, 1)
    assert window.selection.selection.index == (3, 2, 0, 1)
    type_value(qtbot, grid, "9")
    assert window.document.tensor("weight")[3, 2, 0, 1] == 9
    window.selection.set_selection(Selection("weight", (1, 0, 2, 2)))
    assert grid.lead == (1, 0)


@pytest.mark.parametrize("mode", ["imag", "abs", "phase", "real"])
def test_complex_views(qtbot, window, mode):
    window.panel.dtype.setCurrentIndex(window.panel.dtype.findData("complex128"))
    assert window.document.spec.dtype == "complex128"
    assert window.complex_switch.isEnabled()
    window.complex_switch.buttons[mode].click()
    grid = window.grids.grids["output"]
    plane = grid.array[grid.lead]
    want = {"real": plane.real, "imag": plane.imag, "abs": np.abs(plane),
            "phase": np.angle(plane)}[mode]
    np.testing.assert_allclose(grid.image.image, want)  # what is drawn
    assert_results_match_core(window)


def test_a_block_drag_outlives_its_tensor(qtbot, window):
    """Found by the monkey: a block drag whose tensor goes away mid-drag (bias switched off)
    raised TypeError in the slot; now the drag just selects nothing more."""
    grid = window.grids.grids["bias"]
    shift = Qt.KeyboardModifier.ShiftModifier
    grid.vb.dragged.emit(QPointF(0.5, 0.5), QPointF(0.5, 0.5), 0.0, shift, False)
    window.panel.bias.setChecked(False)
    assert window.document.spec.bias is False and grid.array is None
    grid.vb.dragged.emit(QPointF(0.5, 0.5), QPointF(1.5, 0.5), 0.0, shift, True)  # no error
