"""Live results: `core.conv.compute` on every change, off the UI thread when it is slow.

Each request gets a generation number. Tiny scenes (under `IMMEDIATE_BUDGET_S`) compute
at once; small ones run inline on the next turn of the event loop (edits arriving together
coalesce); a request predicted to take longer than `INLINE_BUDGET_S`, or one on a torch
backend, runs on a worker thread. Only the newest pending request is kept, and a result
older than the one on screen is dropped. Loading torch (`gui.torch_probe`) and checking
each shown result against it (`gui.crosscheck`) are jobs of their own.
``synchronous=True`` runs everything inline and starts no thread (tests).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from core import budget
from core.conv import ConvResults, compute
from core.session import Session

from .torch_probe import TorchStatus
from .worker import Worker

INLINE_BUDGET_S = 0.025
IMMEDIATE_BUDGET_S = 0.002
MEMORY_WEIGHT = 4.0  # work units per element allocated or copied (a multiply-add is 1)


@dataclass(frozen=True, eq=False)
class ComputeResult:
    """One computed session: what the result views draw."""

    generation: int
    session: Session
    results: ConvResults
    backend: str
    seconds: float


def _work_units(session: Session) -> float:
    """Rough cost of one forward + backward: the multiply-adds (taps × output positions ×
    (outputs per group + 3)) plus every element the pipeline allocates or copies (the
    tensors, the padded input and its gradient, the im2col matrices: `core.budget`'s
    estimate) at `MEMORY_WEIGHT` each — so a huge input with a tiny output (a large stride,
    wide padding) is not mistaken for a small job."""
    spec = session.spec
    n = 1 if spec.batch is None else spec.batch
    factor = 4.0 if spec.dtype.startswith("complex") else 1.0
    positions, taps = math.prod(spec.output_size), math.prod(spec.kernel_size)
    macs = n * positions * spec.in_channels * taps * (spec.out_per_group + 3)
    elements = budget.estimate_bytes(spec) / np.dtype(spec.dtype).itemsize
    return factor * (macs + MEMORY_WEIGHT * elements) + 1.0


def _run_compute(session: Session, backend: str) -> tuple[ConvResults, float]:
    s = session
    start = time.perf_counter()
    results = compute(s.spec, s.input, s.weight, s.bias, s.grad_output, backend)
    return results, time.perf_counter() - start


class ComputeEngine(QObject):
    """Turns sessions into results; see the module docstring."""

    resultReady = Signal(ComputeResult)
    computeFailed = Signal(str)
    busyChanged = Signal(bool)
    backendChanged = Signal(str)
    _computed = Signal(ComputeResult)  # from the worker thread
    _failed = Signal(str)  # from the worker thread: why its job failed

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
        self._worker: Worker | None = None
        self._computed.connect(self._on_worker_computed)
        self._failed.connect(self._on_worker_failed)
        self._coalesce = QTimer(self, singleShot=True, interval=0)
        self._coalesce.timeout.connect(self._on_coalesce_timeout)

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

    @Slot(TorchStatus)
    def set_torch_status(self, status: TorchStatus) -> None:
        """What loading torch found (`gui.torch_probe`): whether 'cuda' may be chosen."""
        self.cuda_available = status.cuda_available

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
            self._fail(_message(exc))
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
            self._worker = Worker("convviz-compute")

        def job() -> ComputeResult:
            results, seconds = _run_compute(session, backend)
            return ComputeResult(generation, session, results, backend, seconds)

        self._worker.submit(job, self._report)

    def _report(self, outcome: object) -> None:
        """On the worker thread: the job's result, or why it failed, to the UI thread."""
        if isinstance(outcome, ComputeResult):
            self._computed.emit(outcome)
        else:
            self._failed.emit(_message(outcome))

    # -- results -------------------------------------------------------------------------
    @Slot(ComputeResult)
    def _on_worker_computed(self, result: ComputeResult) -> None:
        self._in_flight = False
        if result.backend == "numpy":
            self._learn(result.session, result.seconds)
        self._show(result)
        self._worker_done()

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self._in_flight = False
        self._fail(message)
        self._worker_done()

    def _worker_done(self) -> None:
        if self._pending is not None:
            self._on_coalesce_timeout()
        if not self.busy:
            self.busyChanged.emit(False)

    def _show(self, result: ComputeResult) -> None:
        if result.generation <= self._shown:
            return  # stale: something newer is already on screen
        self._shown = result.generation
        self.latest, self.error = result, None
        self.resultReady.emit(result)
        if not self.synchronous and not self.busy:
            self.busyChanged.emit(False)

    def _fail(self, message: str) -> None:
        self.error = message
        self.computeFailed.emit(message)
        if not self.synchronous and not self.busy:
            self.busyChanged.emit(False)  # the busy indicator ends with the failure too

    def shutdown(self) -> None:
        """Stop the worker (a daemon: a job in progress is simply abandoned)."""
        self._coalesce.stop()
        if self._worker is not None:
            self._worker.stop()
        self._worker = None


def _message(exc: object) -> str:
    """One line for the status bar: the exception's type and text."""
    return f"{type(exc).__name__}: {exc}"
