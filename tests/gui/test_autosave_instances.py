"""Autosave in the app: written after a change on a worker thread (never on the UI thread),
within a size limit that the status bar states, one file per instance; a new instance offers
only the rescues of instances that are gone, and a clean exit removes only its own."""

from __future__ import annotations

import threading

import numpy as np
from files_support import (  # noqa: F401
    FakePrompts,
    controller_for,
    data_home_fixture,
    dead_instance,
    die,
    edit_cell,
    files_fixture,
)

from core.io.autosave import AutosaveSlot, autosave_dir, find_rescues
from core.io.presets import load_preset
from core.io.session_io import load_session


def test_autosave_writes_after_a_change_and_only_then(window, files, data_home, qtbot):
    files.start()
    assert files.prompts.questions == []  # nothing to restore
    files.autosaver.start(interval_ms=50)
    path = files.autosaver.path
    assert path.parent == data_home / "convviz" / "autosaves" and not path.exists()
    edit_cell(window, "weight", 3.25)
    qtbot.waitUntil(lambda: files.autosaver.writes == 1, timeout=5000)
    np.testing.assert_array_equal(load_session(path).weight, window.document.tensor("weight"))
    qtbot.wait(200)
    assert files.autosaver.writes == 1  # nothing changed since: nothing written
    edit_cell(window, "weight", 4.5)
    qtbot.waitUntil(lambda: files.autosaver.writes == 2, timeout=5000)
    assert load_session(path).weight.flat[0] == 4.5


def test_the_file_is_written_off_the_ui_thread(window, files, monkeypatch):
    files.start()
    release, threads = threading.Event(), []
    real_write = AutosaveSlot.write

    def slow_write(slot, session):
        threads.append(threading.current_thread())
        assert release.wait(10)  # the disk is slow: the UI must not wait for it
        return real_write(slot, session)

    monkeypatch.setattr(AutosaveSlot, "write", slow_write)
    edit_cell(window)
    files.autosaver.save_now()  # returns while the write is still blocked
    edit_cell(window, value=3.0)  # the UI thread carries on
    assert files.autosaver.writes == 0
    release.set()
    assert files.autosaver.flush(10)
    assert files.autosaver.writes == 1
    assert threads and threads[0] is not threading.main_thread()
    assert load_session(files.autosaver.path).input.flat[0] == 7.25  # the snapshot handed over


def test_a_session_over_the_size_limit_is_not_autosaved_and_the_status_says_so(
        window, files, qtbot):
    files.start()
    files.autosaver.max_bytes = 1000
    with qtbot.waitSignal(files.autosaver.message) as said:
        edit_cell(window)
        files.autosaver.save_now()
    assert "Autosave is off for this size" in said.args[0] and "1000 B" in said.args[0]
    files.autosaver.flush()
    assert not files.autosaver.path.exists()
    assert "Autosave is off" in window.status.currentMessage()


def test_saving_or_undoing_to_clean_removes_the_autosave(window, files, tmp_path, qtbot):
    files.start()
    files.autosaver.start(interval_ms=20)
    path = files.autosaver.path
    edit_cell(window)
    qtbot.waitUntil(path.exists, timeout=5000)
    assert files.save_to(tmp_path / "s.npz")
    files.autosaver.flush()
    assert not path.exists()
    edit_cell(window, value=2.0)
    qtbot.waitUntil(path.exists, timeout=5000)
    window.document.undo_stack.undo()  # back to the saved state
    qtbot.waitUntil(lambda: not path.exists(), timeout=5000)


def test_clean_exit_removes_the_autosave_and_the_lock(window, files):
    files.start()
    edit_cell(window)
    files.autosaver.save_now()
    files.autosaver.flush()
    slot = files.autosaver.slot
    assert slot.path.exists() and slot.lock_path.exists()
    files.guard_close = False  # the user already chose to discard
    assert window.close()
    assert not slot.path.exists() and not slot.lock_path.exists()


def test_a_dead_instance_rescue_is_offered_restored_and_adopted(make_window, tmp_path,
                                                                 data_home):
    crashed = load_preset("depthwise")
    dead = dead_instance(autosave_dir())
    window = make_window()
    files = controller_for(window, tmp_path)
    files.start()
    title, text, detail = files.prompts.questions[0]
    assert title == "Restore autosaved session?" and str(dead.path) in detail
    assert "process 99999" in detail
    s = window.document.session
    assert s.spec == crashed.spec
    np.testing.assert_array_equal(s.input, crashed.input)
    assert window.isWindowModified() and files.path is None
    assert window.engine.latest.session is s
    files.autosaver.flush()
    # the rescue is this instance's now: its own copy is written, the dead one's is gone
    assert not dead.path.exists() and not dead.lock_path.exists()
    assert load_session(files.autosaver.path).spec == crashed.spec
    window.document.undo_stack.undo()  # the restore is one undo step
    assert window.document.session.spec != crashed.spec


def test_declining_removes_only_that_rescue(make_window, tmp_path, data_home):
    dead = dead_instance(autosave_dir())
    window = make_window()
    files = controller_for(window, tmp_path)
    files.prompts.answers.append(False)
    before = window.document.session
    files.start()
    assert window.document.session is before and not dead.path.exists()


def _instance(make_window, tmp_path, token: str):
    window = make_window()
    files = controller_for(window, tmp_path / token)
    files.autosaver.token = token
    return window, files


def test_two_instances_keep_their_own_rescues(make_window, tmp_path, data_home):
    # A runs and autosaves an edit
    window_a, a = _instance(make_window, tmp_path, "1-a")
    a.start()
    edit_cell(window_a, value=5.5)
    a.autosaver.save_now()
    a.autosaver.flush()
    a_file = a.autosaver.path
    assert a_file.is_file()
    # B starts while A runs: A's rescue is not offered (A did not crash), nor touched
    window_b, b = _instance(make_window, tmp_path, "1-b")
    b.start()
    assert b.prompts.questions == [] and a_file.is_file()
    edit_cell(window_b, value=6.5)
    b.autosaver.save_now()
    b.autosaver.flush()
    assert b.autosaver.path != a_file
    assert load_session(a_file).input.flat[0] == 5.5  # B did not overwrite A's
    # B exits cleanly: only B's file goes
    b.guard_close = False
    window_b.close()
    assert a_file.is_file() and not b.autosaver.slot.path.exists()
    # A is killed (it releases nothing); C, starting now, offers A's edit
    die(a.autosaver.slot)
    window_c, c = _instance(make_window, tmp_path, "1-c")
    c.start()
    assert len(c.prompts.questions) == 1 and str(a_file) in c.prompts.questions[0][2]
    assert window_c.document.tensor("input").flat[0] == 5.5
    c.autosaver.flush()
    assert not a_file.exists() and find_rescues(autosave_dir()) == []
    c.guard_close = False
    window_c.close()
    a.autosaver.slot = None  # (A is "dead": its window only closes for the test's sake)
    window_a.close()


def test_a_second_instance_never_calls_the_first_crashed(make_window, tmp_path, data_home):
    window_a, a = _instance(make_window, tmp_path, "2-a")
    a.start()
    edit_cell(window_a)
    a.autosaver.save_now()
    a.autosaver.flush()
    window_b, b = _instance(make_window, tmp_path, "2-b")
    b.prompts.answers.append(False)  # were it asked, No would delete A's file
    b.start()
    assert b.prompts.questions == [] and a.autosaver.path.is_file()


def test_the_suite_never_uses_the_users_settings(qapp):
    from PySide6.QtCore import QSettings

    assert "convviz-tests-" in QSettings("ConvViz", "ConvViz").fileName()
