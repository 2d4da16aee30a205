"""Sessions on disk: one ``.npz`` with every tensor, the layer spec as JSON, and a version.

Layout (all plain arrays; nothing is pickled)::

    format        0-d int       FORMAT_VERSION
    spec          0-d unicode   LayerSpec.to_dict() as JSON (torch's keyword names)
    input, weight, grad_output, bias (when the spec has one)

Loading trusts nothing: every entry's header is read and checked (no Python objects, a
float or complex dtype, the spec's dtype and shape, the size the archive declares) and the
layer is checked against the memory budget (`core.budget`) before any tensor is read or
decompressed, so a small file cannot make the reader allocate gigabytes; the spec's JSON is
bounded in length and depth (`core.io.untrusted`). Every problem raises `SessionError` with
a message that names it. Saving is atomic.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.lib import format as npy_format

from ..budget import BudgetError, check
from ..session import EDITABLE, Session
from ..spec import LayerSpec, SpecError
from ..tensors import RESULTS
from ..torch_layer import layer_class
from . import untrusted
from .atomic import atomic_write

FORMAT_VERSION = 1
_CORRUPT = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError)
_MAX_SPEC_CHARS = 100_000


class SessionError(ValueError):
    """A session file that cannot be opened; the message says which file and why.

    Attributes
    ----------
    path : str or None
        The file, when known.
    problem : str
        The reason alone, without the path (for a dialog's detail line).
    fields, numbers
        As a `core.spec.SpecError`'s, when the layer or a tensor is what is refused (the
        spec fields or tensor names, and the numbers quoted); empty otherwise.
    """

    def __init__(self, problem: str, path: str | os.PathLike[str] | None = None,
                 fields: Sequence[str] = (), **numbers: Any) -> None:
        self.problem = problem
        self.path = None if path is None else os.fspath(path)
        super().__init__(problem if path is None else f"cannot open {self.path}: {problem}")
        # after super(): a SessionTensorError's SpecError.__init__ would reset them
        self.fields: tuple[str, ...] = tuple(fields)
        self.numbers: dict[str, Any] = numbers


class SessionTensorError(SessionError, SpecError):
    """A tensor in a session file that does not fit the file's spec (its rank, shape or
    dtype): a `SpecError` too, whose ``fields`` name the tensor."""


def spec_json(spec: LayerSpec) -> str:
    """The spec as JSON with torch's keyword names (plus input_size, batch and dtype)."""
    return json.dumps(spec.to_dict(), indent=2)


def session_arrays(session: Session) -> dict[str, np.ndarray]:
    """Everything a session file holds, by entry name: format, spec and the tensors."""
    return {
        "format": np.array(FORMAT_VERSION),
        "spec": np.array(spec_json(session.spec)),
        **session.tensors(),
    }


def save_arrays(path: str | os.PathLike[str], arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` as one uncompressed ``.npz``, atomically (raises `WriteError`)."""
    atomic_write(path, lambda f: np.savez(f, **arrays))


def save_session(path: str | os.PathLike[str], session: Session) -> None:
    """Save ``session`` to ``path`` (a ``.npz``), atomically.

    Raises
    ------
    WriteError
        When the file cannot be written; the message names the path and the reason, and no
        partial file is left behind.
    """
    save_arrays(path, session_arrays(session))


# -- loading -----------------------------------------------------------------------------
def _header(npz: Any, name: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of one entry, read from its header alone.

    The size the header promises must be the size the archive holds, so that a small file
    cannot make the reader allocate a huge array.
    """
    try:
        with npz.zip.open(name + ".npy") as f:
            shape, dtype = untrusted.npy_header(f)
            stored = npz.zip.getinfo(name + ".npy").file_size - f.tell()
    except _CORRUPT as e:
        raise SessionError(f"entry '{name}' is corrupt ({e})") from e
    if dtype.hasobject:
        raise SessionError(
            f"entry '{name}' holds Python objects (pickled data), which are never loaded"
        )
    needed = math.prod(shape) * dtype.itemsize
    if stored != needed:
        raise SessionError(
            f"entry '{name}' is corrupt: shape {tuple(shape)} of {dtype.name} needs "
            f"{needed} bytes but it holds {stored}"
        )
    return tuple(shape), dtype


def _data(npz: Any, name: str) -> np.ndarray:
    try:
        return npz[name]
    except _CORRUPT as e:
        raise SessionError(f"entry '{name}' is corrupt ({e})") from e
    except MemoryError as e:  # within the budget, yet more than this machine has free
        raise SessionError(f"not enough memory to read entry '{name}'") from e


def _entries(npz: Any) -> set[str]:
    """The archive's entries, refusing any a session or an export does not hold (rather
    than drop it without a word at the next Save), and results that hold pickled data."""
    names = npz.zip.namelist()
    entries = {n[: -len(".npy")] for n in names if n.endswith(".npy")}
    other = sorted({n for n in names if not n.endswith(".npy")} | (entries - _KNOWN))
    if other:
        shown = ", ".join(repr(n) for n in other[:5]) + (", …" if len(other) > 5 else "")
        raise SessionError(f"unknown entries {shown}: a ConvViz session holds format, spec, "
                           "input, weight, bias and grad_output (an export also its results)")
    for name in sorted(entries & set(RESULTS)):  # never read, but a pickle is refused
        _header(npz, name)
    return entries


_KNOWN = {"format", "spec", *EDITABLE, *RESULTS}


def _format_version(npz: Any, entries: set[str]) -> None:
    if "format" not in entries:
        raise SessionError("no 'format' entry: this is not a ConvViz session file")
    shape, dtype = _header(npz, "format")
    if dtype.kind not in "iu" or int(np.prod(shape)) != 1:
        raise SessionError(f"the 'format' entry must be one integer, got {dtype.name} {shape}")
    version = int(_data(npz, "format").reshape(-1)[0])
    if version != FORMAT_VERSION:
        raise SessionError(
            f"format version {version} is not supported (this ConvViz reads version "
            f"{FORMAT_VERSION})"
        )


def _spec(npz: Any, entries: set[str]) -> LayerSpec:
    if "spec" not in entries:
        raise SessionError("no 'spec' entry: the layer spec is missing")
    shape, dtype = _header(npz, "spec")
    if dtype.kind != "U" or len(shape) > 1 or int(np.prod(shape)) != 1:
        raise SessionError(f"the 'spec' entry must be one JSON string, got {dtype.name} {shape}")
    if dtype.itemsize // 4 > _MAX_SPEC_CHARS:
        raise SessionError(f"the 'spec' entry is too long ({dtype.itemsize // 4} characters)")
    text = str(_data(npz, "spec").reshape(-1)[0])
    try:
        data = untrusted.loads(text, _MAX_SPEC_CHARS)
    except ValueError as e:
        raise SessionError(f"the spec is {e}") from e
    try:
        spec = LayerSpec.from_dict(data)
    except (ValueError, TypeError, OverflowError) as e:
        raise _wrap(f"invalid layer spec: {e}", e) from e
    try:
        check(spec, what="its layer")
    except BudgetError as e:
        raise _wrap(str(e), e) from e
    return spec


def _tensors(npz: Any, entries: set[str], spec: LayerSpec) -> dict[str, np.ndarray]:
    expected = {n: spec.shape(n) for n in EDITABLE}
    missing = [n for n in EDITABLE if expected[n] is not None and n not in entries]
    if missing:
        raise SessionError(f"missing tensor(s): {', '.join(missing)}", None, missing)
    if not spec.bias and "bias" in entries:
        raise SessionError("the file has a bias tensor but the spec says bias=False", None,
                           ("bias",))
    names = [n for n in EDITABLE if expected[n] is not None]
    for name in names:
        shape, dtype = _header(npz, name)
        if dtype.kind not in "fc":
            raise SessionTensorError(
                f"tensor '{name}' has dtype {dtype.name}; a float or complex type is needed",
                None, (name,), dtype=dtype.name,
            )
        if dtype.name != spec.dtype:
            raise SessionTensorError(
                f"tensor '{name}' has dtype {dtype.name} but the spec says {spec.dtype}",
                None, (name,), dtype=dtype.name, expected=spec.dtype,
            )
        if len(shape) != len(expected[name]):
            raise SessionTensorError(_rank_problem(spec, name, shape, expected[name]), None,
                                     (name,), shape=shape, expected=expected[name])
        if shape != expected[name]:
            raise SessionTensorError(
                f"tensor '{name}' has shape {shape} but the spec needs {expected[name]}",
                None, (name,), shape=shape, expected=expected[name],
            )
    return {name: _data(npz, name) for name in names}


def _rank_problem(spec: LayerSpec, name: str, shape: tuple[int, ...],
                  expected: tuple[int, ...]) -> str:
    """Why a tensor of another rank than the spec's cannot be read, in the layer's terms."""
    return (f"tensor '{name}' has {len(shape)} axes, shape {shape}, but the spec is a "
            f"{spec.dims}D layer ({layer_class(spec)}) whose {name} has {len(expected)}: "
            f"shape {expected}")


def _open(f: BinaryIO) -> Any:
    """``np.load`` on an open file (so that a failure cannot leak the handle).

    A lone ``.npy`` is refused by its magic alone: ``np.load`` would read its whole array,
    whatever size its header claims.
    """
    if f.read(len(npy_format.MAGIC_PREFIX)) == npy_format.MAGIC_PREFIX:
        raise SessionError("this is a single .npy array, not a .npz session")
    f.seek(0)
    try:
        npz = np.load(f, allow_pickle=False)
    except EOFError as e:
        raise SessionError("the file is empty") from e
    except zipfile.BadZipFile as e:
        raise SessionError(f"not a readable .npz archive; truncated or corrupt ({e})") from e
    except ValueError as e:
        raise SessionError(
            "not a .npz session: neither a zip archive nor a .npy array "
            "(pickled data is never loaded)"
        ) from e
    except _CORRUPT as e:
        raise SessionError(f"not a readable .npz archive ({e})") from e
    if isinstance(npz, np.ndarray):
        raise SessionError("this is a single .npy array, not a .npz session")
    return npz


def load_session(path: str | os.PathLike[str]) -> Session:
    """Read a session saved by `save_session` (or an export made by `export_npz`).

    Uses ``np.load(..., allow_pickle=False)`` and checks every entry before reading it.

    Raises
    ------
    SessionError
        (a ``ValueError``) for a missing or unreadable file, a file with pickled objects, a
        truncated or corrupt archive, an unknown format version, a spec torch would reject,
        missing tensors, or tensors whose dtype or shape do not fit the spec (then a
        `SessionTensorError`, a `SpecError` too, whose fields name the tensor; a tensor of
        another rank than the spec's dims says so). The message reads ``cannot open PATH:
        PROBLEM``.
    """
    path = Path(path)
    try:
        try:
            f = open(path, "rb")
        except OSError as e:
            raise SessionError(e.strerror or str(e)) from e
        with f, _open(f) as npz:
            entries = _entries(npz)
            _format_version(npz, entries)
            spec = _spec(npz, entries)
            tensors = _tensors(npz, entries, spec)
        return Session(spec=spec, **tensors)
    except SessionError as e:
        raise type(e)(e.problem, path, e.fields, **e.numbers) from e.__cause__
    except ValueError as e:
        raise _wrap(str(e), e, path) from e


def _wrap(problem: str, error: Exception, path: Path | None = None) -> SessionError:
    """A `SessionError` for ``problem``, with ``error``'s fields and numbers if it has any."""
    if isinstance(error, SpecError):  # a BudgetError too
        return SessionError(problem, path, error.fields, **error.numbers)
    return SessionError(problem, path)
