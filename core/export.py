"""Export a session and its results: ``.npy`` files in a folder, one ``.npz``, or one tensor.

Every file is written atomically (see `core.atomic`); failures raise `WriteError`. Files
are named after the tensors so that a reader can rebuild the layer in torch::

    input.npy  weight.npy  bias.npy*  grad_output.npy              what the user edits
    output.npy  grad_input.npy  grad_weight.npy  grad_bias.npy*    what the layer computes
    spec.json                                                      torch's keyword names

(* only when the layer has a bias.)
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from .atomic import WriteError, atomic_write_bytes, atomic_write_text, make_folder
from .conv import ConvResults
from .session import Session
from .session_io import save_arrays, session_arrays, spec_json

RESULT_NAMES = ("output", "grad_input", "grad_weight", "grad_bias")
_BIAS_FILES = ("bias.npy", "grad_bias.npy")


def result_arrays(session: Session, results: ConvResults) -> dict[str, np.ndarray]:
    """Every tensor, edited and computed, by name (bias and grad_bias only with a bias)."""
    computed = {n: getattr(results, n) for n in RESULT_NAMES}
    return {**session.tensors(), **{n: a for n, a in computed.items() if a is not None}}


def npy_bytes(array: np.ndarray) -> bytes:
    """``array`` in ``.npy`` format (never pickled)."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def export_tensor(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write one tensor as a ``.npy`` file, atomically (a grid's "Export…")."""
    atomic_write_bytes(path, npy_bytes(array))


def export_npy(
    folder: str | os.PathLike[str], session: Session, results: ConvResults
) -> list[Path]:
    """Write every tensor as ``NAME.npy`` plus ``spec.json`` into ``folder``.

    The folder is created when missing. Without a bias, a ``bias.npy`` or ``grad_bias.npy``
    left there by an earlier export is removed, so the folder never describes two layers.
    ``spec.json`` is written last.

    Returns
    -------
    list of Path
        The files written, ``spec.json`` last.

    Raises
    ------
    WriteError
        When the folder or a file cannot be written.
    """
    folder = make_folder(folder)
    written = []
    for name, array in result_arrays(session, results).items():
        export_tensor(folder / f"{name}.npy", array)
        written.append(folder / f"{name}.npy")
    if not session.spec.bias:
        for stale in _BIAS_FILES:
            try:
                (folder / stale).unlink(missing_ok=True)
            except OSError as e:
                raise WriteError(f"cannot remove the old {folder / stale}: {e.strerror}") from e
    atomic_write_text(folder / "spec.json", spec_json(session.spec) + "\n")
    written.append(folder / "spec.json")
    return written


def export_npz(path: str | os.PathLike[str], session: Session, results: ConvResults) -> None:
    """Write every tensor and the spec into one ``.npz``, atomically.

    The archive is a session file (``load_session`` opens it) with the computed tensors
    added: entries ``format``, ``spec`` (the text of ``spec.json``), the edited tensors and
    ``output``, ``grad_input``, ``grad_weight``, ``grad_bias`` (with a bias).
    """
    save_arrays(path, {**session_arrays(session), **result_arrays(session, results)})
