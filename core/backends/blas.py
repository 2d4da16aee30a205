"""Thread-local control of the threads of numpy's BLAS, where numpy uses OpenBLAS.

The numpy pipeline runs a batch's chunks on several worker threads, one BLAS thread each,
rather than one chunk at a time on a multithreaded BLAS: the copies around the matrix
products (unfold, fold, padding) then run in parallel too, and no BLAS thread waits for
another. That needs OpenBLAS's ``openblas_set_num_threads_local`` (0.3.27 and later),
which numpy's wheels bundle: it is looked up by ctypes in the library numpy has already
loaded. Where it is missing — another BLAS, another platform — `available` is False and
the pipeline keeps to one chunk at a time.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np  # noqa: F401  (numpy loads its BLAS, which is looked up below)


def _find_set_local():
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({ln.split()[-1] for ln in f if "openblas" in ln.lower() and "/" in ln})
    except OSError:
        return None
    for path in paths:
        try:
            fn = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int]
        fn.restype = ctypes.c_int
        return fn
    return None


_SET_LOCAL = _find_set_local()


def available() -> bool:
    """Whether `single_threaded` can limit numpy's BLAS in one thread."""
    return _SET_LOCAL is not None


@contextmanager
def single_threaded() -> Iterator[None]:
    """Inside the block, BLAS calls made by this thread use one thread (other threads keep
    theirs); a no-op where that cannot be controlled."""
    if _SET_LOCAL is None:
        yield
        return
    previous = _SET_LOCAL(1)
    try:
        yield
    finally:
        _SET_LOCAL(previous)
