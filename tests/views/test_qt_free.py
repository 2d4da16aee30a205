"""The view logic tested in tests/views imports without Qt, pyqtgraph or torch: it can be
tested, and reused, without a QApplication (gui/qt_app.py makes that)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VIEW_LOGIC = ("gui.diagram", "gui.entry_args", "gui.equation", "gui.formula", "gui.fills",
              "gui.im2col_layout", "gui.padded_frame", "gui.im2col_transposed", "gui.provenance")


def test_view_logic_imports_without_qt_or_torch():
    code = (f"import sys\nfor m in {VIEW_LOGIC!r}: __import__(m)\n"
            "print(sorted(m for m in ('PySide6', 'shiboken6', 'pyqtgraph', 'torch') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"imported with the view logic: {out.stdout.strip()}"
