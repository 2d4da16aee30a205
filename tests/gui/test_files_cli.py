"""``main.py --export DIR`` (no Qt, no window), ``main.py SESSION`` with a bad file, and the
file actions as the integrated window offers them (File menu, a grid's context menu)."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_batch import QT_OR_WINDOW, main_runs
from files_support import data_home_fixture, dialogs_fixture, edit_cell, files_fixture  # noqa: F401
from hostile_files import TIB_SHAPE, hostile_files, npy_header

import core.io.export
from core.io.presets import load_preset
from core.io.session_io import save_session
from core.session import compute_session

ROOT = Path(__file__).resolve().parents[2]
WITH_BIAS = ["bias.npy", "grad_bias.npy", "grad_input.npy", "grad_output.npy",
             "grad_weight.npy", "input.npy", "output.npy", "spec.json", "weight.npy"]


def run_main(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=ROOT)


def one_line(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("convviz: ") and "Traceback" not in done.stderr
    return lines[0]


def test_export_of_the_default_scene(tmp_path):
    out = tmp_path / "out"
    done = run_main("--export", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == WITH_BIAS
    assert json.loads((out / "spec.json").read_text())["padding"] == [1, 1]


def test_export_of_a_session_file(tmp_path):
    session = load_preset("sobel_edges")  # no bias: no bias.npy, no grad_bias.npy
    save_session(tmp_path / "s.npz", session)
    done = run_main(str(tmp_path / "s.npz"), "--export", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [n for n in WITH_BIAS if "bias" not in n]
    want = compute_session(session)
    for name in ("output", "grad_input", "grad_weight"):
        np.testing.assert_array_equal(np.load(tmp_path / "out" / f"{name}.npy"),
                                      getattr(want, name))


@pytest.mark.parametrize(
    "content, phrase",
    [(b"", "the file is empty"), (b"PK\x03\x04 broken", "not a readable .npz archive"),
     (None, "no such file")],
)
def test_export_of_a_bad_session_fails_in_one_line(tmp_path, content, phrase):
    bad = tmp_path / "bad.npz"
    if content is not None:
        bad.write_bytes(content)
    done = run_main(str(bad), "--export", str(tmp_path / "out"))
    assert done.returncode == 1
    line = one_line(done)
    assert f"cannot open {bad}" in line and phrase in line
    assert not (tmp_path / "out").exists()


def test_export_into_an_unwritable_place_fails_in_one_line(tmp_path):
    (tmp_path / "file").write_text("in the way")
    done = run_main("--export", str(tmp_path / "file" / "out"))
    assert done.returncode == 1
    blocker = tmp_path / "file"
    assert f"cannot create the folder {blocker / 'out'}: {blocker} is a file" in one_line(done)


WINDOW_OPTIONS = [
    ("--screenshot", "x.png"), ("--with-crosscheck",), ("--select", "output[0,0,1,1]"),
    ("--select", "output[0,0,1,1]", "--step", "0"), ("--step", "0"), ("--tab", "im2col"),
    ("--select", "nonsense"),
]


@pytest.fixture(scope="module")
def window_option_runs(tmp_path_factory) -> dict:
    """``--export DIR`` with each of WINDOW_OPTIONS, each in a folder of its own, all run in
    one child (tests/cli_batch.py): {extra: (run, folder)}."""
    folders = [tmp_path_factory.mktemp("export-refused") for _ in WINDOW_OPTIONS]
    runs = main_runs([(["--export", folder / "out", *extra], folder)
                      for extra, folder in zip(WINDOW_OPTIONS, folders, strict=True)],
                     env=dict(os.environ))
    return {extra: (run, folder)
            for extra, run, folder in zip(WINDOW_OPTIONS, runs, folders, strict=True)}


@pytest.mark.parametrize("extra", WINDOW_OPTIONS)
def test_export_refuses_window_options_without_loading_qt(extra, window_option_runs):
    """Each refused in one line (exit 2) before anything is written or Qt is imported."""
    done, folder = window_option_runs[extra]
    assert (done.returncode, done.loaded) == (2, []), done.stderr
    flag = next(f for f in ("--select", "--screenshot", "--with-crosscheck", "--step", "--tab")
                if f in extra)
    assert one_line(done) == (f"convviz: --export writes files without a window; it cannot be "
                              f"combined with {flag} (see --help)")
    assert list(folder.iterdir()) == []


def test_export_into_an_empty_folder_name_is_refused(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--export", ""],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert one_line(done) == ("convviz: --export needs a folder name, not an empty string "
                              "(see --help)")
    assert list(tmp_path.iterdir()) == []


def test_export_of_a_layer_over_the_memory_limit_writes_nothing(tmp_path):
    env = dict(os.environ, CONVVIZ_MEMORY_LIMIT="2K")
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--export", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert done.returncode == 1
    line = one_line(done)
    assert re.fullmatch(r"convviz: preset default\.json: its layer needs about [0-9.]+ KiB, over "
                        r"the memory limit of 2\.0 KiB \(set CONVVIZ_MEMORY_LIMIT to change it\)",
                        line), line
    assert list(tmp_path.iterdir()) == []


def test_export_never_imports_qt(tmp_path):
    code = (
        "import sys, main\n"
        f"code = main.main(['--export', {str(tmp_path / 'out')!r}])\n"
        f"print(code, {QT_OR_WINDOW})\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0 []"


def test_opening_a_bad_session_file_shows_no_window(tmp_path):
    bad = tmp_path / "hostile.npz"
    np.savez(bad, format=np.array(1), spec=np.array("{not json"))
    done = run_main(str(bad))
    assert done.returncode != 0
    line = one_line(done)
    assert f"cannot open {bad}" in line and "not valid JSON" in line


def test_opening_a_hostile_file_shows_one_line_and_no_window(tmp_path):
    """The app's SESSION argument: refused like --export refuses it, exit 2, before Qt is
    even imported (so no window and no crash box)."""
    code = ("import sys, main\n"
            "code = main.main(sys.argv[1:])\n"
            "print(code, 'PySide6' in sys.modules)\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    for path, phrase in hostile_files(tmp_path).values():
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                              text=True, timeout=120, env=env, cwd=ROOT)
        assert done.stdout.strip() == "2 False", done.stderr
        line = one_line(done)
        assert line.startswith(f"convviz: cannot open {path}: ") or line.startswith(
            f"convviz: preset {path.name}: "), line
        assert phrase in line, line


def test_opening_a_session_file_from_the_command_line(tmp_path):
    session = load_preset("depthwise")
    save_session(tmp_path / "d.npz", session)
    shot = tmp_path / "d.png"
    done = run_main(str(tmp_path / "d.npz"), "--screenshot", str(shot))
    assert done.returncode == 0, done.stderr
    assert shot.read_bytes()[:4] == b"\x89PNG"


# -- the integrated window ---------------------------------------------------------------
def test_file_menu_holds_the_file_actions(window):
    texts = [a.text() for a in window.file_menu.actions()]
    for text in ("&Open…", "Open &Recent", "&Save", "Save &As…", "&Export results",
                 "Export &figure", "Export &animation as GIF…", "Copy as &PyTorch code",
                 "&Quit"):
        assert text in texts, text
    assert texts[-1] == "&Quit"
    assert window.windowTitle() == "untitled[*] — nn.Conv2d — ConvViz"


@pytest.mark.parametrize("name, editable", [("weight", True), ("grad_input", False)])
def test_grid_context_menu_imports_and_exports(window, files, dialogs, tmp_path, name,
                                               editable):
    grid = window.grids.grids[name]
    menu = grid.editor.build_menu()
    actions = {a.text(): a for a in menu.actions()}
    export = actions[f"Export {name} as .npy…"]
    dialogs.save.append(str(tmp_path / f"{name}.npy"))
    export.trigger()
    shown = (window.document.tensor(name) if editable
             else getattr(window.engine.latest.results, name))
    np.testing.assert_array_equal(np.load(tmp_path / f"{name}.npy"), shown)
    assert (f"Import {name} from .npy…" in actions) == editable
    if editable:
        np.save(tmp_path / "new.npy", np.full(shown.shape, 0.5))
        dialogs.open.append(str(tmp_path / "new.npy"))
        actions[f"Import {name} from .npy…"].trigger()
        assert np.all(window.document.tensor(name) == 0.5)
    menu.close()
    menu.deleteLater()
    assert files.prompts.errors == []


def test_file_export_that_fails_leaves_the_folder_as_it_was(window, files, dialogs, tmp_path,
                                                             monkeypatch):
    """File › Export results › .npy files: the same all-or-nothing export as --export."""
    folder = tmp_path / "out"
    dialogs.folder.append(str(folder))
    files.exports.export_npy_action.trigger()
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert len(before) == 9
    edit_cell(window, "input", 3.5)
    real, calls = core.io.export._write_file, [0]

    def disk_full_at_the_fourth(path, write):
        calls[0] += 1
        if calls[0] == 4:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, write)

    monkeypatch.setattr(core.io.export, "_write_file", disk_full_at_the_fourth)
    dialogs.folder.append(str(folder))
    files.exports.export_npy_action.trigger()
    assert files.prompts.errors == [("Cannot export the results",
                                     "Nothing was written: the folder is as it was.",
                                     f"cannot export to {folder}: No space left on device")]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_the_window_refuses_hostile_files_with_a_message(window, files, tmp_path):
    """File › Open and a grid's Import: the loaders' own errors, shown as a message box (the
    crash box never sees them) and the session unchanged."""
    before = window.document.session
    hostile = hostile_files(tmp_path)
    for key in ("bomb", "terabytes", "deep session"):
        path, phrase = hostile[key]
        assert files.open_path(path) is False
        assert phrase in files.prompts.last_error
    liar = tmp_path / "liar.npy"
    liar.write_bytes(npy_header(TIB_SHAPE))
    assert window.imports.import_tensor_from("input", liar) is False
    assert files.prompts.errors[-1] == (
        "Cannot import input", "liar.npy was not imported.",
        f"cannot read {liar}: its header declares shape {TIB_SHAPE} of float32, 3.5 TiB, over "
        "the memory limit of 4.0 GiB (set CONVVIZ_MEMORY_LIMIT to change it)")
    assert window.document.session is before
