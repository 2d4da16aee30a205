"""Headless export: ``python main.py [SESSION] --export DIR`` without a window.

SESSION is what the app takes too: a session ``.npz``, a preset ``.json`` or a preset name.

`export_headless` does the work and raises; `cli_export` is what ``main.py`` calls: it
turns every failure into one line on stderr and an exit status.
"""

from __future__ import annotations

import os
from typing import TextIO

from core.io.export import export_npy
from core.io.presets import default_session
from core.session import Session, compute_session

from .session_arg import open_session_arg


def export_headless(
    session_path: str | os.PathLike[str] | None,
    out_dir: str | os.PathLike[str],
    backend: str = "numpy",
    session: Session | None = None,
) -> None:
    """Open a session, preset file or preset name (the default scene when None), compute it
    and export it to ``out_dir``. A ``session`` given (e.g. with imported data) is used as it
    is instead.

    Writes ``input.npy``, ``weight.npy``, ``bias.npy`` (with a bias), ``grad_output.npy``,
    ``output.npy``, ``grad_input.npy``, ``grad_weight.npy``, ``grad_bias.npy`` (with a bias)
    and ``spec.json`` (see `core.io.export.export_npy`); ``out_dir`` is created when missing.

    Raises
    ------
    ValueError
        When the session cannot be opened (`gui.cli.session_arg.open_session_arg`).
    WriteError
        When a file cannot be written.
    ValueError
        For an unknown backend.
    """
    if session is None:
        session = (default_session() if session_path is None
                   else open_session_arg(str(session_path)))
    export_npy(out_dir, session, compute_session(session, backend))


def cli_export(
    session_path: str | os.PathLike[str] | None,
    out_dir: str | os.PathLike[str],
    stderr: TextIO,
    backend: str = "numpy",
    session: Session | None = None,
) -> int:
    """`export_headless` for the command line: 0 on success, else 1 after one line on stderr.

    The line reads ``convviz: <what went wrong>``; no traceback is printed.
    """
    try:
        export_headless(session_path, out_dir, backend, session)
    except (ValueError, OSError) as e:
        message = str(e)
    except Exception as e:  # an unexpected failure still gets one line, never a traceback
        message = f"export failed: {type(e).__name__}: {e}"
    else:
        return 0
    stderr.write("convviz: " + " ".join(message.split()) + "\n")
    stderr.flush()
    return 1
