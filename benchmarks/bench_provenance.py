"""Provenance in the app: does playback hold 60 fps, and how fast does a selection repaint?

1. **Playback** on the default scene ((1, 3, 16, 16) input, (4, 3, 3, 3) kernel): the real
   window plays for ``--seconds`` (5) at 120 steps per second — every tick of the 60 Hz
   frame timer (16 ms) moves the step, so every tick should paint a frame — each step
   moving highlights on four grids, the equation panel and the player — first through the 256
   terms of ``grad_weight[0,0,1,1]`` (restarting at the end), then 'Animate all' over the
   output. Printed per second: the Playback timer's ticks, the steps taken, the frames
   painted (ticks after which the window repainted); the work per frame (from the tick to its
   last paint), p50 and p95, and the share of frames over a 60 Hz frame (16.7 ms).
2. **Selection** on (1, 3, 128, 128) → 16 channels, 3×3, padding 1 (``--mode`` zeros): for
   each target, ``--reps`` random entries selected one after another; the time from
   ``SelectionModel.set_selection`` until every view has repainted (the posted paint events
   processed), median, p95 and max in ms (wall clock), and the median CPU time of the UI
   thread (what the app itself spent; on a busy machine the wall clock also shows the other
   processes). Budget 50 ms. Hover look-ups likewise.

Runs offscreen unless a display is asked for. ``python benchmarks/bench_provenance.py``
(``--seconds 5 --reps 20 --mode reflect``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEvent, QObject  # noqa: E402

BUDGET_MS = 50.0
SPEED = 120.0  # steps per second: faster than the 62.5 Hz timer, so every tick moves a step


class FrameCounter(QObject):
    """Counts timer ticks, steps, and the ticks after which the window painted (frames); the
    work of a frame is the time from its tick to its last paint."""

    def __init__(self, playback, widgets) -> None:
        super().__init__()
        self.ticks = self.steps = self.frames = 0
        self._painted_tick = -1
        self._tick_start = 0.0
        self._work: dict[int, float] = {}
        playback.frameTicked.connect(self._on_frameTicked)
        playback.stepChanged.connect(self._on_stepChanged)
        for w in widgets:
            w.installEventFilter(self)

    @property
    def work_ms(self) -> list[float]:
        return list(self._work.values())

    def _on_frameTicked(self) -> None:
        self.ticks += 1
        self._tick_start = time.perf_counter()

    def _on_stepChanged(self, _step: int) -> None:
        self.steps += 1

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint and self.ticks:
            if self.ticks != self._painted_tick:
                self._painted_tick = self.ticks
                self.frames += 1
            self._work[self.ticks] = 1e3 * (time.perf_counter() - self._tick_start)
        return False


def _run_for(app, seconds: float) -> None:
    clock = QElapsedTimer()
    clock.start()
    while clock.elapsed() < seconds * 1000:
        app.processEvents()
        time.sleep(0.0005)


def _pct(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


def playback(app, seconds: float) -> list[str]:
    from gui.main_window import MainWindow
    from gui.selection import Selection

    window = MainWindow(synchronous=True)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    rows = []
    pb = window.player.playback
    watched = [g.view.viewport() for g in window.grids.all()]
    watched += [window.equation.list.viewport(), window.player]
    for label in ("terms of grad_weight[0,0,1,1]", "Animate all over output (1024 entries)"):
        window.selection.set_selection(Selection("grad_weight", (0, 0, 1, 1), step=0))
        counter = FrameCounter(pb, watched)
        if label.startswith("Animate"):
            window.selection.set_selection(Selection("output", (0, 0, 0, 0)))
            window.player.animate_all.click()
        else:
            pb.finished.connect(pb.play)  # loop: five seconds of stepping
            pb.play()
        pb.set_speed(SPEED)
        _run_for(app, seconds)
        pb.pause()
        if not label.startswith("Animate"):
            pb.finished.disconnect(pb.play)
        else:
            window.player.animate_all.click()
        for w in watched:
            w.removeEventFilter(counter)
        c, work = counter, counter.work_ms
        late = 100.0 * sum(t > 1000 / 60 for t in work) / max(len(work), 1)
        rows.append(
            f"| {label} | {c.ticks / seconds:.1f} | {c.steps / seconds:.1f} | "
            f"{c.frames / seconds:.1f} | {_pct(work, 50):.1f} / {_pct(work, 95):.1f} ms | "
            f"{late:.1f} % |"
        )
    window.close()
    return rows


def selection(app, reps: int, mode: str) -> list[str]:
    from core.explain import readers
    from core.session import Session
    from core.spec import LayerSpec
    from gui.main_window import MainWindow
    from gui.selection import Selection

    spec = LayerSpec(in_channels=3, out_channels=16, kernel_size=(3, 3), padding=(1, 1),
                     input_size=(128, 128), padding_mode=mode)
    session = Session.default(spec)
    window = MainWindow(session, synchronous=True)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    rng = np.random.default_rng(0)
    shapes = {"output": spec.output_shape, "grad_input": spec.input_shape,
              "grad_weight": spec.weight_shape, "grad_bias": spec.bias_shape,
              "input": spec.input_shape, "weight": spec.weight_shape,
              "grad_output": spec.output_shape}
    rows = []
    for name, shape in shapes.items():
        hover = name in ("input", "weight", "grad_output")
        times, cpu = [], []
        terms = 0
        for _ in range(reps + 1):
            index = tuple(int(rng.integers(s)) for s in shape)
            start, start_cpu = time.perf_counter(), time.thread_time()
            if hover:
                window.selection.set_hover(Selection(name, index))
                window.explainer._hover_timer.stop()  # measure the look-up, not the wait
                window.explainer._on_hover_timer_timeout()
            else:
                window.selection.set_selection(Selection(name, index))
            app.processEvents()
            times.append(1e3 * (time.perf_counter() - start))
            cpu.append(1e3 * (time.thread_time() - start_cpu))
            if hover:
                terms = len(readers(spec, name, index, **session.tensors()))
            else:
                terms = len(window.explainer.terms)
        times, cpu = times[1:], cpu[1:]  # the first selection of a kind warms caches
        what = f"hover {name}" if hover else f"select {name}"
        rows.append(f"| {what} | {terms} | {statistics.median(times):.1f} | "
                    f"{_pct(times, 95):.1f} | {max(times):.1f} | {statistics.median(cpu):.1f} |")
        window.selection.set_hover(Selection())
    window.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--mode", default="zeros", choices=("zeros", "reflect", "replicate",
                                                        "circular"))
    args = p.parse_args(argv)
    from gui.qt_app import application

    app = application(sys.argv[:1])
    from gui.app import configure

    configure(app)
    print(f"Playback, default scene, {SPEED:g} steps/s for {args.seconds:g} s "
          f"(platform {app.platformName()}):\n")
    print("| playing | timer ticks/s | steps/s | frames painted/s | work per frame p50 / p95 "
          "| frames over 16.7 ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in playback(app, args.seconds):
        print(row)
    print(f"\nSelect / hover to repaint, (1, 3, 128, 128) → 16, 3×3, padding 1 {args.mode}, "
          f"{args.reps} random entries each (budget {BUDGET_MS:g} ms):\n")
    print("| action | terms | median ms | p95 ms | max ms | median CPU ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in selection(app, args.reps, args.mode):
        print(row)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip tearing down every Qt object one by one
