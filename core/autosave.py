"""Autosave, the part without Qt: where the file lives, and writing, reading, clearing it.

The app saves the session here a few seconds after each change and clears it on a clean
exit; a file found at start means the last run did not end cleanly, so the app offers it.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from .atomic import make_folder
from .session import Session
from .session_io import SessionError, load_session, save_session

log = logging.getLogger(__name__)
AUTOSAVE_NAME = "autosave.npz"


def data_dir() -> Path:
    """The user's data folder for ConvViz, by the platform's convention.

    Linux and other Unix: ``$XDG_DATA_HOME/convviz`` (when set to an absolute path), else
    ``~/.local/share/convviz``. macOS: ``~/Library/Application Support/ConvViz``. Windows:
    ``%LOCALAPPDATA%\\ConvViz``.
    """
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "ConvViz"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "ConvViz"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "convviz"


def autosave_path() -> Path:
    """Where the autosaved session lives (the folder may not exist yet)."""
    return data_dir() / AUTOSAVE_NAME


def write_autosave(session: Session) -> Path:
    """Save ``session`` to `autosave_path`, atomically, creating the folder when needed.

    Raises
    ------
    WriteError
        When it cannot be written (the app shows this in the status bar and carries on).
    """
    path = autosave_path()
    make_folder(path.parent)
    save_session(path, session)
    return path


def read_autosave() -> Session | None:
    """The autosaved session, or None when there is none or it cannot be read.

    An unreadable autosave (a crash while the disk was full, a newer format) is logged
    and left in place for the user to inspect; it never stops the app from starting.
    """
    path = autosave_path()
    if not path.is_file():
        return None
    try:
        return load_session(path)
    except SessionError as e:
        log.warning("ignoring the autosave: %s", e)
        return None


def clear_autosave() -> None:
    """Remove the autosaved session (on a clean exit, or when the user declines it)."""
    try:
        autosave_path().unlink(missing_ok=True)
    except OSError as e:
        log.warning("cannot remove the autosave %s: %s", autosave_path(), e.strerror or e)
