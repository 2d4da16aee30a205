"""Every wait ends: a computation that fails ends the --screenshot wait with a message and a
non-zero exit, the busy indicator ends with it, a torch that cannot be loaded ends the
cross-check's wait, a layer over the memory budget is refused at the command line, and the
compute predictor counts the memory a layer moves (a huge input with a tiny output is not
run on the UI thread)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from files_support import FakeDialogs, controller_for
from PySide6.QtWidgets import QFileDialog

from core.io.session_io import save_session
from core.session import Session
from core.spec import LayerSpec
from gui import compute as compute_module
from gui import torch_probe as torch_probe_module
from gui.compute import IMMEDIATE_BUDGET_S, INLINE_BUDGET_S, ComputeEngine

ROOT = Path(__file__).resolve().parents[2]
MEDIUM = LayerSpec(in_channels=3, out_channels=16, kernel_size=(3, 3), input_size=(128, 128))

FAILING = textwrap.dedent("""
    import runpy, sys
    import core.conv

    def fail(*args, **kwargs):
        raise MemoryError("forced failure")

    core.conv.compute = fail  # before gui.compute takes its reference
    sys.argv = ["main.py", *sys.argv[1:]]
    runpy.run_path("main.py", run_name="__main__")
""")


def _run(args: list[str], script: str | None = None, **env: str):
    command = [sys.executable, "-c", script, *args] if script else [
        sys.executable, "main.py", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen", **env))


@pytest.mark.parametrize("scene", ["default", "medium"])
def test_a_failed_compute_ends_the_screenshot_wait(tmp_path, scene):
    # the default scene computes while the window opens; the medium one on a worker later
    args = []
    if scene == "medium":
        path = tmp_path / "medium.npz"
        save_session(path, Session.default(MEDIUM))
        args.append(str(path))
    out = tmp_path / "shot.png"
    done = _run([*args, "--screenshot", str(out)], FAILING)
    assert done.returncode == 1, done.stderr
    assert "could not be computed" in done.stderr and "forced failure" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()


def test_a_failed_compute_ends_the_crosscheck_wait_too(tmp_path):
    out = tmp_path / "shot.png"
    done = _run(["--screenshot", str(out), "--with-crosscheck"], FAILING)
    assert done.returncode == 1 and "forced failure" in done.stderr, done.stderr


def test_a_session_over_the_memory_limit_is_refused_at_the_command_line(tmp_path):
    path = tmp_path / "medium.npz"
    save_session(path, Session.default(MEDIUM))
    done = _run([str(path), "--screenshot", str(tmp_path / "x.png")],
                CONVVIZ_MEMORY_LIMIT="1M")
    assert done.returncode == 2, done.stderr
    assert "memory limit of 1.0 MiB" in done.stderr and "medium.npz" in done.stderr
    assert done.stderr.count("\n") == 1


def test_the_busy_indicator_ends_when_an_inline_compute_fails(qtbot, monkeypatch):
    def fail(*args, **kwargs):
        raise MemoryError("forced failure")

    monkeypatch.setattr(compute_module, "compute", fail)
    engine = ComputeEngine()
    session = Session.default(LayerSpec(in_channels=3, out_channels=4, kernel_size=(3, 3),
                                        input_size=(64, 64)))
    # between "now" and "worker": the inline path on the next turn of the event loop
    assert IMMEDIATE_BUDGET_S < engine._predicted(session) < INLINE_BUDGET_S
    busy: list[bool] = []
    engine.busyChanged.connect(busy.append)
    with qtbot.waitSignal(engine.computeFailed):
        engine.request(session)
    assert busy == [True, False] and not engine.busy
    assert engine.error == "MemoryError: forced failure"
    engine.shutdown()


def test_the_predictor_counts_memory_not_only_multiply_adds():
    engine = ComputeEngine()
    tiny_output = LayerSpec(in_channels=3, out_channels=2, kernel_size=(3, 3),
                            input_size=(2048, 2048), stride=(2047, 2047))
    assert tiny_output.output_size == (1, 1)
    big = Session.default(tiny_output)
    assert engine._predicted(big) > INLINE_BUDGET_S  # a worker's job, not the UI thread's
    # the same tiny output from an input a quarter the size: about a quarter the work
    small = Session.default(dataclasses.replace(tiny_output, input_size=(1024, 1024),
                                                stride=(1023, 1023)))
    ratio = compute_module._work_units(big) / compute_module._work_units(small)
    assert 3.5 < ratio < 4.5
    engine.shutdown()


def test_exporting_while_the_results_are_computed_says_so(make_window, tmp_path, qtbot,
                                                          monkeypatch):
    window = make_window(synchronous=False)
    qtbot.waitUntil(lambda: window.engine.latest is not None, timeout=10000)
    files = controller_for(window, tmp_path)
    files.synchronous = False
    dialogs = FakeDialogs()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(dialogs._get_folder))
    release, real = threading.Event(), compute_module._run_compute

    def slow(session: Session, backend: str):
        assert release.wait(20)
        return real(session, backend)

    monkeypatch.setattr(compute_module, "_run_compute", slow)
    window.engine._seconds_per_unit["float64"] = 1.0  # predicted slow: the worker's job
    window.document.fill("input", np.zeros(window.document.spec.input_shape), "Zeros")
    assert window.engine.busy
    dialogs.folder.append(str(tmp_path / "out"))
    files.exports.export_results_npy()  # not a second compute of it on the UI thread
    assert "still being computed" in files.prompts.last_error
    assert not (tmp_path / "out").exists()
    release.set()
    qtbot.waitUntil(lambda: not window.engine.busy, timeout=20000)


@pytest.mark.parametrize("synchronous", [True, False])
def test_a_torch_that_cannot_load_ends_the_crosscheck_wait(make_window, qtbot, monkeypatch,
                                                           synchronous):
    def fail() -> bool:
        raise ImportError("no torch here")

    monkeypatch.setattr(torch_probe_module, "_probe_torch", fail)
    window = make_window(synchronous=synchronous)
    with qtbot.waitSignal(window.crosscheck.crossCheckReady, timeout=10_000) as blocker:
        window.start_background()
    assert blocker.args[0].check is None and blocker.args[0].error == "torch: no torch here"
    assert window.status.check.text() == "torch cross-check failed: torch: no torch here"
    assert window.engine.cuda_available is False and window.torch_probe.cuda_available is False
