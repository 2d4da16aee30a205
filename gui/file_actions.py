"""FileController: the File menu: sessions, recent files, exports, figures, GIFs, code.

Owns the QActions and what they do; `MainWindow` builds it, puts `fill_menu` into its File
menu and connects ``message`` to the status bar. The file formats live in core
(`core.session_io`, `core.export`, `core.tensor_import`, `core.snippet`, `core.autosave`);
this module asks for paths, calls core, and says clearly what went wrong:

- every failure is one message (`Prompts.error`): what was not done, and core's reason;
  a session that cannot be opened leaves the current one untouched;
- the window title names the file and shows the modified mark (``[*]``, driven by
  ``QUndoStack.cleanChanged``);
- "Copy as PyTorch code" builds its script on a worker thread (it can take half a second
  on a big layer); a request newer than the one in flight wins;
- `start` (called by ``gui.app.run``) turns on autosave, the offer to restore one left by a
  crash, and the question before closing unsaved work. Windows made in tests stay quiet.

File dialogs are Qt's static ``QFileDialog`` functions and message boxes go through
``self.prompts``: tests replace both.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import shiboken6
from PySide6.QtCore import QEvent, QObject, QSettings, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QProgressDialog, QWidget

from core.atomic import WriteError
from core.conv import ConvResults
from core.export import export_npy, export_npz, export_tensor
from core.session import EDITABLE, Session
from core.session_io import SessionError, load_session, save_session
from core.tensor_import import TensorFileError, describe_change, import_npy

from .autosaver import Autosaver
from .compute import ComputeEngine
from .figure_export import FILTER as FIGURE_FILTER
from .figure_export import export_figure, figure_format
from .gif_export import GifRecorder, animation_problem, step_count
from .prompts import CANCEL, SAVE, Prompts
from .recent_files import RecentFiles
from .selection import SelectionModel
from .state import Document

SESSION_FILTER = "ConvViz session (*.npz);;All files (*)"
NPY_FILTER = "NumPy array (*.npy);;All files (*)"
APP = "ConvViz"


def _with_suffix(path: str, suffix: str) -> Path:
    p = Path(path)
    return p if p.suffix else p.with_name(p.name + suffix)


class FileController(QObject):
    """See the module docstring."""

    message = Signal(str)  # a short note for the status bar
    pathChanged = Signal(str)  # the session's file ('' when untitled)
    snippetCopied = Signal(str)  # the code put on the clipboard
    gifFinished = Signal(str)  # the GIF written
    _snippetDone = Signal(object)  # (generation, text or exception), from the worker thread

    def __init__(self, window: QMainWindow, document: Document, engine: ComputeEngine,
                 selection: SelectionModel, *, settings: QSettings | None = None,
                 prompts: Prompts | None = None, synchronous: bool = False) -> None:
        super().__init__(window)
        self.window, self.document, self.engine = window, document, engine
        self.selection = selection
        self.prompts = prompts or Prompts(window)
        self.synchronous = synchronous
        self.path: Path | None = None
        self.panels: dict[str, QWidget] = {}
        self.gif_widget: QWidget | None = None  # None: the window's central widget
        self.recorder: GifRecorder | None = None
        self.guard_close = False
        self.last_snippet: str | None = None
        self._snippet_generation = 0
        self.recent = RecentFiles(settings, window)
        self.autosaver = Autosaver(document, self)
        self._progress: QProgressDialog | None = None
        self._build_actions()
        self.recent.openRequested.connect(self.open_path)
        self.autosaver.message.connect(self.message)
        document.undo_stack.cleanChanged.connect(self._on_stack_cleanChanged)
        self._snippetDone.connect(self._on_snippet_done)
        window.installEventFilter(self)
        self._update_title()

    # -- building ------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        keys = QKeySequence.StandardKey
        self.open_action = self._action("&Open…", self.open, keys.Open,
                                        "Open a session (.npz)")
        self.save_action = self._action("&Save", self.save, keys.Save,
                                        "Save the session (spec and tensors) as one .npz")
        self.save_as_action = self._action("Save &As…", self.save_as, "Ctrl+Shift+S")
        self.export_menu = QMenu("&Export results", self.window)
        self.export_npy_action = self.export_menu.addAction(".npy files in a &folder…")
        self.export_npy_action.triggered.connect(self.export_results_npy)
        self.export_npz_action = self.export_menu.addAction("One .np&z archive…")
        self.export_npz_action.triggered.connect(self.export_results_npz)
        self.figure_menu = QMenu("Export &figure", self.window)
        self.figure_menu.aboutToShow.connect(self._rebuild_figure_menu)
        self.figure_menu.triggered.connect(self._on_figure_menu_triggered)
        self.gif_action = self._action(
            "Export &animation as GIF…", self.export_gif,
            tip="Record the selected entry's animation, term by term, as an animated GIF")
        self.copy_code_action = self._action(
            "Copy as &PyTorch code", self.copy_pytorch_code, "Ctrl+Shift+C",
            "A script that rebuilds this nn.Conv2d in torch and checks every result")

    def fill_menu(self, menu: QMenu) -> None:
        """Put the file actions at the top of ``menu`` (before what it already holds)."""
        first = menu.actions()[0] if menu.actions() else menu.addSeparator()
        items = [self.open_action, self.recent.menu, None, self.save_action,
                 self.save_as_action, None, self.export_menu, self.figure_menu,
                 self.gif_action, self.copy_code_action, None]
        for item in items:
            if item is None:
                menu.insertSeparator(first)
            elif isinstance(item, QMenu):
                menu.insertMenu(first, item)
            else:
                menu.insertAction(first, item)

    def add_panel(self, label: str, widget: QWidget) -> None:
        """Offer ``widget`` under File › Export figure as ``label``."""
        self.panels[label] = widget

    def set_settings(self, settings: QSettings) -> None:
        self.recent.set_settings(settings)

    # -- title and closing ---------------------------------------------------------------
    @property
    def display_name(self) -> str:
        return self.path.name if self.path else "untitled"

    def _update_title(self) -> None:
        self.window.setWindowTitle(f"{self.display_name}[*] — {APP}")
        self.window.setWindowModified(not self.document.undo_stack.isClean())

    def _on_stack_cleanChanged(self, clean: bool) -> None:
        if shiboken6.isValid(self.window):  # the stack clears itself as the window goes
            self.window.setWindowModified(not clean)

    def set_path(self, path: str | os.PathLike[str] | None, remember: bool = True) -> None:
        """The session now on screen is this file's, unmodified (after open or save);
        ``remember`` puts it first in Open Recent."""
        self.path = None if path is None else Path(path).resolve()
        self.document.undo_stack.setClean()
        if self.path is not None and remember:
            self.recent.add(self.path)
            self._settings_set("files/lastDir", str(self.path.parent))
        self._update_title()
        self.pathChanged.emit(str(self.path or ""))

    def start(self) -> None:
        """Interactive run: offer an autosave left by a crash, autosave, ask before closing."""
        self.guard_close = True
        self.autosaver.offer_restore(self._ask_restore)
        self.autosaver.start()

    def _ask_restore(self, detail: str) -> bool:
        return self.prompts.question("Restore autosaved session?",
                                     "Restore the session autosaved before ConvViz last "
                                     "stopped?", detail)

    def confirm_discard(self) -> bool:
        """True when unsaved work may go (saved now, discarded, or there was none)."""
        if self.document.undo_stack.isClean():
            return True
        answer = self.prompts.unsaved_changes(self.display_name)
        if answer == SAVE:
            return self.save()
        return answer != CANCEL

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            if self.guard_close and not self.confirm_discard():
                event.ignore()
                return True
            self.autosaver.stop(clear=True)
        return False

    # -- sessions ------------------------------------------------------------------------
    def open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open session", self._last_dir(),
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
        if not self.confirm_discard():
            return False
        self.document.replace_session(session, f"Open {path.name}")
        self.document.undo_stack.clear()  # a new document: its history starts here
        self.set_path(path)
        self.message.emit(f"Opened {path}")
        return True

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        start = str(self.path) if self.path else str(Path(self._last_dir()) / "session.npz")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save session as", start,
                                              SESSION_FILTER)
        return bool(path) and self.save_to(_with_suffix(path, ".npz"))

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

    # -- exports -------------------------------------------------------------------------
    def results(self) -> ConvResults | None:
        """The results of the session on screen (computed here if the engine has none yet)."""
        latest, session = self.engine.latest, self.document.session
        if latest is not None and latest.session is session:
            return latest.results
        from core.headless import compute_session

        try:
            return compute_session(session)
        except ValueError as e:
            self.prompts.error("No results to export", "The layer could not be computed.",
                               str(e))
            return None

    def export_results_npy(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.window, "Export every tensor as .npy into a folder", self._last_dir())
        results = self.results() if folder else None
        if results is None:
            return
        try:
            written = export_npy(folder, self.document.session, results)
        except WriteError as e:
            self.prompts.error("Cannot export the results", "The export is incomplete.", str(e))
            return
        self._settings_set("files/lastDir", folder)
        self.message.emit(f"Exported {len(written)} files to {folder}")

    def export_results_npz(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export every tensor into one .npz",
            str(Path(self._last_dir()) / "convviz_results.npz"), "NumPy archive (*.npz)")
        results = self.results() if path else None
        if results is None:
            return
        path = _with_suffix(path, ".npz")
        try:
            export_npz(path, self.document.session, results)
        except WriteError as e:
            self.prompts.error("Cannot export the results", f"{path.name} was not written.",
                               str(e))
            return
        self.message.emit(f"Exported every tensor and the spec to {path}")

    def export_tensor(self, name: str) -> None:
        """Save one tensor (a grid's context menu) as a .npy file."""
        if name in EDITABLE:
            array = self.document.tensor(name)
        else:
            results = self.results()
            array = None if results is None else getattr(results, name)
        if array is None:
            self.prompts.error("Nothing to export", f"This layer has no {name} (bias=False).")
            return
        path, _ = QFileDialog.getSaveFileName(
            self.window, f"Export {name}", str(Path(self._last_dir()) / f"{name}.npy"),
            NPY_FILTER)
        if not path:
            return
        path = _with_suffix(path, ".npy")
        try:
            export_tensor(path, array)
        except WriteError as e:
            self.prompts.error(f"Cannot export {name}", f"{path.name} was not written.", str(e))
            return
        self.message.emit(f"Exported {name} {tuple(array.shape)} to {path}")

    def import_tensor(self, name: str) -> None:
        """Load a .npy into editable tensor ``name``; offer to reshape the layer if needed."""
        path, _ = QFileDialog.getOpenFileName(self.window, f"Import {name} from a .npy file",
                                              self._last_dir(), NPY_FILTER)
        if path:
            self.import_tensor_from(name, path)

    def import_tensor_from(self, name: str, path: str | os.PathLike[str]) -> bool:
        path, session = Path(path), self.document.session
        try:
            imp = import_npy(path, name, session)
        except TensorFileError as e:
            self.prompts.error(f"Cannot import {name}", f"{path.name} was not imported.",
                               str(e))
            return False
        if imp.fits:
            self.document.replace_session(imp.apply(session), f"Import {name} from {path.name}")
            self.message.emit(f"Imported {name} {tuple(imp.array.shape)} from {path}")
            return True
        if imp.proposal is None:
            self.prompts.error(f"Cannot import {name}", f"{path.name} was not imported.",
                               imp.refusal)
            return False
        change = describe_change(session.spec, imp.proposal)
        if not self.prompts.question(f"Reshape the layer for {name}?",
                                     f"{imp.problem}.\n\nChange the layer to fit it?",
                                     f"Changes: {change}. Values are kept where the old and "
                                     f"new shapes overlap; Undo takes it back."):
            return False
        self.document.replace_session(imp.apply(session),
                                      f"Import {name} from {path.name} (reshape layer)")
        self.message.emit(f"Imported {name} {tuple(imp.array.shape)}; the layer now has {change}")
        return True

    # -- figures and animation -----------------------------------------------------------
    def _rebuild_figure_menu(self) -> None:
        self.figure_menu.clear()
        self.figure_menu.addAction("Whole &window…").setData("")
        self.figure_menu.addSeparator()
        for label in self.panels:
            self.figure_menu.addAction(f"{label}…").setData(label)

    def _on_figure_menu_triggered(self, action: QAction) -> None:
        label = action.data()
        if label is not None:
            self.export_figure(label or None)

    def export_figure(self, panel: str | None = None) -> None:
        """The whole window (``panel`` None) or one panel, as PNG or SVG."""
        widget = self.window if panel is None else self.panels[panel]
        stem = "convviz" if panel is None else panel.split()[0].lower().replace("/", "_")
        path, chosen = QFileDialog.getSaveFileName(
            self.window, f"Export {panel or 'the window'} as a figure",
            str(Path(self._last_dir()) / f"{stem}.png"), FIGURE_FILTER)
        if not path:
            return
        fmt = figure_format(path, chosen)
        path = _with_suffix(path, fmt)
        try:
            export_figure(widget, path, fmt, title=f"ConvViz — {panel or 'window'}")
        except (WriteError, ValueError) as e:
            self.prompts.error("Cannot export the figure", f"{path.name} was not written.",
                               str(e))
            return
        self.message.emit(f"Exported {panel or 'the window'} to {path}")

    def export_gif(self) -> GifRecorder | None:
        """Record the selected entry's animation as an animated GIF (with a progress dialog)."""
        latest = self.engine.latest
        session = latest.session if latest is not None else None
        sel = self.selection.selection
        problem = animation_problem(session, sel)
        if problem is not None:
            self.prompts.error("Nothing to animate", "Cannot export an animation.", problem)
            return None
        count = step_count(session, sel)
        index = "_".join(str(i) for i in sel.index)
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export the animation as a GIF",
            str(Path(self._last_dir()) / f"{sel.tensor}_{index}.gif"), "Animated GIF (*.gif)")
        if not path:
            return None
        widget = self.gif_widget or self.window.centralWidget() or self.window
        recorder = GifRecorder(widget, self.selection, count, _with_suffix(path, ".gif"), self)
        progress = QProgressDialog("Rendering the animation…", "Cancel", 0,
                                   len(recorder.steps), self.window)
        progress.setWindowTitle("Export animation")
        progress.setMinimumDuration(300)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.canceled.connect(recorder.cancel)
        recorder.progressed.connect(progress.setValue)
        for signal in (recorder.finished, recorder.failed, recorder.canceled):
            signal.connect(self._on_recorder_ended)
        recorder.finished.connect(self._on_recorder_finished)
        recorder.failed.connect(self._on_recorder_failed)
        self.recorder, self._progress = recorder, progress
        if self.synchronous:
            recorder.run()
        else:
            recorder.start()
        return recorder

    def _on_recorder_ended(self, *_args) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        if self.recorder is not None:
            self.recorder.deleteLater()
            self.recorder = None

    def _on_recorder_finished(self, path: str) -> None:
        self.message.emit(f"Wrote the animation to {path}")
        self.gifFinished.emit(path)

    def _on_recorder_failed(self, reason: str) -> None:
        self.prompts.error("Cannot export the animation", "The GIF was not written.", reason)

    # -- copy as PyTorch code ------------------------------------------------------------
    def copy_pytorch_code(self) -> None:
        """Put a script that rebuilds this layer in torch on the clipboard (worker thread)."""
        self._snippet_generation += 1
        generation, session = self._snippet_generation, self.document.session
        latest = self.engine.latest
        results = latest.results if latest is not None and latest.session is session else None
        self.message.emit("Writing the PyTorch code…")
        if self.synchronous:
            _snippet_job(self._snippetDone, generation, session, results)
        else:
            threading.Thread(target=_snippet_job, name="convviz-snippet", daemon=True,
                             args=(self._snippetDone, generation, session, results)).start()

    def _on_snippet_done(self, message: tuple[int, object]) -> None:
        generation, outcome = message
        if generation != self._snippet_generation:
            return  # a newer request is on its way
        if isinstance(outcome, Exception):
            self.prompts.error("Cannot write the PyTorch code", "Nothing was copied.",
                               f"{type(outcome).__name__}: {outcome}")
            return
        QGuiApplication.clipboard().setText(outcome)
        self.last_snippet = outcome
        lines = outcome.count("\n")
        self.message.emit(f"Copied {lines} lines of PyTorch code: nn.Conv2d with these values, "
                          f"forward, backward and asserts against ConvViz's results")
        self.snippetCopied.emit(outcome)

    # -- settings ------------------------------------------------------------------------
    def _last_dir(self) -> str:
        folder = self.recent.settings.value("files/lastDir")
        if isinstance(folder, str) and os.path.isdir(folder):
            return folder
        return str(self.path.parent) if self.path else os.getcwd()

    def _settings_set(self, key: str, value: str) -> None:
        self.recent.settings.setValue(key, value)


def _snippet_job(done: Signal, generation: int, session: Session,
                 results: ConvResults | None) -> None:
    """Build the snippet (computing the results first if needed) and report it."""
    from core.headless import compute_session
    from core.snippet import pytorch_snippet

    try:
        outcome: object = pytorch_snippet(session, results or compute_session(session))
    except Exception as e:  # reported in a dialog, never a traceback
        outcome = e
    try:
        done.emit((generation, outcome))
    except RuntimeError:  # the window is gone
        pass
