"""TorchProbe: loads torch once the window is up and says whether CUDA is available.

Importing torch takes seconds, so it runs on a worker thread after the first paint; what
it found arrives as one `TorchStatus` through ``probed`` — the engine learns whether
'cuda' may be chosen, the cross-check starts (`gui.crosscheck`), the backend menu
enables CUDA. A torch that cannot be imported ends the wait too, with the reason.
``synchronous=True`` loads it inline and starts no thread (tests).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot

from .worker import Worker, run_inline


@dataclass(frozen=True)
class TorchStatus:
    """What loading torch found: whether CUDA works, or why torch could not be loaded."""

    cuda_available: bool
    error: str = ""  # not empty: torch could not be imported (and CUDA counts as missing)

    @property
    def loaded(self) -> bool:
        return not self.error


class TorchProbe(QObject):
    """See the module docstring."""

    probed = Signal(TorchStatus)
    _delivered = Signal(TorchStatus)  # from the worker thread

    def __init__(self, synchronous: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self.status: TorchStatus | None = None  # None until torch has been asked
        self._started = False
        self._worker: Worker | None = None
        self._delivered.connect(self._on_delivered)

    @property
    def cuda_available(self) -> bool | None:
        """None until torch has been asked; False too when torch could not be loaded."""
        return None if self.status is None else self.status.cuda_available

    def start(self) -> None:
        """Load torch (once): on a worker thread, or inline when synchronous."""
        if self._started:
            return
        self._started = True
        if self.synchronous:
            self._on_delivered(_status(run_inline(_probe_torch)))
            return
        self._worker = Worker("convviz-torch")
        self._worker.submit(_probe_torch, self._report)
        self._worker.stop()  # one job: the thread ends after it

    def _report(self, outcome: object) -> None:
        """On the worker thread: what it found, to the UI thread."""
        self._delivered.emit(_status(outcome))

    @Slot(TorchStatus)
    def _on_delivered(self, status: TorchStatus) -> None:
        self.status = status
        self.probed.emit(status)

    def shutdown(self) -> None:
        """Forget the worker (a daemon: an import in progress is simply abandoned)."""
        self._worker = None


def _probe_torch() -> bool:
    from core.backends import cuda_available

    return cuda_available()


def _status(outcome: object) -> TorchStatus:
    if isinstance(outcome, Exception):
        return TorchStatus(False, str(outcome) or type(outcome).__name__)
    return TorchStatus(bool(outcome))
