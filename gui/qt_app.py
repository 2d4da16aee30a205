"""The one place a QApplication is made: the bindings' work-arounds are applied first.

`import gui` loads no Qt, so the view logic that needs none (provenance, equation, fills,
im2col layout, the command line) imports and runs without it.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from . import _compat


def application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, or a new one; PySide6's reference leaks shielded first."""
    _compat.apply()
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv else (sys.argv[:1] or ["convviz"]))
    return app
