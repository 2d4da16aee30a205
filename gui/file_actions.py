"""FileController: the File menu: sessions, recent files, the title, autosave, closing.

`MainWindow` builds it, puts `fill_menu` into its File menu and connects ``message`` to
the status bar. Sessions are core's (`core.io.session_io`, `core.io.autosave`); this module asks
for paths, calls core and says clearly what went wrong: every failure is one message
(`Prompts.error`) with what was not done and core's reason, and a session that cannot be
opened leaves the current one untouched. The window title names the file and shows the
modified mark (``[*]``: an edit since the file was opened or saved, `unsaved_work`).
Everything else that leaves the app (results, figures, GIFs, code, one tensor) is its
`ExportController`, ``self.exports``, whose items share the File menu.

`start` (called by ``gui.app.run``) turns on autosave, the offer to restore one left by a
crash, and the question before closing unsaved work; windows made in tests stay quiet.
File dialogs are Qt's static ``QFileDialog`` functions and message boxes go through
``self.prompts``: tests replace both.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import shiboken6
from PySide6.QtCore import QEvent, QObject, QSettings, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu

from core.budget import BudgetError
from core.io.atomic import WriteError
from core.io.session_io import SessionError, load_session, save_session
from core.session import Session
from core.torch_layer import layer_class

from .autosaver import Autosaver
from .compute import ComputeEngine
from .document import Document, ReplaceSession, default_session
from .export_actions import ExportController, make_action, with_suffix
from .prompts import CANCEL, SAVE, Prompts
from .recent_files import RecentFiles
from .selection import SelectionModel

SESSION_FILTER = "ConvViz session (*.npz);;All files (*)"
APP = "ConvViz"


class FileController(QObject):
    """See the module docstring."""

    message = Signal(str)  # a short note for the status bar
    pathChanged = Signal(str)  # the session's file ('' when untitled)
    documentReplaced = Signal()  # a preset, New or an opened file (or undoing one) is on screen

    def __init__(self, window: QMainWindow, document: Document, engine: ComputeEngine,
                 selection: SelectionModel, *, settings: QSettings | None = None,
                 prompts: Prompts | None = None, synchronous: bool = False) -> None:
        super().__init__(window)
        self.window, self.document = window, document
        self.path: Path | None = None
        self.guard_close = False
        self.recent = RecentFiles(settings, window)
        self.autosaver = Autosaver(document, self)
        self.exports = ExportController(window, document, engine, selection, self.recent,
                                        prompts or Prompts(window), synchronous, self)
        self._build_actions()
        self.recent.openRequested.connect(self.open_path)
        self.autosaver.message.connect(self.message)
        self.autosaver.restored.connect(self._on_autosaver_restored)
        self.exports.message.connect(self.message)
        # the mark follows what closing would ask about (`unsaved_work`), step by step
        document.undo_stack.indexChanged.connect(self._on_stack_changed)
        document.undo_stack.cleanChanged.connect(self._on_stack_changed)
        document.specChanged.connect(self._on_document_specChanged)  # the kind is in the title
        window.installEventFilter(self)
        self._update_title()

    @property
    def prompts(self) -> Prompts:
        return self.exports.prompts

    @prompts.setter
    def prompts(self, prompts: Prompts) -> None:
        self.exports.prompts = prompts

    @property
    def synchronous(self) -> bool:
        return self.exports.synchronous

    @synchronous.setter
    def synchronous(self, on: bool) -> None:
        self.exports.synchronous = on

    # -- building ------------------------------------------------------------------------
    def _build_actions(self) -> None:
        keys = QKeySequence.StandardKey
        self.new_action = make_action(self, "&New", self.new, keys.New,
                                      "A new session with the default layer (not saved yet)")
        self.open_action = make_action(self, "&Open…", self.open, keys.Open,
                                       "Open a session (.npz)")
        self.save_action = make_action(self, "&Save", self.save, keys.Save,
                                       "Save the session (spec and tensors) as one .npz")
        self.save_as_action = make_action(self, "Save &As…", self.save_as, "Ctrl+Shift+S")

    def fill_menu(self, menu: QMenu) -> None:
        """Put the file actions at the top of ``menu`` (before what it already holds)."""
        first = menu.actions()[0] if menu.actions() else menu.addSeparator()
        items = [self.new_action, self.open_action, self.recent.menu, None, self.save_action,
                 self.save_as_action, None, *self.exports.menu_items(), None]
        for item in items:
            if item is None:
                menu.insertSeparator(first)
            elif isinstance(item, QMenu):
                menu.insertMenu(first, item)
            else:
                menu.insertAction(first, item)

    def set_settings(self, settings: QSettings) -> None:
        self.recent.set_settings(settings)

    # -- title and closing ---------------------------------------------------------------
    @property
    def display_name(self) -> str:
        return self.path.name if self.path else "untitled"

    def _on_document_specChanged(self, _spec) -> None:
        self._update_title()

    def _update_title(self) -> None:
        """'file[*] — nn.ConvTranspose2d — ConvViz': the file and the layer on screen."""
        layer = layer_class(self.document.spec)
        self.window.setWindowTitle(f"{self.display_name}[*] — nn.{layer} — {APP}")
        self.window.setWindowModified(self.unsaved_work())

    def _on_stack_changed(self, *_args) -> None:
        if shiboken6.isValid(self.window):  # the stack clears itself as the window goes
            self.window.setWindowModified(self.unsaved_work())

    def set_path(self, path: str | os.PathLike[str] | None, remember: bool = True) -> None:
        """The session now on screen is this file's, unmodified (after open or save);
        ``remember`` puts it first in Open Recent."""
        resolved = None if path is None else Path(path).resolve()
        self.document.undo_stack.setClean()
        if resolved is not None and remember:
            self.recent.add(resolved)
            self.recent.set_last_folder(resolved.parent)
        self._show_path(resolved)

    def _show_path(self, path: Path | None) -> None:
        """The file the document on screen belongs to, as an undo step leaves it (its clean
        state is the undo stack's business)."""
        self.path = path
        self._update_title()
        self.pathChanged.emit(str(path or ""))

    def start(self) -> None:
        """Interactive run: offer an autosave left by a crash, autosave, ask before closing."""
        self.guard_close = True
        self.autosaver.offer_restore(self._ask_restore)
        self.autosaver.start()

    def _on_autosaver_restored(self) -> None:
        # a rescue belongs to no file (the crashed run may have had another one open): Save
        # asks for a name rather than overwrite the file given on the command line with it
        self._show_path(None)
        self.documentReplaced.emit()

    def _ask_restore(self, detail: str) -> bool:
        return self.prompts.question("Restore autosaved session?",
                                     "Restore the session autosaved before ConvViz last "
                                     "stopped?", detail)

    def confirm_discard(self, before: str = "closing") -> bool:
        """True when unsaved work may go (saved now, discarded, or there was none) before
        ``before`` ("closing", "opening s3d.npz": what the prompt names)."""
        if not self.unsaved_work():
            return True
        answer = self.prompts.unsaved_changes(self.display_name, before)
        if answer == SAVE:
            return self.save()
        return answer != CANCEL

    def unsaved_work(self) -> bool:
        """Whether closing this document would lose an edit: the steps since the saved (or
        first) state are not all loads of a preset or New. An unedited preset is no work
        to save (Open right after one asked to save "changes", review r12 F14), and the
        title's modified mark says the same."""
        stack = self.document.undo_stack
        clean, index = stack.cleanIndex(), stack.index()
        if clean < 0 or clean > index:
            return True
        return not all(isinstance(stack.command(i), _LoadDocument) for i in range(clean, index))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            if self.guard_close and not self.confirm_discard():
                event.ignore()
                return True
            self.autosaver.stop(clear=True)
        return False

    # -- sessions ------------------------------------------------------------------------
    def new(self) -> None:
        self.load_document(default_session(), "New session")

    def load_document(self, session: Session, text: str) -> None:
        """A document that belongs to no file (a preset, New): one undo step that also detaches
        the file on screen, so that Save asks for a name instead of overwriting that file with
        it; undo brings back the old document and its file."""
        self.document.replace_session(session, text, make=partial(_LoadDocument, self))

    def open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open session", self._last_folder(),
                                              SESSION_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | os.PathLike[str]) -> bool:
        """Open a session file; on any problem say why and leave the current session as is."""
        path = Path(path)
        try:
            session = load_session(path)
        except SessionError as e:
            if not path.is_file():
                self.recent.remove(path)
            self.prompts.error("Cannot open the session",
                               f"{path.name} was not opened; the current session is unchanged.",
                               e.problem)
            return False
        try:  # before asking about unsaved work: a refused file changes nothing
            self.document.check(session.spec, what=f"the layer in {path.name}")
        except BudgetError as e:
            self.prompts.error("Cannot open the session",
                               f"{path.name} was not opened; the current session is unchanged.",
                               str(e))
            return False
        if not self.confirm_discard(f"opening {path.name}"):
            return False
        if not self.document.replace_session(session, f"Open {path.name}"):
            return False
        self.document.undo_stack.clear()  # a new document: its history starts here
        self.set_path(path)
        self.documentReplaced.emit()
        self.message.emit(f"Opened {path}")
        return True

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        start = str(self.path) if self.path else str(Path(self._last_folder()) / "session.npz")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save session as", start,
                                              SESSION_FILTER)
        return bool(path) and self.save_to(with_suffix(path, ".npz"))

    def save_to(self, path: str | os.PathLike[str]) -> bool:
        path = Path(path)
        try:
            save_session(path, self.document.session)
        except WriteError as e:
            self.prompts.error("Cannot save the session", f"{path.name} was not saved.", str(e))
            return False
        self.set_path(path)
        self.autosaver.discard()
        self.message.emit(f"Saved {path}")
        return True

    def _last_folder(self) -> str:
        return self.recent.last_folder(self.path.parent if self.path else None)


class _LoadDocument(ReplaceSession):
    """Replace the session and detach its file (redo), or bring both back (undo)."""

    def __init__(self, files: FileController, doc, old: Session, new: Session,
                 text: str) -> None:
        super().__init__(doc, old, new, text)
        self._files, self._old_path = files, files.path

    def _copy_extra(self, copy: ReplaceSession) -> None:
        copy._files, copy._old_path = self._files, self._old_path

    def redo(self) -> None:
        if self._doc._replaying:
            return
        super().redo()
        self._files._show_path(None)
        self._files.documentReplaced.emit()

    def undo(self) -> None:
        if self._doc._replaying:
            return
        super().undo()
        self._files._show_path(self._old_path)
        self._files.documentReplaced.emit()
