"""Autosaver: the session goes to this instance's rescue file a few seconds after each change.

Uses `core.io.autosave` for the files: each running instance has its own, locked while it runs,
so two instances never overwrite, offer or delete each other's. A change (the undo stack's
index moves) marks the document dirty and starts a single-shot timer, so that a burst of
edits is written once, `AUTOSAVE_MS` after the first of them; nothing is written when
nothing changed since the last write. An unmodified document (just saved, or undone back to
the saved state) needs no rescue, so its autosave is removed instead. A clean exit removes
it and the lock (`stop`); `offer_restore` offers the rescues of instances that are gone.

Files are written on a worker thread: a session's arrays are read-only, so handing the
current one over is a free snapshot, and the UI never waits for the disk (only a clean exit
waits for the last write, `EXIT_WAIT_S` at most). A session whose tensors exceed
``max_bytes`` is not autosaved, and the status bar says so at each change.

Off until `start` (``gui.app.run`` starts it; windows built in tests stay quiet).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

from core.budget import format_bytes
from core.io.atomic import WriteError
from core.io.autosave import AutosaveSlot, Rescue, find_rescues
from core.session import Session

from .document import Document
from .worker import Worker

AUTOSAVE_MS = 3000
MAX_BYTES = 256 * 2**20
EXIT_WAIT_S = 10.0


class Autosaver(QObject):
    """See the module docstring. ``message(str)`` reports a failed write (status bar)."""

    message = Signal(str)
    restored = Signal()
    _delivered = Signal(str, object)  # (tag, outcome) from the file worker

    def __init__(self, document: Document, parent: QObject | None = None, *,
                 folder: Path | None = None, token: str | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.folder, self.token = folder, token
        self.slot: AutosaveSlot | None = None  # made at start: the folder is read then
        self.running = False
        self.dirty = False
        self.max_bytes = MAX_BYTES
        self.writes = 0  # how many times the file was written (tests, diagnostics)
        self._worker: Worker | None = None
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_now)
        self._delivered.connect(self._on_delivered)
        document.undo_stack.indexChanged.connect(self._on_stack_indexChanged)

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    @property
    def path(self) -> Path | None:
        """This instance's autosave file (None until started)."""
        return None if self.slot is None else self.slot.path

    def _ensure_slot(self) -> AutosaveSlot:
        if self.slot is None:
            self.slot = AutosaveSlot(self.folder, self.token)
        try:
            self.slot.acquire()
        except OSError as e:
            self.message.emit(f"Autosave: cannot lock {self.slot.lock_path}: {e}")
        return self.slot

    def start(self, interval_ms: int = AUTOSAVE_MS) -> None:
        self._ensure_slot()
        self._timer.setInterval(interval_ms)
        self.running = True
        if self.dirty:
            self._timer.start()

    def stop(self, clear: bool = True) -> None:
        """Stop autosaving and give the lock up; ``clear`` also removes the file (a clean
        exit). Waits for a write in progress first, so that none lands after it."""
        self._timer.stop()
        was_running, self.running = self.running, False
        if was_running and self.slot is not None:
            slot = self.slot
            self._submit("release", lambda: slot.release(keep_file=not clear))
        self.flush(EXIT_WAIT_S)
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def flush(self, timeout: float = EXIT_WAIT_S) -> bool:
        """Wait until the files are as asked (every write and removal done); report them."""
        done = self._worker is None or self._worker.flush(timeout)
        QCoreApplication.sendPostedEvents(self)
        return done

    def discard(self) -> None:
        """The session was just saved: nothing left to rescue, so drop the autosave."""
        self._timer.stop()
        self.dirty = False
        if self.running and self.slot is not None:
            self._submit("clear", self.slot.clear)

    def _on_stack_indexChanged(self, _index: int) -> None:
        self.dirty = True
        if self.running and not self._timer.isActive():
            self._timer.start()

    def save_now(self) -> None:
        """Hand the session to the writer when it changed since the last write (the timer's
        slot); returns at once."""
        self._timer.stop()
        if not self.dirty or self.slot is None:
            return
        self.dirty = False
        if self.document.undo_stack.isClean():
            self._submit("clear", self.slot.clear)
            return
        self._write(self.document.session)

    def _write(self, session: Session, adopting: Rescue | None = None) -> bool:
        size = sum(a.nbytes for a in session.tensors().values())
        if size > self.max_bytes:
            self.message.emit(f"Autosave is off for this size: the tensors take "
                              f"{format_bytes(size)}, over the autosave limit of "
                              f"{format_bytes(self.max_bytes)}. Save with Ctrl+S.")
            return False
        slot = self.slot

        def job() -> Path:
            try:
                path = slot.write(session)
            except Exception:
                if adopting is not None:
                    adopting.release()  # this copy failed: the dead owner's stays
                raise
            if adopting is not None:
                adopting.discard()
            return path

        self._submit("write", job)
        return True

    def _submit(self, tag: str, job: Callable[[], object]) -> None:
        if self._worker is None:
            self._worker = Worker("convviz-autosave")
        self._worker.submit(job, partial(self._delivered.emit, tag))

    @Slot(str, object)
    def _on_delivered(self, tag: str, outcome: object) -> None:
        if isinstance(outcome, WriteError | OSError):
            what = "failed" if tag == "write" else "could not remove its file"
            self.message.emit(f"Autosave {what}: {outcome}")
        elif isinstance(outcome, Exception):
            raise outcome  # a bug: the app's error handler logs and shows it
        elif tag == "write":
            self.writes += 1

    def offer_restore(self, ask: Callable[[str], bool]) -> bool:
        """Offer each rescue left by an instance that is gone, newest first, through
        ``ask(detail) -> bool``.

        Yes: that session replaces the current one (one undo step, modified) and becomes
        this instance's autosave; the others stay for next time. No: that rescue is removed
        (only that one: running instances' files are never offered). Returns whether a
        session was restored.
        """
        self._ensure_slot()
        rescues = find_rescues(self.slot.folder)
        try:
            while rescues:
                rescue = rescues.pop(0)
                session = rescue.read()
                if session is None:
                    rescue.release()
                    continue
                if not ask(_detail(rescue, session, len(rescues))):
                    rescue.discard()
                    continue
                if not self.document.replace_session(session, "Restore autosaved session"):
                    rescue.release()  # refused (too large): kept, and the status bar says why
                    return False
                self._adopt(rescue, session)
                self.restored.emit()
                return True
            return False
        finally:
            for rest in rescues:
                rest.release()

    def _adopt(self, rescue: Rescue, session: Session) -> None:
        """The restored session is this instance's to rescue now: the dead owner's file goes
        only once this instance's own copy is written (or cannot be: too large)."""
        self.dirty = False
        if not self._write(session, adopting=rescue):
            rescue.discard()


def _detail(rescue: Rescue, session: Session, more: int) -> str:
    owner = f" (process {rescue.owner})" if rescue.owner else ""
    text = (f"A ConvViz window{owner} did not close normally. The session it autosaved at "
            f"{rescue.path} has a {session.spec.input_shape} input and a "
            f"{session.spec.weight_shape} kernel.")
    if more:
        text += f" ({more} more autosaved session{'s' if more > 1 else ''} to offer.)"
    return text
