"""The document: one `core.session.Session` (spec + editable tensors) and its undo stack.

The single source of truth. Everything that changes it is a `QUndoCommand` pushed on
``Document.undo_stack``; commands keep what they changed (the edited cells, the values a
layer change dropped; `core.session_delta`), so undo and redo are exact and the history
stays bounded. Views propose changes (`CellEdit`, a new `LayerSpec`) and listen to
``sessionChanged``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from core import budget
from core.budget import BudgetError
from core.io.presets import default_session
from core.session import EDITABLE, Session, kind_switch_note
from core.session_delta import apply, compact, diff, freeze, same_bits
from core.spec import LayerSpec
from core.torch_layer import layer_class

from .causal_note import causal_note
from .dims_switch import switch_note, switched_session
from .undo_notes import UndoNotes

_SET_SPEC_ID, _SET_CELLS_ID = 4001, 4002
SPEC_MERGE_SECONDS = 0.8
#: What the undo history may keep, in bytes, before its oldest steps are dropped.
HISTORY_LIMIT_BYTES = 512 * 2**20
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
    """The app's state: a `Session` that changes only through undoable commands.

    Every new layer (a spec change, a file, a preset, an import, a restored autosave) is
    checked against `core.budget` first: one that would not fit is refused with ``refused``
    (the status bar shows it) and the document stays as it was. The undo history keeps
    what each step changed, and at most ``history_limit`` bytes of it: the oldest steps
    are dropped beyond that, and ``historyTrimmed`` says so.
    """

    sessionChanged = Signal(object)  # Session, after every change
    specChanged = Signal(object)  # LayerSpec, only when the spec changed
    refused = Signal(str)  # a change that was not made, and why
    historyTrimmed = Signal(str)  # the oldest undo steps were dropped (a note for the user)
    noted = Signal(str)  # what a change kept and reset, for the status bar

    def __init__(self, session: Session | None = None, parent: QObject | None = None,
                 history_limit: int = HISTORY_LIMIT_BYTES) -> None:
        super().__init__(parent)
        self._session = session if session is not None else default_session()
        self.undo_stack = QUndoStack(self)
        self.history_limit = history_limit
        self.dropped_steps = 0  # undo steps dropped to stay under history_limit
        self._replaying = False  # rebuilding the stack: commands neither act nor merge
        self._undo_notes = UndoNotes(self.undo_stack, self.noted.emit)  # "Undone: …"
        self.undo_stack.indexChanged.connect(self._on_undo_stack_indexChanged)

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

    @staticmethod
    def check(spec: LayerSpec, what: str = "this layer") -> int:
        """`core.budget.check`: raise `BudgetError` when ``spec`` would not fit in memory."""
        return budget.check(spec, what=what)

    def _admits(self, spec: LayerSpec, what: str) -> bool:
        try:
            self.check(spec, what)
        except BudgetError as exc:
            self.refused.emit(f"Not changed: {exc}")
            return False
        return True

    # -- user intent: each pushes one command --------------------------------------------
    def set_spec(self, spec: LayerSpec, field: str | None = None) -> bool:
        """Change the hyperparameters, keeping tensor values where old and new shapes overlap
        (another number of spatial axes: `gui.dims_switch.switched_session`, and says so).

        Consecutive changes of the same ``field`` within `SPEC_MERGE_SECONDS` merge into one
        undo step (holding a spin box arrow). Returns False when the budget refused it.
        """
        if spec == self.spec:
            return True
        if not self._admits(spec, "this layer"):
            return False
        old = self._session
        if old.spec.dims != spec.dims:  # other ranks: the tensors are made anew
            new = switched_session(old, spec)
            self._push(SetSpec(self, old, new, field))
            self.noted.emit(switch_note(old, new))
            return True
        new = old.with_spec(spec)
        self._push(SetSpec(self, old, new, field))
        if old.spec.transposed != spec.transposed:
            self.noted.emit(kind_switch_note(old, new))
        elif (note := causal_note(old.spec, spec)) is not None:
            self.noted.emit(note)
        return True

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
        written = np.asarray(new[edit.index]), np.asarray(current[edit.index])
        if edit.merge is None and same_bits(*written):
            return  # nothing changed (only the written cells can differ)
        self._push(SetCells(self, edit, current, freeze(new)))

    def fill(self, name: str, values: np.ndarray, text: str) -> None:
        """Replace a whole tensor (same shape)."""
        self.apply_edit(CellEdit(name, ..., np.asarray(values), text))

    def replace_session(self, session: Session, text: str = "Load session",
                        make: Callable[..., ReplaceSession] | None = None) -> bool:
        """Swap in a whole new session (a preset, an opened file): one undo step, made by
        ``make(doc, old, new, text)`` (a `ReplaceSession` subclass that does more) or a
        plain `ReplaceSession`.

        Returns False (and says why through ``refused``) when its layer is over the budget.
        """
        if not self._admits(session.spec, f"the layer of {text!r}"):
            return False
        self._push((make or ReplaceSession)(self, self._session, session, text))
        return True

    # -- the history's size ------------------------------------------------------------------
    def history_bytes(self) -> int:
        """Bytes the undo history keeps (the values its steps would restore)."""
        stack = self.undo_stack
        return sum(_nbytes(stack.command(i)) for i in range(stack.count()))

    def _on_undo_stack_indexChanged(self, index: int) -> None:
        self._undo_notes.moved(index)

    def _push(self, command: QUndoCommand) -> None:
        with self._undo_notes.quiet():
            self.undo_stack.push(command)
            self._trim()

    def _trim(self) -> None:
        """Drop the oldest steps while the history holds more than ``history_limit`` bytes
        (never the newest: the change just made can always be undone)."""
        stack = self.undo_stack
        sizes = [_nbytes(stack.command(i)) for i in range(stack.count())]
        total, drop = sum(sizes), 0
        while total > self.history_limit and drop < len(sizes) - 1:
            total -= sizes[drop]
            drop += 1
        if drop == 0:
            return
        # QUndoStack cannot drop its oldest commands: rebuild it from copies of the rest
        kept = [stack.command(i).detached() for i in range(drop, stack.count())]
        index, clean = stack.index() - drop, stack.cleanIndex() - drop
        self._replaying = True
        try:
            stack.clear()
            for i, command in enumerate(kept):
                if i == clean:
                    stack.setClean()
                stack.push(command)
            if clean == len(kept):
                stack.setClean()
            elif not 0 <= clean <= len(kept):
                stack.resetClean()  # the saved state was among the dropped steps
            stack.setIndex(index)
        finally:
            self._replaying = False
        self.dropped_steps += drop
        self.historyTrimmed.emit(
            f"Undo history over {budget.format_bytes(self.history_limit)}: the oldest "
            f"{drop} step{'s' if drop > 1 else ''} dropped ({self.dropped_steps} so far)")

    # -- used by the commands only -------------------------------------------------------
    def _set_session(self, session: Session) -> None:
        old_spec = self._session.spec
        self._session = session
        if session.spec != old_spec:
            self.specChanged.emit(session.spec)
        self.sessionChanged.emit(session)

    def _write(self, name: str, array: np.ndarray) -> None:
        self._set_session(self._session.with_tensor(name, array))


def _nbytes(command: QUndoCommand) -> int:
    return getattr(command, "nbytes", 0)


class ReplaceSession(QUndoCommand):
    """Swap one session for another; undo swaps back.

    Keeps `core.session_delta` deltas both ways, not the sessions: a tensor the change
    did not touch costs nothing, and a resized one only the cells outside the overlap.
    """

    def __init__(self, doc: Document, old: Session, new: Session, text: str) -> None:
        super().__init__(text)
        self._doc = doc
        self._first: Session | None = new  # the first redo shows it as it is
        self._back, self._fwd = diff(new, old), diff(old, new)

    @property
    def nbytes(self) -> int:
        return self._back.nbytes + self._fwd.nbytes

    def detached(self) -> ReplaceSession:
        """A copy of this step for a rebuilt stack (sharing the deltas)."""
        copy = _blank(type(self), self.text())
        copy._doc, copy._first, copy._back, copy._fwd = self._doc, None, self._back, self._fwd
        self._copy_extra(copy)
        return copy

    def _copy_extra(self, copy: ReplaceSession) -> None:
        pass

    def redo(self) -> None:
        if self._doc._replaying:
            return
        new, self._first = self._first, None
        self._doc._set_session(new if new is not None else apply(self._doc.session, self._fwd))

    def undo(self) -> None:
        if not self._doc._replaying:
            self._doc._set_session(apply(self._doc.session, self._back))


def _blank(cls: type, text: str):
    copy = QUndoCommand.__new__(cls)
    QUndoCommand.__init__(copy, text)
    return copy


class SetSpec(ReplaceSession):
    """A hyperparameter change (values kept where the old and new shapes overlap); a switch
    between Conv and ConvTranspose, or of the number of spatial axes (`gui.dims_switch`), is
    one step of its own, never merged."""

    def __init__(self, doc: Document, old: Session, new: Session, field: str | None) -> None:
        switch = (old.spec.transposed, old.spec.dims) != (new.spec.transposed, new.spec.dims)
        text = f"Switch to {layer_class(new.spec)}" if switch else f"Set {field or 'layer'}"
        super().__init__(doc, old, new, text)
        field = None if switch else field
        self._field = field
        self._when = time.monotonic()

    def _copy_extra(self, copy: ReplaceSession) -> None:
        copy._field, copy._when = self._field, self._when

    def id(self) -> int:
        return _SET_SPEC_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if self._doc._replaying:
            return False
        if not isinstance(other, SetSpec) or self._field is None or other._field != self._field:
            return False
        if other._when - self._when > SPEC_MERGE_SECONDS:
            return False
        # the document shows other's result (C); self went A → B and other B → C
        now = self._doc.session
        first = apply(apply(now, other._back), self._back)
        self._back, self._fwd = diff(now, first), diff(first, now)
        self._when = other._when
        return True


class SetCells(QUndoCommand):
    """New values for some cells of one tensor: keeps those cells' old and new values only."""

    def __init__(self, doc: Document, edit: CellEdit, old: np.ndarray, new: np.ndarray) -> None:
        super().__init__(edit.text or f"Edit {edit.tensor}")
        self._doc, self._edit = doc, edit
        self._first: np.ndarray | None = new
        self._old, self._new = _region(old, edit.index), _region(new, edit.index)

    @property
    def nbytes(self) -> int:
        return self._old.nbytes + self._new.nbytes

    def detached(self) -> SetCells:
        copy = _blank(SetCells, self.text())
        copy._doc, copy._edit, copy._first = self._doc, self._edit, None
        copy._old, copy._new = self._old, self._new
        return copy

    def id(self) -> int:
        return _SET_CELLS_ID if self._edit.merge is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if self._doc._replaying or not isinstance(other, SetCells):
            return False
        mine, theirs = self._edit, other._edit
        if theirs.merge != mine.merge or theirs.tensor != mine.tensor:
            return False
        if not _same_index(mine.index, theirs.index) or self._new.shape != other._new.shape:
            return False
        self._new = other._new
        return True

    def redo(self) -> None:
        if self._doc._replaying:
            return
        new, self._first = self._first, None
        self._doc._write(self._edit.tensor, new if new is not None else self._written(self._new))

    def undo(self) -> None:
        if not self._doc._replaying:
            self._doc._write(self._edit.tensor, self._written(self._old))

    def _written(self, values: np.ndarray) -> np.ndarray:
        out = np.array(self._doc.tensor(self._edit.tensor), copy=True)
        out[self._edit.index] = values
        return freeze(out)


def _region(a: np.ndarray, index: Any) -> np.ndarray:
    """The cells ``a[index]`` as an array of their own (``a`` itself when that is all of it)."""
    part = np.asarray(a[index])
    if part.shape == a.shape and part.size == a.size:
        return compact(a)
    return compact(freeze(np.array(part, copy=True)))


def _same_index(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except ValueError:  # numpy arrays in an index: compare them as values
        return repr(a) == repr(b)


__all__ = [
    "EDITABLE",
    "CellEdit",
    "Document",
    "HISTORY_LIMIT_BYTES",
    "ReplaceSession",
    "SetCells",
    "SetSpec",
    "default_session",
    "new_merge_key",
]
