"""Errors never reach the user as a traceback: they go to a log file and a short dialog."""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

_log = logging.getLogger("convviz")
_state = {"showing": False, "interactive": True}


def log_path() -> Path:
    """Where tracebacks are written: ``$XDG_CACHE_HOME/convviz/convviz.log``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "convviz" / "convviz.log"


def _ensure_handler() -> Path | None:
    path = log_path()
    if not _log.handlers:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(path, encoding="utf-8")
        except OSError:
            return None
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        _log.addHandler(handler)
        _log.setLevel(logging.INFO)
    return path


def report(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """Log the traceback; tell the user in one line (a dialog, or stderr without a window)."""
    path = _ensure_handler()
    _log.error("".join(traceback.format_exception(exc_type, exc, tb)))
    where = f" Details were written to {path}." if path else ""
    summary = f"{exc_type.__name__}: {exc}"
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance()
    if not _state["interactive"] or app is None:
        sys.stderr.write(f"convviz: unexpected error: {summary}{where}\n")
        return
    if _state["showing"]:
        return
    _state["showing"] = True
    try:
        QMessageBox.critical(
            None, "ConvViz — something went wrong",
            f"Something went wrong, but your work is still open.\n\n{summary}\n\n"
            f"You can undo the last step with Ctrl+Z.{where}",
        )
    finally:
        _state["showing"] = False


def _excepthook(exc_type, exc, tb) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        from PySide6.QtWidgets import QApplication

        if QApplication.instance() is not None:
            QApplication.instance().quit()
        return
    report(exc_type, exc, tb)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    path = _ensure_handler()
    _log.error("in thread %s:\n%s", getattr(args.thread, "name", "?"),
               "".join(traceback.format_exception(args.exc_type, args.exc_value,
                                                  args.exc_traceback)))
    sys.stderr.write(f"convviz: error in a background thread: {args.exc_value}"
                     f"{f' (see {path})' if path else ''}\n")


def install(interactive: bool = True) -> None:
    """Route uncaught exceptions (UI thread and workers) to `report`."""
    _state["interactive"] = interactive
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
