"""The document: one `core.session.Session` (spec + editable tensors) and its undo stack.

The single source of truth. Everything that changes it is a `QUndoCommand` pushed on
``Document.undo_stack``; commands keep the old and new immutable values, so undo and redo
are exact. Views propose changes (`CellEdit`, a new `LayerSpec`) and listen to
``sessionChanged``.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from core.session import EDITABLE, Session
from core.spec import LayerSpec

#: The scene the app opens with: a (1, 3, 16, 16) input and a (4, 3, 3, 3) kernel, padding 1.
DEFAULT_SPEC = LayerSpec(
    in_channels=3, out_channels=4, kernel_size=(3, 3), padding=(1, 1), input_size=(16, 16)
)

def default_session() -> Session:
    """The scene the app opens with: the shipped preset 'default' (or `DEFAULT_SPEC`)."""
    try:
        from core.presets import default_session as preset_default

        return preset_default()
    except (ImportError, ValueError):  # no presets (yet), or a broken file: same scene
        return Session.default(DEFAULT_SPEC)


_SET_SPEC_ID, _SET_CELLS_ID = 4001, 4002
SPEC_MERGE_SECONDS = 0.8
_merge_keys = itertools.count(1)


def new_merge_key() -> int:
    """A fresh key for one scrub or drag: edits with the same key merge into one undo step."""
    return next(_merge_keys)


@dataclass(frozen=True, eq=False)
class CellEdit:
    """A user's proposed change of some cells of one editable tensor.

    Attributes
    ----------
    tensor : str
        One of ``core.session.EDITABLE``.
    index : Any
        A numpy index into that tensor: a tuple of ints/slices, or ``...`` for all of it.
    values : ndarray
        New values, broadcastable to ``tensor[index]``.
    text : str
        What the undo history calls it, e.g. "Edit input".
    merge : int or None
        Edits in a row with the same key and index merge into one undo step (scrubbing).
    """

    tensor: str
    index: Any
    values: np.ndarray
    text: str = ""
    merge: int | None = None


class Document(QObject):
    """The app's state: a `Session` that changes only through undoable commands."""

    sessionChanged = Signal(object)  # Session, after every change
    specChanged = Signal(object)  # LayerSpec, only when the spec changed

    def __init__(self, session: Session | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session if session is not None else default_session()
        self.undo_stack = QUndoStack(self)

    # -- reading -------------------------------------------------------------------------
    @property
    def session(self) -> Session:
        return self._session

    @property
    def spec(self) -> LayerSpec:
        return self._session.spec

    def tensor(self, name: str) -> np.ndarray | None:
        return self._session.tensor(name)

    def announce(self) -> None:
        """Emit the current state (so views that just connected draw it)."""
        self.specChanged.emit(self._session.spec)
        self.sessionChanged.emit(self._session)

    # -- user intent: each pushes one command --------------------------------------------
    def set_spec(self, spec: LayerSpec, field: str | None = None) -> None:
        """Change the hyperparameters, keeping tensor values where old and new shapes overlap.

        Consecutive changes of the same ``field`` within `SPEC_MERGE_SECONDS` merge into one
        undo step (holding a spin box arrow).
        """
        if spec == self.spec:
            return
        self.undo_stack.push(SetSpec(self, self._session, self._session.with_spec(spec), field))

    def apply_edit(self, edit: CellEdit) -> None:
        """Write ``edit.values`` into ``edit.tensor[edit.index]`` (one undo step, or merged)."""
        current = self.tensor(edit.tensor)
        if current is None:
            raise ValueError(f"the layer has no {edit.tensor} tensor")
        new = np.array(current, copy=True)
        try:
            new[edit.index] = edit.values
        except (IndexError, ValueError, TypeError) as exc:
            raise ValueError(f"cannot write {edit.tensor}[{edit.index}]: {exc}") from None
        if np.array_equal(new, current) and edit.merge is None:
            return
        self.undo_stack.push(SetCells(self, edit, current, new))

    def fill(self, name: str, values: np.ndarray, text: str) -> None:
        """Replace a whole tensor (same shape)."""
        self.apply_edit(CellEdit(name, ..., np.asarray(values), text))

    def replace_session(self, session: Session, text: str = "Load session") -> None:
        """Swap in a whole new session (a preset, an opened file): one undo step."""
        self.undo_stack.push(ReplaceSession(self, self._session, session, text))

    # -- used by the commands only -------------------------------------------------------
    def _set_session(self, session: Session) -> None:
        old_spec = self._session.spec
        self._session = session
        if session.spec != old_spec:
            self.specChanged.emit(session.spec)
        self.sessionChanged.emit(session)

    def _write(self, name: str, array: np.ndarray) -> None:
        self._set_session(self._session.with_tensor(name, array))


class ReplaceSession(QUndoCommand):
    """Swap one session for another; undo swaps back."""

    def __init__(self, doc: Document, old: Session, new: Session, text: str) -> None:
        super().__init__(text)
        self._doc, self._old, self._new = doc, old, new

    def redo(self) -> None:
        self._doc._set_session(self._new)

    def undo(self) -> None:
        self._doc._set_session(self._old)


class SetSpec(ReplaceSession):
    """A hyperparameter change. Keeps the whole old session, so undo loses nothing."""

    def __init__(self, doc: Document, old: Session, new: Session, field: str | None) -> None:
        super().__init__(doc, old, new, f"Set {field or 'layer'}")
        self._field = field
        self._when = time.monotonic()

    def id(self) -> int:
        return _SET_SPEC_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetSpec) or self._field is None or other._field != self._field:
            return False
        if other._when - self._when > SPEC_MERGE_SECONDS:
            return False
        self._new, self._when = other._new, other._when
        return True


class SetCells(QUndoCommand):
    """New values for some cells of one tensor (stored whole: tensors here are small)."""

    def __init__(self, doc: Document, edit: CellEdit, old: np.ndarray, new: np.ndarray) -> None:
        super().__init__(edit.text or f"Edit {edit.tensor}")
        self._doc, self._edit = doc, edit
        self._old, self._new = old, new
        self._new.flags.writeable = False

    def id(self) -> int:
        return _SET_CELLS_ID if self._edit.merge is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetCells):
            return False
        mine, theirs = self._edit, other._edit
        if theirs.merge != mine.merge or theirs.tensor != mine.tensor:
            return False
        if self._new.shape != other._new.shape:
            return False
        self._new = other._new
        return True

    def redo(self) -> None:
        self._doc._write(self._edit.tensor, self._new)

    def undo(self) -> None:
        self._doc._write(self._edit.tensor, self._old)


def tensor_shapes(session: Session) -> dict[str, tuple[int, ...] | None]:
    """Shapes of all eight tensors the app shows (None where the layer has no bias)."""
    spec = session.spec
    return {
        "input": spec.input_shape,
        "weight": spec.weight_shape,
        "bias": spec.bias_shape,
        "grad_output": spec.output_shape,
        "output": spec.output_shape,
        "grad_input": spec.input_shape,
        "grad_weight": spec.weight_shape,
        "grad_bias": spec.bias_shape,
    }


__all__ = [
    "DEFAULT_SPEC",
    "EDITABLE",
    "CellEdit",
    "Document",
    "ReplaceSession",
    "SetCells",
    "SetSpec",
    "new_merge_key",
    "tensor_shapes",
]
