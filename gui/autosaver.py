"""Autosaver: the session goes to the user's data folder a few seconds after each change.

Uses `core.autosave` for the file. A change (the undo stack's index moves) marks the
document dirty and starts a single-shot timer, so that a burst of edits is written once,
`AUTOSAVE_MS` after the first of them; nothing is written when nothing changed since the
last write. An unmodified document (just saved, or undone back to the saved state) needs
no rescue, so its autosave is removed instead. A clean exit removes it too (`stop`); a
file still there at the next start means the last run crashed, and `offer_restore` asks
whether to bring it back.

Off until `start` (``gui.app.run`` starts it; windows built in tests stay quiet).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from core.atomic import WriteError
from core.autosave import autosave_path, clear_autosave, read_autosave, write_autosave

from .state import Document

AUTOSAVE_MS = 3000


class Autosaver(QObject):
    """See the module docstring. ``message(str)`` reports a failed write (status bar)."""

    message = Signal(str)
    restored = Signal()

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.running = False
        self.dirty = False
        self.writes = 0  # how many times the file was written (tests, diagnostics)
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_now)
        document.undo_stack.indexChanged.connect(self._on_stack_indexChanged)

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def start(self, interval_ms: int = AUTOSAVE_MS) -> None:
        self._timer.setInterval(interval_ms)
        self.running = True
        if self.dirty:
            self._timer.start()

    def stop(self, clear: bool = True) -> None:
        """Stop autosaving; ``clear`` removes the file (a clean exit)."""
        self._timer.stop()
        was_running, self.running = self.running, False
        if clear and was_running:
            clear_autosave()

    def discard(self) -> None:
        """The session was just saved: nothing left to rescue, so drop the autosave."""
        self._timer.stop()
        self.dirty = False
        if self.running:
            clear_autosave()

    def _on_stack_indexChanged(self, _index: int) -> None:
        self.dirty = True
        if self.running and not self._timer.isActive():
            self._timer.start()

    def save_now(self) -> None:
        """Write the session now when it changed since the last write (the timer's slot)."""
        self._timer.stop()
        if not self.dirty:
            return
        self.dirty = False
        if self.document.undo_stack.isClean():
            clear_autosave()
            return
        try:
            write_autosave(self.document.session)
        except WriteError as e:
            self.message.emit(f"Autosave failed: {e}")
            return
        self.writes += 1

    def offer_restore(self, ask) -> bool:
        """If an autosave is there, ask ``ask(detail) -> bool`` whether to restore it.

        Yes: the autosaved session replaces the current one (one undo step, modified).
        No: the autosave is removed. Returns whether a session was restored.
        """
        session = read_autosave()
        if session is None:
            return False
        detail = (f"ConvViz did not close normally last time. The session autosaved at "
                  f"{autosave_path()} has a {session.spec.input_shape} input and a "
                  f"{session.spec.weight_shape} kernel.")
        if not ask(detail):
            clear_autosave()
            return False
        self.document.replace_session(session, "Restore autosaved session")
        self.restored.emit()
        return True
