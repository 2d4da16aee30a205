"""Atomic file writes: a file is either wholly written or left as it was.

The data goes to a temporary file in the destination's folder (same file system, so the
rename is atomic), is flushed to disk, and only then replaces the destination. Any failure
removes the temporary file and raises `WriteError` with the path and the reason.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


class WriteError(OSError):
    """A file could not be written; the message names the path and why.

    ``errno`` is the operating system's error number when there was one.
    """


def os_reason(error: BaseException) -> str:
    """Why an operation failed, for a message: the system's words when there are some."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _temporary(path: Path) -> tuple[Path, int]:
    """A new, empty file beside ``path``, opened for writing (permissions follow the umask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def sync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (POSIX); best effort."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Write a file by calling ``write(file)``, atomically.

    Parameters
    ----------
    path : path-like
        The destination. Its folder must exist. An existing file keeps its permissions.
    write : callable
        Receives a binary file object open for writing and writes the whole content.

    Raises
    ------
    WriteError
        When the file cannot be written (no permission, disk full, folder gone, ...), with a
        message like ``cannot write /x/y.npz: Permission denied``. No partial file is left
        and an existing destination is untouched. Errors that are not ``OSError`` (a bug in
        ``write``) propagate unchanged, after the same clean-up.
    """
    path = Path(path)
    tmp: Path | None = None
    try:
        tmp, fd = _temporary(path)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except FileNotFoundError:
            pass
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        reason = os_reason(e)
        if isinstance(e, FileNotFoundError) and not path.parent.is_dir():
            reason = f"the folder {path.parent} does not exist"
        error = WriteError(f"cannot write {path}: {reason}")
        error.errno = e.errno
        raise error from e
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    sync_folder(path.parent)


def make_folder(folder: str | os.PathLike[str]) -> Path:
    """Create ``folder`` and its parents when missing; raise `WriteError` saying why not."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        error = WriteError(f"cannot create the folder {folder}: {os_reason(e)}")
        error.errno = e.errno
        raise error from e
    return folder


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; see `atomic_write`."""
    atomic_write(path, lambda f: f.write(data))
