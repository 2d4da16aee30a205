"""The fast path's worker threads, and where they run.

`share` runs jobs at once: the first on the calling thread, the others on helper threads.
The caller works rather than waits: it is already running, while a helper must be woken
and, done, wake it again.

Placement. On the 2-vCPU VMs the project is measured on, the kernel often puts a woken
helper on the vCPU of the thread that woke it even though the other vCPU is idle, and
moves it only at the next scheduler tick (4 ms) or not at all: the two halves of a step
then run one after the other. Traced with ``perf sched`` (sched_switch/sched_wakeup) on the
ConvTranspose2d (8,64,28,28) step, a slow process ran both workers on vCPU 0 with vCPU 1
idle for the whole step, each waiting 4 ms in the run queue; a fast one, one per vCPU.
Which of the two a process got stuck in decided whether its step took ~7 or ~13 ms. So,
where the process may run on several CPUs (Linux), `share` keeps the caller on the CPU it
is on and lets each helper wake only on the others, until the caller's own job is done;
then every mask is put back as it was, so that a helper whose CPU another process holds can
still move.
"""

from __future__ import annotations

import ctypes
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import Any


def _sched_getcpu() -> Callable[[], int] | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).sched_getcpu
    except (OSError, AttributeError):
        return None
    fn.restype = ctypes.c_int
    return fn


_GETCPU = _sched_getcpu()


class Helper:
    """One helper thread with its own queue of jobs (so that its placement is known)."""

    def __init__(self, name: str) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.tid: int | None = None
        started = threading.Event()
        self.thread = threading.Thread(target=self._loop, args=(started,), name=name,
                                       daemon=True)
        self.thread.start()
        started.wait()

    def _loop(self, started: threading.Event) -> None:
        self.tid = threading.get_native_id()
        started.set()
        while True:
            future, function, job = self.jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function(job))
            except BaseException as error:  # handed to the caller of `share`
                future.set_exception(error)

    def submit(self, function: Callable, job: Any) -> Future:
        future: Future = Future()
        self.jobs.put((future, function, job))
        return future


_HELPERS: list[Helper] = []
_LOCK = threading.Lock()
if hasattr(os, "register_at_fork"):  # a forked child has none of the parent's threads
    os.register_at_fork(after_in_child=_HELPERS.clear)


def helpers(count: int) -> list[Helper]:
    """``count`` helper threads (made on first use; more when asked for more)."""
    with _LOCK:
        while len(_HELPERS) < count:
            _HELPERS.append(Helper(f"core.conv-{len(_HELPERS) + 1}"))
        return _HELPERS[:count]


def share(function: Callable, jobs: list) -> list:
    """``[function(job) for job in jobs]``, the first on this thread and the others on
    helper threads at the same time, each on another CPU than this thread where that can
    be asked for (the module's docstring says why). Every job has ended when this returns,
    also when one raised."""
    if len(jobs) <= 1:
        return [function(job) for job in jobs]
    team = helpers(len(jobs) - 1)
    placed = _place(team)
    futures: list[Future] = []
    try:
        futures = [helper.submit(function, job) for helper, job in zip(team, jobs[1:], strict=True)]
        first = function(jobs[0])
    finally:
        _restore(placed)  # before waiting: a helper behind another process may move
        wait(futures)
    return [first, *(f.result() for f in futures)]


def _place(team: list[Helper]) -> tuple | None:
    """Keep this thread on its CPU and the helpers off it; return what to restore."""
    if _GETCPU is None:
        return None
    mine = os.sched_getaffinity(0)  # this thread's mask (Linux: 0 is the calling thread)
    cpu = _GETCPU()
    others = mine - {cpu}
    if cpu not in mine or not others:
        return None
    placed = (mine, team)
    try:
        for helper in team:
            os.sched_setaffinity(helper.tid, others)
        os.sched_setaffinity(0, {cpu})
    except OSError:  # (a cpuset changed under us): leave the placement to the kernel
        _restore(placed)
        return None
    return placed


def _restore(placed: tuple | None) -> None:
    if placed is None:
        return
    mine, team = placed
    for tid in [0, *(helper.tid for helper in team)]:
        try:
            os.sched_setaffinity(tid, mine)
        except OSError:
            pass
