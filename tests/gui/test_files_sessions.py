"""File › Open / Save / Save As / Open Recent through the app's actions: round trips,
hostile files refused with the right message and the session untouched, atomic saves,
the title's file name and modified mark, and the question before closing unsaved work."""

from __future__ import annotations

import errno
import json
import zipfile

import numpy as np
import pytest
from files_support import data_home_fixture, dialogs_fixture, edit_cell, files_fixture  # noqa: F401

from core.io.presets import load_preset
from core.io.session_io import save_session
from gui.prompts import CANCEL, DISCARD, SAVE
from gui.recent_files import MAX_RECENT


def assert_same_session(a, b) -> None:
    assert a.spec == b.spec
    for name in ("input", "weight", "bias", "grad_output"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert x.dtype == y.dtype and x.shape == y.shape, name
            np.testing.assert_array_equal(x, y, err_msg=name)


def test_save_then_open_round_trips(window, files, dialogs, tmp_path):
    window.document.replace_session(load_preset("strided_dilated"))
    edit_cell(window, "weight", -3.5)
    saved = window.document.session
    dialogs.save.append(str(tmp_path / "mine"))  # no suffix: .npz is added
    files.save_action.trigger()
    path = tmp_path / "mine.npz"
    assert path.is_file() and files.path == path
    assert files.prompts.errors == []
    edit_cell(window, "input", 99.0)
    edit_cell(window, "weight", 42.0)
    dialogs.open.append(str(path))
    files.open_action.trigger()
    assert_same_session(window.document.session, saved)
    assert window.document.undo_stack.isClean() and window.document.undo_stack.count() == 0
    assert window.engine.latest.session is window.document.session


def test_title_names_the_file_and_marks_changes(window, files, dialogs, tmp_path):
    assert window.windowTitle() == "untitled[*] — nn.Conv2d — ConvViz"
    assert not window.isWindowModified()
    edit_cell(window)
    assert window.isWindowModified()
    dialogs.save.append(str(tmp_path / "scene.npz"))
    files.save_as_action.trigger()
    assert window.windowTitle() == "scene.npz[*] — nn.Conv2d — ConvViz"
    assert not window.isWindowModified()
    edit_cell(window, value=1.5)
    assert window.isWindowModified()
    window.document.undo_stack.undo()
    assert not window.isWindowModified()
    files.save_action.trigger()  # has a path now: no dialog
    assert [kind for kind, _ in dialogs.asked] == ["save"]


def _object_array(path):
    session = load_preset("default")
    arrays = {"format": np.array(1), "spec": np.array(json.dumps(session.spec.to_dict())),
              **session.tensors()}
    arrays["input"] = np.array([{"evil": 1}], dtype=object)
    np.savez(path, **arrays)


def _broken_zip(path):
    save_session(path, load_preset("default"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _not_a_zip(path):
    path.write_bytes(b"PK\x03\x04 this is not a zip at all")


def _wrong_shape(path):
    session = load_preset("default")
    arrays = {"format": np.array(1), "spec": np.array(json.dumps(session.spec.to_dict())),
              **session.tensors()}
    arrays["weight"] = np.zeros((4, 3, 5, 5))
    np.savez(path, **arrays)


def _groups_do_not_divide(path):
    session = load_preset("default")
    spec = session.spec.to_dict() | {"groups": 2}  # in_channels 3 is not divisible by 2
    np.savez(path, format=np.array(1), spec=np.array(json.dumps(spec)), **session.tensors())


def _empty(path):
    path.write_bytes(b"")


def _pickled_npz_member(path):
    with zipfile.ZipFile(path, "w") as z:
        import io

        buf = io.BytesIO()
        np.save(buf, np.array([None, "x"], dtype=object), allow_pickle=True)
        z.writestr("format.npy", buf.getvalue())


@pytest.mark.parametrize(
    "make, phrase",
    [
        (_object_array, "Python objects"),
        (_pickled_npz_member, "Python objects"),
        (_broken_zip, "not a readable .npz archive"),
        (_not_a_zip, "not a readable .npz archive"),
        (_wrong_shape, "tensor 'weight' has shape (4, 3, 5, 5) but the spec needs (4, 3, 3, 3)"),
        (_groups_do_not_divide, "in_channels 3 is not divisible by groups 2"),
        (_empty, "the file is empty"),
    ],
)
def test_hostile_files_are_refused_and_the_session_is_untouched(
    window, files, dialogs, tmp_path, make, phrase
):
    edit_cell(window)  # unsaved work that must survive
    before, count = window.document.session, window.document.undo_stack.count()
    path = tmp_path / "hostile.npz"
    make(path)
    dialogs.open.append(str(path))
    files.open_action.trigger()
    assert len(files.prompts.errors) == 1
    title, text, detail = files.prompts.errors[0]
    assert title == "Cannot open the session"
    assert "hostile.npz was not opened; the current session is unchanged" in text
    assert phrase in detail
    assert window.document.session is before
    assert window.document.undo_stack.count() == count
    assert window.isWindowModified() and files.path is None
    assert files.prompts.unsaved == []  # refused before asking to discard anything


def test_missing_file_is_refused_and_leaves_the_recent_list(window, files, tmp_path):
    path = tmp_path / "gone.npz"
    save_session(path, window.document.session)
    files.recent.add(path)
    path.unlink()
    assert not files.open_path(path)
    assert "No such file" in files.prompts.last_error
    assert files.recent.paths() == []


def test_failed_save_leaves_no_file_and_says_why(window, files, dialogs, tmp_path, monkeypatch):
    edit_cell(window)
    real_savez = np.savez

    def disk_full(f, **arrays):
        real_savez(f, **arrays)  # some bytes reach the temporary file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    folder = tmp_path / "out"
    folder.mkdir()
    dialogs.save.append(str(folder / "s.npz"))
    files.save_action.trigger()
    assert list(folder.iterdir()) == []  # neither the file nor a temporary one
    title, text, detail = files.prompts.errors[0]
    assert title == "Cannot save the session" and "s.npz was not saved" in text
    assert "No space left on device" in detail and str(folder / "s.npz") in detail
    assert files.path is None and window.isWindowModified()


def test_failed_save_over_an_existing_file_keeps_it(window, files, tmp_path, monkeypatch):
    path = tmp_path / "keep.npz"
    assert files.save_to(path)
    before = path.read_bytes()
    edit_cell(window)

    def fail(*_args, **_kwargs):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("core.io.atomic.os.replace", fail)
    assert not files.save()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".ini") == ["keep.npz"]
    assert "Permission denied" in files.prompts.last_error


def test_save_into_a_missing_folder_says_so(window, files, tmp_path):
    assert not files.save_to(tmp_path / "no" / "such" / "s.npz")
    assert "does not exist" in files.prompts.last_error


def test_recent_files_keep_ten_newest_and_drop_missing(window, files, tmp_path):
    paths = []
    for i in range(MAX_RECENT + 2):
        p = tmp_path / f"s{i}.npz"
        assert files.save_to(p)
        paths.append(str(p.resolve()))
    assert files.recent.paths() == paths[::-1][:MAX_RECENT]
    (tmp_path / "s11.npz").unlink()
    files.recent.rebuild()
    entries = [a for a in files.recent.menu.actions() if a.data()]
    assert [a.data() for a in entries] == paths[::-1][1:MAX_RECENT]
    edit_cell(window, value=-1.0)
    entries[-1].trigger()  # the oldest kept file
    assert str(files.path) == paths[2] and not window.isWindowModified()
    assert files.recent.paths()[0] == paths[2]


def test_opening_over_unsaved_work_asks_first(window, files, tmp_path):
    other = tmp_path / "other.npz"
    save_session(other, load_preset("sobel_edges"))
    edit_cell(window)
    mine = window.document.session
    files.prompts.unsaved_answers.append(CANCEL)
    assert not files.open_path(other)
    assert window.document.session is mine and files.prompts.unsaved == ["untitled"]
    assert files.prompts.unsaved_before == [f"opening {other.name}"]  # the prompt names it
    files.prompts.unsaved_answers.append(DISCARD)
    assert files.open_path(other)
    assert window.document.session.spec == load_preset("sobel_edges").spec


def test_closing_with_unsaved_changes_asks(window, files, dialogs, tmp_path):
    files.guard_close = True
    edit_cell(window)
    files.prompts.unsaved_answers.append(CANCEL)
    assert not window.close()
    assert window.isVisible() and files.prompts.unsaved == ["untitled"]
    assert files.prompts.unsaved_before == ["closing"]
    files.prompts.unsaved_answers.append(SAVE)
    dialogs.save.append(str(tmp_path / "on_close.npz"))
    assert window.close()
    assert (tmp_path / "on_close.npz").is_file()


def test_closing_a_clean_window_does_not_ask(window, files):
    files.guard_close = True
    assert window.close()
    assert files.prompts.unsaved == []
