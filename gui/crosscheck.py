"""CrossChecker: each result on screen, checked against torch's own ``nn.Conv2d``.

Off until torch has loaded (`gui.torch_probe`); then every shown result (the engine's
``resultReady``) is checked on a worker thread, debounced by `CROSSCHECK_DELAY_MS` so that
scrubbing checks once at the end. A check of a result no longer on screen is dropped (the
newer one's is queued). Every wait ends: a check that fails, or a torch that could not be
loaded, arrives as a `CrossCheckResult` with the reason.
``synchronous=True`` checks inline and starts no thread (tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from .compute import ComputeResult
from .torch_probe import TorchStatus
from .worker import Worker, run_inline

if TYPE_CHECKING:
    from core.verify.crosscheck import CrossCheck

CROSSCHECK_DELAY_MS = 150


@dataclass(frozen=True)
class CrossCheckResult:
    """The check of the result of ``generation`` (0: torch did not load), or why it failed."""

    generation: int
    check: CrossCheck | None  # None when it failed
    error: str = ""


class CrossChecker(QObject):
    """See the module docstring."""

    crossCheckStarted = Signal()
    crossCheckReady = Signal(CrossCheckResult)
    _delivered = Signal(CrossCheckResult)  # from the worker thread

    def __init__(self, synchronous: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self._enabled = False  # torch has loaded
        self._latest: ComputeResult | None = None  # the result on screen
        self._worker: Worker | None = None
        self._delivered.connect(self._on_delivered)
        self._timer = QTimer(self, singleShot=True, interval=CROSSCHECK_DELAY_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    @Slot(ComputeResult)
    def set_result(self, result: ComputeResult) -> None:
        """A new result is on screen: check it once torch is there."""
        self._latest = result
        if self._enabled:
            self._schedule()

    @Slot(TorchStatus)
    def set_torch_status(self, status: TorchStatus) -> None:
        if not status.loaded:
            self.crossCheckReady.emit(CrossCheckResult(0, None, f"torch: {status.error}"))
            return
        self._enabled = True
        if self._latest is not None:
            self._schedule()

    def _schedule(self) -> None:
        if self.synchronous:
            self._on_timer_timeout()
        else:
            self._timer.start()  # debounced: scrubbing checks once at the end

    def _on_timer_timeout(self) -> None:
        result = self._latest
        if result is None:
            return
        self.crossCheckStarted.emit()
        s, r = result.session, result.results

        def job() -> CrossCheck:
            from core.verify.crosscheck import crosscheck

            return crosscheck(s.spec, s.input, s.weight, s.bias, s.grad_output, r)

        if self.synchronous:
            self._on_delivered(_outcome(result.generation, run_inline(job)))
            return
        if self._worker is None:
            self._worker = Worker("convviz-crosscheck")
        self._worker.submit(job, partial(self._report, result.generation))

    def _report(self, generation: int, outcome: object) -> None:
        """On the worker thread: the check, or why it failed, to the UI thread."""
        self._delivered.emit(_outcome(generation, outcome))

    @Slot(CrossCheckResult)
    def _on_delivered(self, outcome: CrossCheckResult) -> None:
        if self._latest is None or outcome.generation != self._latest.generation:
            return  # a newer result is on screen; its own check is queued
        self.crossCheckReady.emit(outcome)

    def shutdown(self) -> None:
        """Stop the worker (a daemon: a check in progress is simply abandoned)."""
        self._timer.stop()
        if self._worker is not None:
            self._worker.stop()
        self._worker = None


def _outcome(generation: int, outcome: object) -> CrossCheckResult:
    if isinstance(outcome, Exception):
        return CrossCheckResult(generation, None, f"{type(outcome).__name__}: {outcome}")
    return CrossCheckResult(generation, outcome)  # type: ignore[arg-type]
