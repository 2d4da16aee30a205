"""Work-arounds for bugs in the pinned Qt bindings, applied once when `gui` is imported.

PySide6 6.12 returns a *borrowed* ``True`` from ``SignalInstance.emit()``, and a borrowed
``None`` wherever an invalid QVariant becomes Python (``QAction.data()`` without data,
``QObject.property()`` of an unset name, ``QComboBox.itemData()``…): each call takes one
reference away from those singletons. On Python < 3.12 they are ordinary objects, so after a few
hundred signal emissions (pyqtgraph emits on every mouse move) their count reaches zero
and the interpreter aborts ("Fatal Python error: bool_dealloc"). Python 3.12+ makes them
immortal and is unaffected.

`apply` detects the bug (one emission, one call) and, only if present, gives the affected
singletons a large reserve of references, which no session can use up. A fixed PySide
makes this a no-op.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

RESERVE = 1 << 40
_applied: list[str] = []


def _refcount_drop(call, obj) -> int:
    before = sys.getrefcount(obj)
    call()
    return before - sys.getrefcount(obj)


class _Probe(QObject):
    ping = Signal()


_probe = _Probe()


def _emit_once() -> None:
    _probe.ping.emit()


def _unset_property() -> None:
    _probe.property("convviz-unset")


def _add_reserve(obj: object) -> None:
    # ob_refcnt is the first field of every object in release builds of CPython < 3.12
    ctypes.c_ssize_t.from_address(id(obj)).value += RESERVE


def apply() -> list[str]:
    """Shield True/False/None when the bindings leak references to them; returns what was."""
    if _applied or sys.version_info >= (3, 12) or hasattr(sys, "gettotalrefcount"):
        return list(_applied)
    probes = (("emit() -> True", _emit_once, (True, False)),
              ("invalid QVariant -> None", _unset_property, (None,)))
    for name, call, objects in probes:
        try:
            dropped = _refcount_drop(call, objects[0])
        except Exception:  # a probe that cannot run here says nothing about the bug
            continue
        if dropped > 0:
            for obj in objects:
                _add_reserve(obj)
            _applied.append(name)
    return list(_applied)
