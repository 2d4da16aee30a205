"""Export a session and its results: ``.npy`` files in a folder, one ``.npz``, or one tensor.

Every file is written atomically (see `core.io.atomic`), and a folder export is all or nothing
(`export_npy`); failures raise `WriteError`. Files
are named after the tensors so that a reader can rebuild the layer in torch::

    input.npy  weight.npy  bias.npy*  grad_output.npy              what the user edits
    output.npy  grad_input.npy  grad_weight.npy  grad_bias.npy*    what the layer computes
    spec.json              torch's class ("torch_class": "Conv1d" … "ConvTranspose3d"),
                           its keyword arguments by torch's names, input_size, batch, dtype,
                           "dims" (not 2D), "causal" and "causal_pad" (a causal Conv1d:
                           F.pad(input, causal_pad) first, then the layer with padding 0)

(* only when the layer has a bias.)
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..conv import ConvResults
from ..session import Session
from ..spec import LayerSpec
from ..tensors import RESULTS
from ..torch_layer import causal_pad, layer_class
from .atomic import WriteError, atomic_write_bytes, os_reason, sync_folder
from .session_io import save_arrays, session_arrays

_BIAS_FILES = ("bias.npy", "grad_bias.npy")


def result_arrays(session: Session, results: ConvResults) -> dict[str, np.ndarray]:
    """Every tensor, edited and computed, by name (bias and grad_bias only with a bias)."""
    computed = {n: getattr(results, n) for n in RESULTS}
    return {**session.tensors(), **{n: a for n, a in computed.items() if a is not None}}


def export_spec(spec: LayerSpec) -> dict:
    """What ``spec.json`` holds: torch's class and `LayerSpec.to_dict` (torch's keyword
    names, plus input_size, batch and dtype; dims when not 2), so that a reader can rebuild
    the layer with ``getattr(torch.nn, d["torch_class"])(**{k: d[k] for k in its
    arguments})``. A causal layer adds ``"causal_pad": [(k-1)*dilation, 0]``: its forward is
    ``layer(F.pad(input, causal_pad))`` (its "padding" is 0)."""
    data = {"torch_class": layer_class(spec), **spec.to_dict()}
    pad = causal_pad(spec)
    if pad is not None:
        data["causal_pad"] = list(pad)
    return data


def npy_bytes(array: np.ndarray) -> bytes:
    """``array`` in ``.npy`` format (never pickled)."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def export_tensor(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write one tensor as a ``.npy`` file, atomically (a grid's "Export…")."""
    atomic_write_bytes(path, npy_bytes(array))


def _create(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, outermost first."""
    missing = []
    for f in (folder, *folder.parents):
        if f.exists() or f.is_symlink():
            if missing and not f.is_dir():
                raise WriteError(f"cannot create the folder {folder}: {f} is a file")
            break
        missing.append(f)
    created: list[Path] = []
    for f in reversed(missing):
        try:
            f.mkdir()
        except OSError as e:
            if created:
                shutil.rmtree(created[0], ignore_errors=True)
            raise WriteError(f"cannot create the folder {f}: {os_reason(e)}") from e
        created.append(f)
    if not folder.is_dir():
        raise WriteError(f"cannot export to {folder}: it is a file, not a folder")
    return created


def _write_file(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """One file of the staged export, flushed to disk (a seam for failure tests)."""
    with open(path, "xb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


def _move(src: Path, dst: Path) -> None:
    """Rename within one folder tree (a seam for failure tests)."""
    os.replace(src, dst)


def _commit(folder: Path, staging: Path, names: list[str], stale: list[str]) -> None:
    """Move the staged files into ``folder``, the files they replace (and ``stale``) aside
    into ``staging/old``; on a failure put everything back as it was."""
    old = staging / "old"
    old.mkdir()
    undo: list[tuple[Path, Path]] = []  # (moved to, moved from), in order
    try:
        for name in names + stale:
            if os.path.lexists(folder / name):
                _move(folder / name, old / name)
                undo.append((old / name, folder / name))
            if name in names:
                _move(staging / name, folder / name)
                undo.append((folder / name, staging / name))
    except OSError as e:
        try:
            for moved, back in reversed(undo):
                os.replace(moved, back)
        except OSError as again:
            raise _Stranded(
                f"cannot export to {folder}: {os_reason(e)}; putting the old files back "
                f"failed too ({os_reason(again)}): they are in {old}"
            ) from e
        raise


class _Stranded(WriteError):
    """A commit that could not be undone: the staging folder holds the user's old files."""


def export_npy(
    folder: str | os.PathLike[str], session: Session, results: ConvResults
) -> list[Path]:
    """Write every tensor as ``NAME.npy`` plus ``spec.json`` into ``folder``, all or nothing.

    The files are written into a hidden staging folder inside ``folder`` and moved into
    place only once every one is on disk, the files they replace set aside until then: a
    failure (disk full, no permission, a name taken by a folder) leaves ``folder`` as it
    was, byte for byte, and removes what it created. Other files in ``folder`` are kept.
    ``folder`` and its parents are created when missing. Without a bias, a ``bias.npy`` or
    ``grad_bias.npy`` left there by an earlier export is removed, so the folder never
    describes two layers.

    Returns
    -------
    list of Path
        The files written, ``spec.json`` last.

    Raises
    ------
    WriteError
        When the export cannot be written, naming the folder and the reason; nothing in
        ``folder`` has changed then.
    """
    if os.fspath(folder) == "":
        raise WriteError("cannot export: the folder name is empty")
    folder = Path(folder)
    writers: dict[str, Callable[[BinaryIO], None]] = {
        f"{name}.npy": partial(_save_npy, array=array)
        for name, array in result_arrays(session, results).items()
    }
    spec_text = (json.dumps(export_spec(session.spec), indent=2) + "\n").encode("utf-8")
    writers["spec.json"] = partial(_write_bytes, data=spec_text)
    stale = [n for n in _BIAS_FILES if n not in writers]
    created = _create(folder)
    staging = None
    try:
        for name in [*writers, *stale]:
            if (folder / name).is_dir():
                raise IsADirectoryError(errno.EISDIR, f"{folder / name} is a folder, not a file")
        staging = Path(tempfile.mkdtemp(prefix=".convviz-export-", dir=folder))
        for name, write in writers.items():
            _write_file(staging / name, write)
        _commit(folder, staging, list(writers), stale)
    except _Stranded:
        raise
    except BaseException as e:  # MemoryError, KeyboardInterrupt: the same clean-up
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(created[0], ignore_errors=True)
        if not isinstance(e, OSError):
            raise
        error = WriteError(f"cannot export to {folder}: {os_reason(e)}")
        error.errno = e.errno
        raise error from e
    shutil.rmtree(staging, ignore_errors=True)
    sync_folder(folder)
    return [folder / name for name in writers]


def _save_npy(f: BinaryIO, array: np.ndarray) -> None:
    np.save(f, np.asarray(array), allow_pickle=False)


def _write_bytes(f: BinaryIO, data: bytes) -> None:
    f.write(data)


def export_npz(path: str | os.PathLike[str], session: Session, results: ConvResults) -> None:
    """Write every tensor and the spec into one ``.npz``, atomically.

    The archive is a session file (``load_session`` opens it) with the computed tensors
    added: entries ``format``, ``spec`` (the text of ``spec.json``), the edited tensors and
    ``output``, ``grad_input``, ``grad_weight``, ``grad_bias`` (with a bias).
    """
    save_arrays(path, {**session_arrays(session), **result_arrays(session, results)})
