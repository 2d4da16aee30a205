"""Undo and redo say what they did in the status bar, replacing the note of the change they
take back ("Switched to Conv3d: … reset" stood over a Conv2d again, review r11 #9)."""

from __future__ import annotations

from files_support import edit_cell


def _switch(window, dims: int) -> None:
    panel = window.panel
    panel.dims.setCurrentIndex(panel.dims.findData(dims))


def test_undoing_a_dims_switch_replaces_its_note(window):
    status, stack = window.status, window.document.undo_stack
    _switch(window, 3)
    assert window.document.spec.dims == 3
    assert status.currentMessage().startswith("Switched to Conv3d")
    stack.undo()
    assert window.document.spec.dims == 2
    assert status.currentMessage() == "Undone: Switch to Conv3d"
    stack.redo()
    assert window.document.spec.dims == 3
    assert status.currentMessage() == "Redone: Switch to Conv3d"


def test_new_steps_are_not_called_undone_and_jumps_count_their_steps(window):
    status, stack = window.status, window.document.undo_stack
    edit_cell(window, "input", 1.5)
    edit_cell(window, "weight", 2.5)
    assert not status.currentMessage().startswith(("Undone", "Redone"))
    stack.undo()
    assert status.currentMessage() == "Undone: Edit weight"
    edit_cell(window, "input", 3.5)  # a new step after an undo: the index moves, no note
    assert not status.currentMessage().startswith("Redone")
    stack.setIndex(0)  # a click on <empty> in the History
    assert status.currentMessage() == "Undone: Edit input and 1 more step"
    stack.setIndex(2)
    assert status.currentMessage() == "Redone: Edit input and 1 more step"
