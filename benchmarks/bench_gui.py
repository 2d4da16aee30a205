"""GUI benchmarks: edit-to-repaint latency and cold start. Prints figures; not a timed test.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py [--edits N] [--starts N]

edit-to-repaint
    A cell edit enters the real path (``TensorGrid.cellsEdited`` -> Document -> undo stack ->
    ComputeEngine, inline or on its worker -> the result grids), and the clock stops when the
    edited grid and every result grid whose numbers changed (output, grad_weight) have
    painted. (An input edit leaves grad_input and grad_bias unchanged; those grids skip the
    redraw.) Scenes: the default ((1, 3, 16, 16)
    input, (4, 3, 3, 3) kernel, padding 1) and (1, 3, 128, 128) with a (16, 3, 3, 3) kernel.
    Targets: p95 <= 16 ms and <= 50 ms.
cold start
    ``python main.py --screenshot PNG``, process start to exit: imports, the window, the first
    result, one painted frame saved. Target <= 1.5 s, torch not imported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from main import limit_math_threads  # noqa: E402  (the app's threading, before numpy loads)

limit_math_threads()


def _percentiles(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=20, method="inclusive")
    return (f"median {statistics.median(ms):6.2f} ms   p95 {q[18]:6.2f} ms   "
            f"max {max(ms):6.2f} ms   (n={len(ms)})")


def edit_to_repaint(app, spec, edits: int, warmup: int = 10) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this process, all threads) milliseconds per edit."""
    import numpy as np
    from PySide6.QtCore import QEvent, QObject

    from core.session import Session
    from gui.document import CellEdit
    from gui.main_window import MainWindow

    class PaintCounter(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.painted: set[int] = set()

        def eventFilter(self, obj, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.painted.add(id(obj))
            return False

    window = MainWindow(Session.default(spec))
    window.show()
    counter = PaintCounter()
    grids = window.grids.grids
    watched = {n: grids[n].view.viewport() for n in grids}
    for vp in watched.values():
        vp.installEventFilter(counter)
    results = ("output", "grad_input", "grad_weight", "grad_bias")
    doc, engine = window.document, window.engine
    deadline = time.monotonic() + 10
    while engine.latest is None and time.monotonic() < deadline:
        app.processEvents()
    rng = np.random.default_rng(0)
    _, c, h, w = spec.input_shape
    times, cpu = [], []
    for i in range(warmup + edits):
        index = (0, int(rng.integers(c)), int(rng.integers(h)), int(rng.integers(w)))
        grids["input"].set_slice(index[:2])
        app.processEvents()
        counter.painted.clear()
        before = engine.latest.results
        edit = CellEdit("input", index, np.array(round(float(rng.normal()), 2) + 10.0 * i))
        start, start_cpu = time.perf_counter(), time.process_time()
        grids["input"].cellsEdited.emit(edit)
        expected = None
        while True:
            app.processEvents()
            latest = engine.latest
            if expected is None and latest is not None and latest.session is doc.session:
                changed = [n for n in results if getattr(before, n) is not None
                           and not np.array_equal(getattr(before, n), getattr(latest.results, n))]
                expected = {id(watched[n]) for n in ["input", *changed]}
            if expected is not None and expected <= counter.painted:
                break
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1e3)
            cpu.append((time.process_time() - start_cpu) * 1e3)
    window.close()
    window.engine.shutdown()
    window.deleteLater()
    app.processEvents()
    return times, cpu


def cold_start(runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (the child's user + system) milliseconds per start."""
    import resource

    times, cpu = [], []
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            out = Path(tmp) / f"shot{i}.png"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out)],
                           check=True, env=env, cwd=ROOT, capture_output=True)
            times.append((time.perf_counter() - start) * 1e3)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1e3)
            assert out.stat().st_size > 0
    return times, cpu


def torch_loaded_at_start() -> bool:
    code = ("import sys\nfrom PySide6.QtWidgets import QApplication\napp = QApplication([])\n"
            "from gui.main_window import MainWindow\nw = MainWindow(); w.show()\n"
            "app.processEvents()\nprint('torch' in sys.modules)\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=ROOT, check=True)
    return out.stdout.strip() == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=200, help="timed edits per scene")
    parser.add_argument("--starts", type=int, default=7, help="cold starts")
    args = parser.parse_args()


    from core.spec import LayerSpec
    from gui.qt_app import application

    app = application()
    print(f"ConvViz GUI benchmarks  (python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}, load average "
          f"{os.getloadavg()[0]:.2f})")
    scenes = [
        ("default (1,3,16,16) * (4,3,3,3)", LayerSpec(3, 4, 3, padding=1, input_size=(16, 16)),
         16.0),
        ("large (1,3,128,128) * (16,3,3,3)",
         LayerSpec(3, 16, 3, padding=1, input_size=(128, 128)), 50.0),
    ]
    for label, spec, target in scenes:
        ms, cpu = edit_to_repaint(app, spec, args.edits)
        p95 = statistics.quantiles(ms, n=20, method="inclusive")[18]
        verdict = "ok" if p95 <= target else "OVER"
        print(f"edit-to-repaint  {label:34s} {_percentiles(ms)}   target p95 <= {target:.0f} ms "
              f"[{verdict}]")
        print(f"  cpu (all threads){'':31s} {_percentiles(cpu)}")
    ms, cpu = cold_start(args.starts)
    verdict = "ok" if statistics.median(ms) <= 1500 else "OVER"
    print(f"cold start       main.py --screenshot (to exit)      {_percentiles(ms)}   "
          f"target <= 1500 ms [{verdict}]")
    print(f"  cpu (user + system){'':29s} {_percentiles(cpu)}")
    print(f"torch imported when the window is up: {torch_loaded_at_start()}")
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
