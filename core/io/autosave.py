"""Autosave, the part without Qt: one rescue file per running instance, and finding the rescues
that instances which did not close normally left behind.

Each running instance owns ``autosave-<token>.npz`` in `autosave_dir` (the token is the
process id plus a random start token) and holds an exclusive lock on
``autosave-<token>.lock`` while it runs (``flock``; ``msvcrt.locking`` on Windows). The
operating system drops the lock when the process ends, however it ends, so a lock that can
be taken means its owner is gone — whatever process now has its id. Two instances never
write, offer or delete each other's file: `find_rescues` offers only autosaves whose lock is
free, and claims each one (holds its lock) until it is restored, discarded or released.
A file from before per-instance autosaves (``autosave.npz`` in `data_dir`) has no owner and
is offered the same way.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..session import Session
from .atomic import make_folder
from .session_io import SessionError, load_session, save_session

log = logging.getLogger(__name__)
AUTOSAVE_NAME = "autosave.npz"  # the single file of older versions
PREFIX = "autosave-"


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


def autosave_dir() -> Path:
    """The folder of the instances' autosaves (it may not exist yet)."""
    return data_dir() / "autosaves"


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding ``path``'s exclusive lock, or None when another holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _unlink(path: Path | None) -> None:
    if path is None:
        return
    try:
        path.unlink(missing_ok=True)
    except OSError as e:
        log.warning("cannot remove %s: %s", path, e.strerror or e)


class AutosaveSlot:
    """One running instance's autosave file and the lock that says the instance is alive.

    Parameters
    ----------
    folder : Path, optional
        Where the file goes (`autosave_dir` by default).
    token : str, optional
        The instance's name in the file names (process id + a random token by default).
    """

    def __init__(self, folder: Path | None = None, token: str | None = None) -> None:
        self.folder = Path(folder) if folder is not None else autosave_dir()
        self.token = token or f"{os.getpid()}-{secrets.token_hex(4)}"
        self.path = self.folder / f"{PREFIX}{self.token}.npz"
        self.lock_path = self.folder / f"{PREFIX}{self.token}.lock"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take this instance's lock (creating the folder). Raises WriteError or OSError."""
        if self._fd is not None:
            return
        make_folder(self.folder)
        fd = _try_lock(self.lock_path)
        if fd is None:
            raise OSError(f"the autosave lock {self.lock_path} is held by another instance")
        os.write(fd, f"pid {os.getpid()}\n".encode())
        self._fd = fd

    def write(self, session: Session) -> Path:
        """Save ``session`` as this instance's autosave, atomically. Raises WriteError."""
        self.acquire()
        save_session(self.path, session)
        return self.path

    def clear(self) -> None:
        """Remove this instance's autosave (keeping the lock: the instance runs on)."""
        _unlink(self.path)

    def release(self, keep_file: bool = False) -> None:
        """A clean exit: remove the autosave (unless ``keep_file``) and the lock."""
        if not keep_file:
            _unlink(self.path)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            _unlink(self.lock_path)


@dataclass(eq=False)
class Rescue:
    """An autosave whose instance is gone, claimed (its lock held) by the one that found it."""

    path: Path
    lock_path: Path | None
    mtime: float
    _fd: int | None = field(default=None, repr=False)

    @property
    def owner(self) -> str:
        """The process id the file names ('' for an older version's file)."""
        stem = self.path.stem
        return stem[len(PREFIX):].split("-")[0] if stem.startswith(PREFIX) else ""

    def read(self) -> Session | None:
        """The session, or None when it cannot be read (logged; the file is left in place)."""
        try:
            return load_session(self.path)
        except SessionError as e:
            log.warning("ignoring the autosave %s: %s", self.path, e)
            return None

    def release(self) -> None:
        """Give the claim up and leave the files (offered again next time)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def discard(self) -> None:
        """Remove the rescue (its owner is gone; the user declined it or restored it)."""
        _unlink(self.path)
        self.release()
        _unlink(self.lock_path)


def find_rescues(folder: Path | None = None) -> list[Rescue]:
    """Autosaves whose instance is gone, newest first, each claimed until it is discarded or
    released; running instances' files are left alone. Stale locks without a file go."""
    folder = Path(folder) if folder is not None else autosave_dir()
    found: list[Rescue] = []
    legacy = folder.parent / AUTOSAVE_NAME
    if legacy.is_file():
        found.append(Rescue(legacy, None, legacy.stat().st_mtime))
    if not folder.is_dir():
        return found
    for lock in folder.glob(f"{PREFIX}*.lock"):
        path = lock.with_suffix(".npz")
        try:
            fd = _try_lock(lock)
        except OSError as e:
            log.warning("cannot check the autosave lock %s: %s", lock, e.strerror or e)
            continue
        if fd is None:
            continue  # its instance is running
        if not path.is_file():
            os.close(fd)
            _unlink(lock)  # an instance that ended before it wrote anything
            continue
        found.append(Rescue(path, lock, path.stat().st_mtime, fd))
    for path in folder.glob(f"{PREFIX}*.npz"):
        if not path.with_suffix(".lock").exists():  # its lock went first (a crash mid-exit)
            found.append(Rescue(path, None, path.stat().st_mtime))
    return sorted(found, key=lambda r: r.mtime, reverse=True)
