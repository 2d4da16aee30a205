"""Live results: `core.conv.compute` on every change, off the UI thread when it is slow.

Each request gets a generation number. Tiny scenes (under `IMMEDIATE_BUDGET_S`) compute
at once; small ones run inline on the next turn of the event loop (edits arriving together
coalesce); a request predicted to take longer than `INLINE_BUDGET_S`, or one on a torch
backend, runs on a worker thread. Only the newest pending request is kept, and a result
older than the one on screen is dropped. A second worker loads torch after the window is
up, says whether CUDA is available, and cross-checks each shown result against torch's own
``nn.Conv2d``.
``synchronous=True`` runs everything inline (tests).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from core import budget
from core.conv import ConvResults, compute
from core.session import Session

INLINE_BUDGET_S = 0.025
IMMEDIATE_BUDGET_S = 0.002
CROSSCHECK_DELAY_MS = 150
MEMORY_WEIGHT = 4.0  # work units per element allocated or copied (a multiply-add is 1)


@dataclass(frozen=True, eq=False)
class ComputeResult:
    """One computed session: what the result views draw."""

    generation: int
    session: Session
    results: ConvResults
    backend: str
    seconds: float


@dataclass(frozen=True)
class CrossCheckResult:
    generation: int
    check: Any  # core.verify.crosscheck.CrossCheck, or None when it failed
    error: str = ""


def _work_units(session: Session) -> float:
    """Rough cost of one forward + backward: the multiply-adds (taps × output positions ×
    (outputs per group + 3)) plus every element the pipeline allocates or copies (the
    tensors, the padded input and its gradient, the im2col matrices: `core.budget`'s
    estimate) at `MEMORY_WEIGHT` each — so a huge input with a tiny output (a large stride,
    wide padding) is not mistaken for a small job."""
    spec = session.spec
    n = 1 if spec.batch is None else spec.batch
    kh, kw = spec.kernel_size
    oh, ow = spec.output_size
    factor = 4.0 if spec.dtype.startswith("complex") else 1.0
    macs = n * oh * ow * spec.in_channels * kh * kw * (spec.out_per_group + 3)
    elements = budget.estimate_bytes(spec) / np.dtype(spec.dtype).itemsize
    return factor * (macs + MEMORY_WEIGHT * elements) + 1.0


def _run_compute(session: Session, backend: str) -> tuple[ConvResults, float]:
    s = session
    start = time.perf_counter()
    results = compute(s.spec, s.input, s.weight, s.bias, s.grad_output, backend)
    return results, time.perf_counter() - start


class Worker:
    """A daemon thread that runs jobs one by one and reports through a Qt signal.

    Daemon, and not a QThread, so that a long job (importing torch) never holds up exit.
    """

    def __init__(self, name: str, report: Callable[[object], None]) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._report = report
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, tag: str, token: object, fn: Callable[[], object]) -> None:
        self._jobs.put((tag, token, fn))

    def stop(self) -> None:
        self._jobs.put(None)

    def flush(self, timeout: float) -> bool:
        """Wait until every job submitted so far has run (False when ``timeout`` s passed)."""
        done = threading.Event()
        self._jobs.put(("flush", None, done.set))
        return done.wait(timeout)

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            tag, token, fn = job
            try:
                outcome: object = fn()
            except Exception as exc:  # reported to the UI, which shows one line
                outcome = exc
            try:
                self._report((tag, token, outcome))
            except RuntimeError:  # the engine is gone (window closed): nobody to tell
                return


class ComputeEngine(QObject):
    """Turns sessions into results; see the module docstring."""

    resultReady = Signal(object)  # ComputeResult
    computeFailed = Signal(str)
    busyChanged = Signal(bool)
    backendChanged = Signal(str)
    crossCheckReady = Signal(object)  # CrossCheckResult
    crossCheckStarted = Signal()
    torchReady = Signal(bool)  # torch imported; whether CUDA is available
    _delivered = Signal(object)  # (tag, token, outcome) from a worker thread

    def __init__(self, synchronous: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self._backend = "numpy"
        self._generation = 0
        self._shown = 0  # generation on screen
        self._pending: tuple[int, Session] | None = None
        self._in_flight = False
        self._seconds_per_unit: dict[str, float] = {}
        self.latest: ComputeResult | None = None
        self.error: str | None = None  # why the newest request failed (None once one succeeds)
        self.cuda_available: bool | None = None  # None until torch has been asked
        self._crosscheck_enabled = False
        self._worker: Worker | None = None
        self._torch_worker: Worker | None = None
        self._delivered.connect(self._on_delivered)
        self._coalesce = QTimer(self, singleShot=True, interval=0)
        self._coalesce.timeout.connect(self._on_coalesce_timeout)
        self._crosscheck_timer = QTimer(self, singleShot=True, interval=CROSSCHECK_DELAY_MS)
        self._crosscheck_timer.timeout.connect(self._on_crosscheck_timer_timeout)

    # -- settings ------------------------------------------------------------------------
    @property
    def backend(self) -> str:
        return self._backend

    @property
    def busy(self) -> bool:
        return self._in_flight or self._pending is not None

    def set_backend(self, name: str) -> None:
        if name == self._backend:
            return
        if name == "cuda" and self.cuda_available is False:
            raise ValueError("CUDA is not available: torch.cuda.is_available() is False")
        self._backend = name
        self.backendChanged.emit(name)
        if self.latest is not None:
            self.request(self.latest.session)

    # -- requests ------------------------------------------------------------------------
    def request(self, session: Session) -> int:
        """Ask for the results of ``session``; returns its generation number."""
        self._generation += 1
        self._pending = (self._generation, session)
        if self.synchronous or (
            self._backend == "numpy" and self._predicted(session) < IMMEDIATE_BUDGET_S
        ):
            # tiny: now, so that the views repaint once, together with the edited grid
            self._run_pending_inline()
        else:
            self._coalesce.start()
            self.busyChanged.emit(True)
        return self._generation

    def _on_coalesce_timeout(self) -> None:
        if self._pending is None:
            return
        generation, session = self._pending
        if self._backend == "numpy" and self._predicted(session) < INLINE_BUDGET_S:
            self._run_pending_inline()
        elif not self._in_flight:
            self._submit_pending()
        # else: the worker picks the pending request up when it finishes the current one

    def _predicted(self, session: Session) -> float:
        rate = self._seconds_per_unit.get(session.spec.dtype, 3e-9)
        return rate * _work_units(session)

    def _learn(self, session: Session, seconds: float) -> None:
        rate = seconds / _work_units(session)
        old = self._seconds_per_unit.get(session.spec.dtype, rate)
        self._seconds_per_unit[session.spec.dtype] = 0.7 * old + 0.3 * rate

    def _run_pending_inline(self) -> None:
        generation, session = self._pending
        self._pending = None
        try:
            results, seconds = _run_compute(session, self._backend)
        except Exception as exc:
            self._fail(exc)
            return
        if self._backend == "numpy":
            self._learn(session, seconds)
        self._show(ComputeResult(generation, session, results, self._backend, seconds))

    def _submit_pending(self) -> None:
        generation, session = self._pending
        self._pending = None
        self._in_flight = True
        backend = self._backend
        if self._worker is None:
            self._worker = Worker("convviz-compute", self._delivered.emit)

        def job() -> ComputeResult:
            results, seconds = _run_compute(session, backend)
            return ComputeResult(generation, session, results, backend, seconds)

        self._worker.submit("compute", generation, job)

    # -- results -------------------------------------------------------------------------
    @Slot(object)
    def _on_delivered(self, message: tuple[str, object, object]) -> None:
        tag, token, outcome = message
        if tag == "compute":
            self._in_flight = False
            if isinstance(outcome, Exception):
                self._fail(outcome)
            else:
                if outcome.backend == "numpy":
                    self._learn(outcome.session, outcome.seconds)
                self._show(outcome)
            if self._pending is not None:
                self._on_coalesce_timeout()
            if not self.busy:
                self.busyChanged.emit(False)
        elif tag == "torch":
            if isinstance(outcome, Exception):
                self.cuda_available = False
                self.crossCheckReady.emit(CrossCheckResult(0, None, f"torch: {outcome}"))
                return
            self.cuda_available = bool(outcome)
            self._crosscheck_enabled = True
            self.torchReady.emit(self.cuda_available)
            if self.latest is not None:
                self._schedule_crosscheck()
        elif tag == "crosscheck":
            if token != self._shown:
                return  # a newer result is on screen; its own check is queued
            if isinstance(outcome, Exception):
                self.crossCheckReady.emit(
                    CrossCheckResult(token, None, f"{type(outcome).__name__}: {outcome}")
                )
            else:
                self.crossCheckReady.emit(CrossCheckResult(token, outcome))

    def _show(self, result: ComputeResult) -> None:
        if result.generation <= self._shown:
            return  # stale: something newer is already on screen
        self._shown = result.generation
        self.latest, self.error = result, None
        self.resultReady.emit(result)
        if not self.synchronous and not self.busy:
            self.busyChanged.emit(False)
        if self._crosscheck_enabled:
            self._schedule_crosscheck()

    def _schedule_crosscheck(self) -> None:
        if self.synchronous:
            self._on_crosscheck_timer_timeout()
        else:
            self._crosscheck_timer.start()  # debounced: scrubbing checks once at the end

    def _fail(self, exc: Exception) -> None:
        self.error = f"{type(exc).__name__}: {exc}"
        self.computeFailed.emit(self.error)
        if not self.synchronous and not self.busy:
            self.busyChanged.emit(False)  # the busy indicator ends with the failure too

    # -- torch in the background ---------------------------------------------------------
    def start_background(self) -> None:
        """Import torch on a worker thread; then enable cross-checks and say if CUDA works."""
        if self._torch_worker is not None:
            return
        if self.synchronous:
            try:
                outcome: object = _probe_torch()
            except Exception as exc:
                outcome = exc
            self._torch_worker = Worker("convviz-torch", self._delivered.emit)
            self._on_delivered(("torch", 0, outcome))
            return
        self._torch_worker = Worker("convviz-torch", self._delivered.emit)
        self._torch_worker.submit("torch", 0, _probe_torch)

    def _on_crosscheck_timer_timeout(self) -> None:
        result = self.latest
        if result is None or self._torch_worker is None:
            return
        self.crossCheckStarted.emit()
        s, r = result.session, result.results

        def job() -> object:
            from core.verify.crosscheck import crosscheck

            return crosscheck(s.spec, s.input, s.weight, s.bias, s.grad_output, r)

        if self.synchronous:
            try:
                outcome = job()
            except Exception as exc:
                outcome = exc
            self._on_delivered(("crosscheck", result.generation, outcome))
        else:
            self._torch_worker.submit("crosscheck", result.generation, job)

    def shutdown(self) -> None:
        """Stop the workers (they are daemons: a job in progress is simply abandoned)."""
        self._coalesce.stop()
        self._crosscheck_timer.stop()
        for worker in (self._worker, self._torch_worker):
            if worker is not None:
                worker.stop()
        self._worker = self._torch_worker = None


def _probe_torch() -> bool:
    from core.backends import cuda_available

    return cuda_available()

