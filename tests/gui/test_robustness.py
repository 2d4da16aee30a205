"""Errors never reach the user as tracebacks; the PySide refcount shield holds."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from gui import _compat, errors


def _boom() -> tuple:
    try:
        raise RuntimeError("something broke")
    except RuntimeError:
        return sys.exc_info()


def test_report_without_a_window_is_one_line_and_a_log(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(errors, "_log", errors.logging.getLogger("convviz-test-a"))
    monkeypatch.setitem(errors._state, "interactive", False)
    errors.report(*_boom())
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError: something broke" in err
    assert "Traceback" not in err
    log = (tmp_path / "convviz" / "convviz.log").read_text()
    assert "Traceback" in log and "something broke" in log


def test_report_in_the_app_shows_a_dialog_not_a_traceback(qapp, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(errors, "_log", errors.logging.getLogger("convviz-test-b"))
    monkeypatch.setitem(errors._state, "interactive", True)
    shown = []
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "critical", lambda *args: shown.append(args))
    errors.report(*_boom())
    assert len(shown) == 1
    text = shown[0][2]
    assert "RuntimeError: something broke" in text and "Traceback" not in text
    assert "convviz.log" in text


def test_install_routes_the_hooks(monkeypatch):
    import threading

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setitem(errors._state, "interactive", True)
    errors.install(interactive=False)
    assert sys.excepthook is errors._excepthook
    assert threading.excepthook is errors._thread_excepthook


class _Emitter(QObject):
    ping = Signal(object)


def test_many_signals_do_not_exhaust_true_or_none():
    # PySide6 6.12 drops a reference to True per emit() and to None per invalid QVariant;
    # without gui._compat the interpreter aborts after a few hundred emissions.
    emitter = _Emitter()
    got = []
    emitter.ping.connect(got.append)
    for i in range(20_000):
        emitter.ping.emit(i)
        emitter.property("unset")
    assert len(got) == 20_000
    if _compat._applied:
        assert sys.getrefcount(True) > 1_000_000 and sys.getrefcount(None) > 1_000_000
