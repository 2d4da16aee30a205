"""The peak a call allocates, as `core.budget` estimates it: with every worker's scratch
alive at once, whatever the scheduler does."""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from unittest import mock

from core.backends import numpy_fast, numpy_volume


@contextmanager
def workers_together() -> Iterator[None]:
    """Each worker of a call, once its first chunk is done (its scratch made, and kept
    until its run ends), waits for the others: their scratch is then alive at once, as the
    estimate assumes. Otherwise the measured peak depends on how the threads happen to be
    scheduled: a worker of a fast call can finish before the other one starts (a CI run
    measured a Conv1d's grad_weight at half its usual peak that way)."""
    lock = threading.Lock()

    def waiting(wide):
        def together(pipe, *args):
            wide(pipe, *args)
            with lock:
                if not hasattr(pipe, "waited"):
                    pipe.waited = set()
                    jobs = len(pipe.parts)
                    if jobs == 1 and numpy_fast.split_bands(pipe):
                        jobs = len(pipe.bands)
                    pipe.start = threading.Barrier(min(numpy_fast.THREADS, jobs), timeout=30)
                first = threading.get_ident() not in pipe.waited
                pipe.waited.add(threading.get_ident())
            if first:
                pipe.start.wait()

        return together

    with ExitStack() as stack:
        for pipeline in (numpy_fast.FastPipeline, numpy_volume.VolumePipeline):
            wide = pipeline.__dict__["chunk_wide"]
            stack.enter_context(mock.patch.object(pipeline, "chunk_wide", waiting(wide)))
        yield


def peak_of(call) -> int:
    """Peak bytes traced during ``call()``, after a warm-up call (pools and caches are not
    the layer's), with the workers' scratch alive at once."""
    call()
    with workers_together():
        tracemalloc.start()
        try:
            call()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
