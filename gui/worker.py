"""A background thread that runs jobs one by one and reports each outcome.

Used by the compute engine, the torch probe, the cross-check and the autosaver; each hands
its own report callable (a Qt signal's ``emit``: queued to the UI thread) with each job.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable


class Worker:
    """A daemon thread running submitted jobs in order.

    Daemon, and not a QThread, so that a long job (importing torch) never holds up exit.
    A job that raises reports its exception instead of a value.
    """

    def __init__(self, name: str) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], object], report: Callable[[object], None]) -> None:
        """Run ``job`` after those submitted before it; then ``report(value or exception)``
        on this worker's thread."""
        self._jobs.put((job, report))

    def stop(self) -> None:
        self._jobs.put(None)

    def flush(self, timeout: float) -> bool:
        """Wait until every job submitted so far has run (False when ``timeout`` s passed)."""
        done = threading.Event()
        self._jobs.put((done.set, _ignore))
        return done.wait(timeout)

    def _loop(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, report = item
            outcome = run_inline(job)  # an exception is reported to the UI: one line
            try:
                report(outcome)
            except RuntimeError:  # the receiver is gone (window closed): nobody to tell
                return


def run_inline(job: Callable[[], object]) -> object:
    """``job`` on this thread, as a `Worker` would run it: its value, or its exception."""
    try:
        return job()
    except Exception as exc:
        return exc


def _ignore(_outcome: object) -> None:
    pass
