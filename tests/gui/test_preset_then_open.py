"""Opening a file (or closing) right after loading a preset asked to save "changes" to
untitled that were none (review r12 F14): an unedited preset is no work to lose, and the
title's modified mark says what closing would ask."""

from __future__ import annotations

from files_support import data_home_fixture, dialogs_fixture, edit_cell, files_fixture  # noqa: F401

from core.io.presets import load_preset
from core.io.session_io import save_session


def _saved(tmp_path):
    path = tmp_path / "s.npz"
    save_session(path, load_preset("conv3d_basic"))
    return path


def test_open_right_after_a_preset_does_not_ask(window, files, dialogs, tmp_path):
    window.presets_menu.load("causal_conv1d")
    window.presets_menu.load("conv1d_basic")  # two in a row: still nothing edited
    assert files.path is None and not window.isWindowModified()
    dialogs.open.append(str(_saved(tmp_path)))
    files.open_action.trigger()
    assert files.prompts.unsaved == []
    assert window.document.spec == load_preset("conv3d_basic").spec


def test_an_edited_preset_still_asks(window, files, dialogs, tmp_path):
    window.presets_menu.load("causal_conv1d")
    edit_cell(window)
    assert window.isWindowModified()
    window.document.undo_stack.undo()  # the edit undone: the preset as it came
    assert not window.isWindowModified()
    window.document.undo_stack.redo()
    dialogs.open.append(str(_saved(tmp_path)))
    files.open_action.trigger()
    assert files.prompts.unsaved == ["untitled"]


def test_edits_before_a_preset_still_ask(window, files, dialogs, tmp_path):
    """The edits live on in the undo history only: opening a file would drop them."""
    edit_cell(window)
    window.presets_menu.load("causal_conv1d")
    assert window.isWindowModified()
    dialogs.open.append(str(_saved(tmp_path)))
    files.open_action.trigger()
    assert files.prompts.unsaved == ["untitled"]
