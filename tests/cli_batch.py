"""Command lines that end before a window opens, run by one child process instead of one each.

A child pays Python's start-up and main.py's imports (numpy, core: about 0.4 s of CPU) once
for all its cases. Each case is ``main.main(argv)`` in its own working folder with its own
stdout and stderr, as ``python main.py ARGS`` runs it: SystemExit gives the exit status, an
uncaught exception prints its traceback and gives 1. The child also notes which of PySide6,
pyqtgraph and of gui beyond its Qt-free command-line glue (gui.cli) are loaded once each case
has run; a module once imported stays, so a case
that loads Qt shows in the cases after it too (an "imports no Qt" check holds for each case
when it holds for all).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Python for what of Qt and of the window is loaded: of gui, only the Qt-free command line
#: glue (gui.cli) may be.
QT_OR_WINDOW = ("sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph') "
                "or m.startswith('gui.') and not m.startswith('gui.cli'))")

_CHILD = r"""
import contextlib, io, json, os, sys, traceback
cases = json.loads(sys.stdin.read())
sys.path.insert(0, os.getcwd())
import main
report = []
for argv, cwd in cases:
    os.chdir(cwd)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main.main(argv)
        except SystemExit as exc:
            code = exc.code
        except BaseException:
            traceback.print_exc()
            code = 1
    if code is None:
        code = 0
    elif not isinstance(code, int):
        err.write(f"{code}\n")
        code = 1
    loaded = QT_OR_WINDOW
    report.append([code, out.getvalue(), err.getvalue(), loaded])
sys.stdout.write(json.dumps(report))
"""


class Run(subprocess.CompletedProcess):
    """One case's exit status, stdout and stderr; ``loaded``: its Qt and window modules."""

    def __init__(self, args: list[str], code: int, stdout: str, stderr: str,
                 loaded: list[str]) -> None:
        super().__init__(args, code, stdout, stderr)
        self.loaded = loaded


def main_runs(cases: list[tuple[list[str], Path]], env: dict[str, str] | None = None,
              timeout: float = 120) -> list[Run]:
    """``main.main(argv)`` for each ``(argv, working folder)``, in one child process."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen") if env is None else env
    payload = json.dumps([[list(map(str, argv)), str(cwd)] for argv, cwd in cases])
    done = subprocess.run([sys.executable, "-c", _CHILD.replace("QT_OR_WINDOW", QT_OR_WINDOW)],
                          input=payload, capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=ROOT)
    assert done.returncode == 0, f"the child ended early ({done.returncode}): {done.stderr}"
    return [Run(list(argv), *row) for (argv, _), row in zip(cases, json.loads(done.stdout),
                                                           strict=True)]
