"""UndoNotes: a status note for each undo and redo ("Undone: Switch to Conv3d").

A change that resets things says so in the status bar for a few seconds ("Switched to
Conv3d: input and weight reset…"); undoing it right away left that note standing over a
layer that is a Conv2d again. Every step back or forth now says what it did instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import shiboken6
from PySide6.QtGui import QUndoStack


class UndoNotes:
    """Calls ``note(text)`` when ``stack``'s index moves (`moved`) by an undo or a redo (the
    keys, the Edit menu, a click in the History), not by a new step (`quiet` around a push)
    or a cleared or rebuilt stack (its count changes).

    The owner connects ``stack.indexChanged`` to a slot of its own calling `moved`: a
    QObject that is the stack's parent is disconnected before the stack clears itself as it
    goes (a slot of a child of the stack was called then, on a half-freed object).
    """

    def __init__(self, stack: QUndoStack, note: Callable[[str], None]) -> None:
        self._stack, self._note = stack, note
        self._index, self._count = stack.index(), stack.count()
        self._quiet = 0

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Moves of the index inside are the document's own (a push, a rebuilt history)."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1
            self._index, self._count = self._stack.index(), self._stack.count()

    def moved(self, index: int) -> None:
        stack = self._stack
        if not shiboken6.isValid(stack):  # the stack clears itself as it goes
            return
        old, same = self._index, stack.count() == self._count
        self._index, self._count = index, stack.count()
        if self._quiet or not same or index == old:
            return
        steps = abs(index - old)
        first = stack.command(old - 1 if index < old else old)  # the step next to where it was
        verb = "Undone" if index < old else "Redone"
        more = f" and {steps - 1} more step{'s' if steps > 2 else ''}" if steps > 1 else ""
        self._note(f"{verb}: {first.text()}{more}")
