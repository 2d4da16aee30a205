"""The command line, run as a user would (a child process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_batch import main_runs

ROOT = Path(__file__).resolve().parents[2]


def run_main(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=ROOT)


def test_screenshot_writes_a_png(tmp_path):
    out = tmp_path / "shot.png"
    done = run_main("--screenshot", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 20_000
    assert "Traceback" not in done.stderr


def test_screenshot_of_a_preset(tmp_path):
    out = tmp_path / "sobel.png"
    done = run_main("sobel_edges", "--screenshot", str(out))
    assert done.returncode == 0, done.stderr
    assert out.exists()


def test_tab_im2col_renders_the_matrices(tmp_path):
    """A figure of the im2col tab: most of the window differs from the tensors tab's."""
    from PIL import Image, ImageChops

    shots = {}
    for tab in ("tensors", "im2col"):
        shots[tab] = tmp_path / f"{tab}.png"
        done = run_main("seed001_im2col_gradients", "--select", "output[0,1,1,1]", "--tab", tab,
                        "--screenshot", str(shots[tab]))
        assert done.returncode == 0, done.stderr
    a, b = (Image.open(shots[t]).convert("L") for t in ("tensors", "im2col"))
    assert a.size == b.size
    changed = ImageChops.difference(a, b).point(lambda v: 255 if v > 24 else 0).histogram()[255]
    assert changed > 0.1 * a.size[0] * a.size[1]


BAD_ARGUMENTS = [
    (["--bogus"], "unrecognized arguments"),
    (["no_such_preset", "--screenshot", "x.png"], "neither a file nor a preset"),
    (["missing/file.npz", "--screenshot", "x.png"], "no such file"),
    (["--screenshot", "/no/such/folder/x.png"], "does not exist"),
    (["--with-crosscheck"], "needs --screenshot"),
    (["--export", "out", "--tab", "im2col"], "cannot be combined with --tab"),
    (["--tab", "matrices"], "invalid choice"),
    (["--screenshot", "shot.jpg"], "--screenshot writes a PNG image; give a name ending"),
    # a script's unset "$OUT": refused, not the interactive window (which never exits)
    (["--screenshot", ""], "--screenshot needs a file name, not an empty string"),
    (["", "--screenshot", "x.png"], "SESSION needs a file or a preset name, not an empty"),
    (["--select", "", "--screenshot", "x.png"], "--select needs an entry, not an empty"),
    (["--import-layer", "m.pt", ""], "--import-layer needs a file name and a key, not an"),
    (["--image-size", "-3x4"], "expected one argument (if its value begins with '-', "
                               "write --image-size=VALUE)"),
    (["--image-size=-3x4", "--import-image", "x.png", "--export", "out"],
     "image size -3 × 4 is out of range"),  # then judged as a size
]


@pytest.fixture(scope="module")
def bad_argument_runs() -> dict:
    """Every command line of BAD_ARGUMENTS, run in one child (tests/cli_batch.py)."""
    runs = main_runs([(args, ROOT) for args, _ in BAD_ARGUMENTS])
    return {tuple(run.args): run for run in runs}


@pytest.mark.parametrize("args, phrase", BAD_ARGUMENTS)
def test_bad_arguments_give_one_line_and_no_traceback(args, phrase, bad_argument_runs):
    done = bad_argument_runs[tuple(args)]
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("convviz: ") and phrase in lines[0]
    assert "Traceback" not in done.stderr


def test_corrupt_session_file_is_refused_in_one_line(tmp_path):
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    done = run_main(str(bad), "--screenshot", str(tmp_path / "x.png"))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_window_does_not_import_torch():
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from gui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "import time; t = time.time()\n"
        "while w.engine.latest is None and time.time() - t < 10: app.processEvents()\n"
        "assert w.engine.latest is not None\n"
        "print('torch' in sys.modules)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_screenshot_that_cannot_be_written_keeps_the_old_file(window, qtbot, tmp_path,
                                                                monkeypatch, capsys):
    """The PNG is written atomically: a full disk leaves the previous screenshot whole."""
    import errno

    from PySide6.QtWidgets import QApplication

    import core.io.atomic
    import gui.app

    exits = []

    class NoExit:  # the real exit would end the event loops of the tests that follow
        processEvents = staticmethod(QApplication.processEvents)
        exit = staticmethod(exits.append)

    monkeypatch.setattr(gui.app, "QApplication", NoExit)

    out = tmp_path / "shot.png"
    out.write_bytes(b"the previous screenshot")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(core.io.atomic.os, "fsync", disk_full)
    assert window.engine.latest is not None  # so the shot is taken two event-loop turns on
    shot = gui.app.Screenshot(window, out, crosscheck=False)
    qtbot.waitUntil(lambda: exits == [1], timeout=2000)
    assert shot.code == 1
    assert capsys.readouterr().err == (f"convviz: could not write the screenshot: cannot write "
                                       f"{out}: No space left on device\n")
    assert out.read_bytes() == b"the previous screenshot"
    assert [p.name for p in tmp_path.iterdir()] == ["shot.png"]


@pytest.mark.parametrize("preset, entry, step", [("conv3d_basic", "output[0,0,1,1,1]", 9),
                                                 ("conv_transpose3d", "output[0,0,1,2,3]", 0)])
def test_a_screenshot_waits_for_the_wider_3d_layer_panel(qtbot, monkeypatch, preset, entry,
                                                         step):
    """As ``main.py PRESET --select ENTRY --screenshot``: when the picture is taken, the Layer
    panel has its 3D width and the tensors lie beside it, not under it (review r11 #3)."""
    from PySide6.QtWidgets import QApplication

    import gui.app
    from core.io.presets import load_preset
    from gui.entry_args import checked_entry
    from gui.main_window import MainWindow
    from gui.selection import Selection

    exits, seen = [], []

    class NoExit:  # the real exit would end the event loops of the tests that follow
        processEvents = staticmethod(QApplication.processEvents)
        exit = staticmethod(exits.append)

    def grab(window):
        scroll = window.panel_dock.widget()
        seen.append((window.panel_dock.geometry(), window.tabs.geometry(), scroll.width(),
                     scroll.minimumWidth()))
        return b"png"

    monkeypatch.setattr(gui.app, "QApplication", NoExit)
    monkeypatch.setattr(gui.app, "png_bytes", grab)
    monkeypatch.setattr(gui.app, "atomic_write_bytes", lambda path, data: None)
    window = MainWindow(load_preset(preset))  # as gui.app.run: select, show, then the shot
    qtbot.addWidget(window)
    tensor, index = checked_entry(entry, step, window.document.spec)
    window.selection.set_selection(Selection(tensor, index, step=step))
    window.show()
    shot = gui.app.Screenshot(window, Path("unused.png"), crosscheck=False)
    qtbot.waitUntil(lambda: exits == [0], timeout=5000)
    assert shot.code == 0
    (dock, tabs, width, minimum), = seen
    assert width >= minimum  # the panel got the width its 3D rows need
    assert dock.right() < tabs.left()  # and the tensors start right of it
