"""Nothing on screen outlives the document it came from: the Sum panel and the im2col tab
after quick edits (their caches once keyed on ``id(session)``, which Python reuses), Animate
all and playback across a preset or an opened file, and the file a preset replaces."""

from __future__ import annotations

import numpy as np
import pytest
from files_support import data_home_fixture, dialogs_fixture, edit_cell, files_fixture  # noqa: F401
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication

import gui.explainer as explainer_module
from core.explain import explain_spec
from core.im2col_steps import im2col_steps
from core.io.presets import load_preset
from core.io.session_io import save_session
from gui.document import CellEdit
from gui.im2col_layout import matrices
from gui.selection import Selection

ENTRY = ("output", (0, 0, 2, 2))


def _assert_sum_is_current(window) -> None:
    s = window.document.session
    sel = window.selection.selection
    want = explain_spec(s.spec, sel.tensor, sel.index, **s.tensors())
    shown = window.equation.terms
    assert shown is not None and shown.spec == s.spec
    np.testing.assert_array_equal(shown.value, want.value)


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def _reuse_every_id(monkeypatch) -> None:
    """The worst case of id reuse: every object gets the same id in the explainer."""
    monkeypatch.setattr(explainer_module, "id", lambda _obj: 0, raising=False)


def test_the_sum_follows_edits_even_when_ids_are_reused(window, monkeypatch):
    _reuse_every_id(monkeypatch)
    window.selection.set_selection(Selection(*ENTRY))
    _settle()
    for value in (5.0, -2.0):
        window.document.apply_edit(CellEdit("input", (0, 0, 2, 2), np.asarray(value)))
        _settle()
        _assert_sum_is_current(window)


def test_two_edits_in_one_turn_never_leave_a_stale_sum(window):
    window.selection.set_selection(Selection(*ENTRY))
    _settle()
    rng = np.random.default_rng(0)
    for _ in range(40):  # each turn frees sessions whose ids the next ones may get
        for value in rng.standard_normal(2):
            window.document.apply_edit(CellEdit("input", (0, 0, 2, 2), np.asarray(value)))
        _settle()
        _assert_sum_is_current(window)


def test_the_im2col_tab_follows_edits_even_when_ids_are_reused(window, monkeypatch):
    _reuse_every_id(monkeypatch)
    window.tabs.setCurrentWidget(window.im2col)
    window.selection.set_selection(Selection(*ENTRY))
    _settle()
    for value in (5.0, -2.0):
        window.document.apply_edit(CellEdit("input", (0, 0, 1, 1), np.asarray(value)))
        _settle()
        s = window.document.session
        want = matrices(im2col_steps(s.spec, s.input, s.weight, s.bias, s.grad_output, 0))
        np.testing.assert_array_equal(window.im2col.shown("cols"), want["cols"])


def _start_sweep(window) -> None:
    window.selection.set_selection(Selection(*ENTRY))
    _settle()
    window.player.animate_all.click()
    window.player.playback.advance(1.0)  # 60 entries on
    _settle()
    assert window.explainer.sweeping == "output" and window.player.playback.is_playing()


def _assert_no_sweep(window) -> None:
    ex, player = window.explainer, window.player
    assert ex.sweeping is None and not player.animate_all.isChecked()
    assert not player.playback.is_playing()
    for name, grid in window.grids.grids.items():
        assert not grid.highlighted("pending"), name
    sel = window.selection.selection
    assert sel.step is None
    assert "entry" not in player.position.text()
    if not sel.empty:
        _assert_sum_is_current(window)


@pytest.mark.parametrize("preset", ["sobel_edges", "default", "complex_small"])
def test_a_preset_during_animate_all_stops_the_sweep(window, preset):
    _start_sweep(window)
    window.presets_menu.load(preset)
    _settle()
    _assert_no_sweep(window)
    for _ in range(5):  # the clock is stopped: nothing moves any more
        window.player.playback.advance(1.0)
        _settle()
    _assert_no_sweep(window)
    window.document.undo_stack.undo()  # undoing the load is a new document again
    _settle()
    _assert_no_sweep(window)


def test_a_preset_during_playback_stops_it(window):
    window.selection.set_selection(Selection(*ENTRY, step=3))
    _settle()
    window.player.playback.play()
    window.presets_menu.load("reflect_padding")
    _settle()
    _assert_no_sweep(window)


def test_opening_a_session_during_animate_all_stops_the_sweep(window, files, dialogs, tmp_path):
    path = tmp_path / "other.npz"
    save_session(path, load_preset("sobel_edges"))  # where output[0, 0, 2, 2] exists too
    _start_sweep(window)
    dialogs.open.append(str(path))
    files.open_action.trigger()
    _settle()
    _assert_no_sweep(window)


def test_a_layer_change_that_shrinks_the_swept_tensor_does_not_step_past_it(window):
    _start_sweep(window)
    window.player.playback.pause()
    window.player.scrubber.setValue(20)  # output (1, 4, 16, 16): entry 20 is (0, 0, 1, 4)
    window.panel.input_h.setValue(6)  # now (1, 4, 6, 16): 384 entries; 20 is still there
    assert window.explainer.sweeping == "output"
    window.player.playback.play()
    window.player.playback.advance(1000.0)  # before the explainer refreshes: far past the end
    _settle()
    # the sweep ran to the last of the 4 * 6 * 16 entries, not past it
    assert window.selection.selection.index == (0, 3, 5, 15)
    _assert_sum_is_current(window)


def test_a_preset_detaches_the_open_file_and_save_asks_for_a_name(window, files, dialogs,
                                                                    tmp_path):
    path = tmp_path / "mine.npz"
    mine = load_preset("strided_dilated")
    save_session(path, mine)
    dialogs.open.append(str(path))
    files.open_action.trigger()
    assert window.windowTitle() == "mine.npz[*] — nn.Conv2d — ConvViz"
    window.presets_menu.load("sobel_edges")
    assert files.path is None and window.windowTitle() == "untitled[*] — nn.Conv2d — ConvViz"
    assert not window.isWindowModified()  # a preset as it came is no work to lose
    files.save_action.trigger()  # asks for a name; the answer is Cancel
    assert [kind for kind, _ in dialogs.asked] == ["open", "save"]
    on_disk = np.load(path)
    np.testing.assert_array_equal(on_disk["weight"], mine.weight)  # the file is untouched
    window.document.undo_stack.undo()  # the file's own document, and its name, come back
    assert files.path == path and window.windowTitle() == "mine.npz[*] — nn.Conv2d — ConvViz"
    assert not window.isWindowModified()
    window.document.undo_stack.redo()
    assert files.path is None


def test_new_detaches_the_file_too(window, files, dialogs, tmp_path):
    path = tmp_path / "mine.npz"
    save_session(path, load_preset("reflect_padding"))
    dialogs.open.append(str(path))
    files.open_action.trigger()
    edit_cell(window)
    files.new_action.trigger()
    assert files.path is None and window.windowTitle() == "untitled[*] — nn.Conv2d — ConvViz"
    dialogs.save.append(str(tmp_path / "fresh.npz"))
    files.save_action.trigger()
    assert files.path == tmp_path / "fresh.npz"
    assert np.load(path)["input"].shape == load_preset("reflect_padding").input.shape


def test_ctrl_s_after_a_preset_asks_for_a_name(window, files, dialogs, tmp_path, qtbot):
    path = tmp_path / "mine.npz"
    save_session(path, load_preset("default"))
    dialogs.open.append(str(path))
    files.open_action.trigger()
    window.presets_menu.load("depthwise")
    with qtbot.waitActive(window):
        window.activateWindow()
    window.grids.grids["input"].view.setFocus()
    qtbot.keyClick(window.grids.grids["input"].view, Qt.Key.Key_S,
                   Qt.KeyboardModifier.ControlModifier)
    QCoreApplication.processEvents()
    assert [kind for kind, _ in dialogs.asked] == ["open", "save"]



def test_selecting_a_block_of_the_swept_tensor_stops_the_sweep(window):
    _start_sweep(window)
    index = window.selection.selection.index
    window.selection.set_selection(Selection("output", index, anchor=(0, 0, 0, 0)))
    _settle()
    assert window.explainer.sweeping is None and not window.player.animate_all.isChecked()
    assert not window.player.playback.is_playing()
    assert not window.grids.grids["output"].highlighted("pending")


def test_a_restored_autosave_does_not_take_the_open_files_name(window, files, dialogs, tmp_path):
    from files_support import dead_instance

    from core.io.autosave import autosave_dir

    path = tmp_path / "given.npz"  # main.py given.npz: the title names it
    given = load_preset("reflect_padding")
    save_session(path, given)
    files.open_path(path)
    dead_instance(autosave_dir(), "depthwise")  # what a crashed run left behind
    files.start()
    files.autosaver.stop(clear=True)
    assert window.document.spec == load_preset("depthwise").spec
    assert files.path is None and window.windowTitle() == "untitled[*] — nn.Conv2d — ConvViz"
    files.save_action.trigger()  # asks for a name (cancelled): the given file is untouched
    assert [kind for kind, _ in dialogs.asked] == ["save"]
    np.testing.assert_array_equal(np.load(path)["input"], given.input)
