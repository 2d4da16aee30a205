"""The wall between layers: core imports neither Qt nor torch; gui never imports torch at start."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    code = f"{statement}; import sys; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_core_loads_no_qt_and_no_torch():
    loaded = _modules_after("import core")
    assert not {"torch", "PySide6", "pyqtgraph"} & loaded
