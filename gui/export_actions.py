"""ExportController: what leaves the app besides sessions.

File › Export results (every tensor as .npy files in a folder, or one .npz), Export figure
(the window or a panel, PNG or SVG: `gui.figure_export`), Export animation as GIF (the
selected entry's terms: `gui.gif_export`, with a progress dialog that can cancel), Copy as
PyTorch code, and a grid's "Export as .npy…" (its "Import from .npy…" is
`gui.import_actions`'). The formats are core's (`core.io.export`, `core.verify.snippet`); this
module asks for paths, calls core and says what went wrong through ``prompts`` (one message:
what was not done, and core's reason).

"Copy as PyTorch code" builds its script on a worker thread (it can take half a second on
a big layer); a request newer than the one in flight wins. ``synchronous`` does it inline,
and records GIFs inline too (tests).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QProgressDialog, QWidget

from core.conv import ConvResults
from core.explain import TARGETS
from core.io.atomic import WriteError
from core.io.export import export_npy, export_npz, export_tensor
from core.session import EDITABLE, Session

from .compute import ComputeEngine
from .diagram_export import FILTER as DIAGRAM_FILTER
from .diagram_export import DiagramFrames, diagram_format, gif_recorder, write_diagram
from .document import Document
from .figure_export import FILTER as FIGURE_FILTER
from .figure_export import export_figure, figure_format
from .gif_export import GifRecorder, animation_problem, step_count
from .prompts import Prompts
from .recent_files import RecentFiles
from .selection import SelectionModel, fits

NPY_FILTER = "NumPy array (*.npy);;All files (*)"


def with_suffix(path: str | os.PathLike[str], suffix: str) -> Path:
    """``path``, with ``suffix`` added when it has none."""
    p = Path(path)
    return p if p.suffix else p.with_name(p.name + suffix)


def make_action(parent: QObject, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(slot)
    return action


class ExportController(QObject):
    """See the module docstring. ``message(str)``: a short note for the status bar."""

    message = Signal(str)
    snippetCopied = Signal(str)  # the code put on the clipboard
    gifFinished = Signal(str)  # the GIF written
    _snippetDone = Signal(object)  # (generation, text or exception), from the worker thread

    def __init__(self, window: QMainWindow, document: Document, engine: ComputeEngine,
                 selection: SelectionModel, recent: RecentFiles, prompts: Prompts,
                 synchronous: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window, self.document, self.engine = window, document, engine
        self.selection, self.recent, self.prompts = selection, recent, prompts
        self.synchronous = synchronous
        self.panels: dict[str, QWidget] = {}
        self.gif_widgets: list[QWidget] = []  # stacked in each frame; none: diagram frames
        self.grids: dict = {}
        self.recorder: GifRecorder | None = None
        self.progress: QProgressDialog | None = None
        self.last_snippet: str | None = None
        self._snippet_generation = 0
        self._build_actions()
        self._snippetDone.connect(self._on_snippet_done)

    def _build_actions(self) -> None:
        self.export_menu = QMenu("&Export results", self.window)
        self.export_npy_action = self.export_menu.addAction(".npy files in a &folder…")
        self.export_npy_action.triggered.connect(self.export_results_npy)
        self.export_npz_action = self.export_menu.addAction("One .np&z archive…")
        self.export_npz_action.triggered.connect(self.export_results_npz)
        self.figure_menu = QMenu("Export &figure", self.window)
        self.figure_menu.aboutToShow.connect(self._rebuild_figure_menu)
        self.figure_menu.triggered.connect(self._on_figure_menu_triggered)
        self.gif_action = make_action(
            self, "Export &animation as GIF…", self.export_gif,
            tip="Record the selected entry's animation, term by term, as an animated GIF")
        self.copy_code_action = make_action(
            self, "Copy as &PyTorch code", self.copy_pytorch_code, "Ctrl+Shift+C",
            "A script that rebuilds this layer in torch and checks every result")

    def menu_items(self) -> list[QAction | QMenu]:
        """What the File menu shows, in order."""
        return [self.export_menu, self.figure_menu, self.gif_action, self.copy_code_action]

    def set_gif_widgets(self, widgets: list[QWidget]) -> None:
        """What a GIF frame shows, top to bottom (e.g. the grids, then the equation panel);
        by default (none) each frame is a diagram (`gui.diagram_export`)."""
        self.gif_widgets = list(widgets)

    def add_panel(self, label: str, widget: QWidget) -> None:
        """Offer ``widget`` under File › Export figure as ``label``."""
        self.panels[label] = widget

    # -- results and tensors -------------------------------------------------------------
    def results(self) -> ConvResults | None:
        """The results of the session on screen (computed here only if the engine was never
        asked: one in progress or failed is said, not redone on the UI thread)."""
        latest, session = self.engine.latest, self.document.session
        if latest is not None and latest.session is session:
            return latest.results
        if self.engine.busy:  # never a second, blocking compute of the same layer here
            self.prompts.error("No results to export yet",
                               "The results of this layer are still being computed; export "
                               "again once the status bar shows them.")
            return None
        if self.engine.error is not None:
            self.prompts.error("No results to export", "The layer could not be computed.",
                               self.engine.error)
            return None
        from core.session import compute_session

        try:
            return compute_session(session)
        except ValueError as e:
            self.prompts.error("No results to export", "The layer could not be computed.",
                               str(e))
            return None

    def export_results_npy(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.window, "Export every tensor as .npy into a folder", self.recent.last_folder())
        results = self.results() if folder else None
        if results is None:
            return
        try:
            written = export_npy(folder, self.document.session, results)
        except WriteError as e:
            self.prompts.error("Cannot export the results",
                               "Nothing was written: the folder is as it was.", str(e))
            return
        self.recent.set_last_folder(folder)
        self.message.emit(f"Exported {len(written)} files to {folder}")

    def export_results_npz(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export every tensor into one .npz",
            self._start("convviz_results.npz"), "NumPy archive (*.npz)")
        results = self.results() if path else None
        if results is None:
            return
        path = with_suffix(path, ".npz")
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
            self.window, f"Export {name}", self._start(f"{name}.npy"),
            NPY_FILTER)
        if not path:
            return
        path = with_suffix(path, ".npy")
        try:
            export_tensor(path, array)
        except WriteError as e:
            self.prompts.error(f"Cannot export {name}", f"{path.name} was not written.", str(e))
            return
        self.message.emit(f"Exported {name} {tuple(array.shape)} to {path}")

    # -- figures and animation -----------------------------------------------------------
    def _rebuild_figure_menu(self) -> None:
        self.figure_menu.clear()
        self.figure_menu.addAction("Whole &window…").setData("")
        for text, scale in (("&Diagram: tensors and sum only…", 1.0),
                            ("Diagram at &2× (slides)…", 2.0)):
            action = self.figure_menu.addAction(text)
            action.setData(scale)
            action.setStatusTip("Only the tensors, their labels, highlights and the sum: "
                                "PNG, SVG, or a GIF of the selected entry's terms")
        self.figure_menu.addSeparator()
        for label in self.panels:
            self.figure_menu.addAction(f"{label}…").setData(label)

    def _on_figure_menu_triggered(self, action: QAction) -> None:
        label = action.data()
        if isinstance(label, float):
            self.export_diagram(label)
        elif label is not None:
            self.export_figure(label or None)

    def set_grids(self, grids: dict) -> None:
        """The tensor grids: a diagram shows the slices and the complex view they show."""
        self.grids = dict(grids)

    def diagram_state(self) -> dict | None:
        """What a diagram of the window shows now (`gui.diagram_export.write_diagram`'s
        keywords), or None before the first result."""
        latest = self.engine.latest
        if latest is None:
            return None
        sel = self.selection.selection
        leads = {name: grid.lead for name, grid in self.grids.items()}
        mode = next((g.complex_view for g in self.grids.values()), "real")
        tensor = index = step = None
        if not sel.empty and not sel.is_block() and sel.tensor in TARGETS:
            shape = latest.session.spec.shape(sel.tensor)
            if shape is not None and fits(sel.index, shape):
                tensor, index, step = sel.tensor, sel.index, sel.step
        return dict(session=latest.session, results=latest.results, tensor=tensor,
                    index=index, step=step, mode=mode, leads=leads)

    def export_diagram(self, scale: float = 1.0) -> None:
        """The diagram figure (PNG or SVG), or a GIF of the selected entry's terms."""
        state = self.diagram_state()
        if state is None:
            self.prompts.error("Nothing to draw", "There are no results yet.")
            return
        path, chosen = QFileDialog.getSaveFileName(
            self.window, "Export a diagram of the tensors and the sum",
            self._start("convviz_diagram.png"), DIAGRAM_FILTER)
        if not path:
            return
        fmt = diagram_format(path, chosen)
        path = with_suffix(path, fmt)
        if fmt == ".gif":
            self._record_gif(path, scale)
            return
        try:
            write_diagram(path, **state, scale=scale, fmt=fmt)
        except (WriteError, ValueError) as e:
            self.prompts.error("Cannot export the diagram", f"{path.name} was not written.",
                               str(e))
            return
        self.message.emit(f"Exported the diagram to {path}")

    def export_figure(self, panel: str | None = None) -> None:
        """The whole window (``panel`` None) or one panel, as PNG or SVG."""
        widget = self.window if panel is None else self.panels[panel]
        stem = "convviz" if panel is None else panel.split()[0].lower().replace("/", "_")
        path, chosen = QFileDialog.getSaveFileName(
            self.window, f"Export {panel or 'the window'} as a figure",
            self._start(f"{stem}.png"), FIGURE_FILTER)
        if not path:
            return
        fmt = figure_format(path, chosen)
        path = with_suffix(path, fmt)
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
        index = "_".join(str(i) for i in sel.index)
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export the animation as a GIF",
            self._start(f"{sel.tensor}_{index}.gif"), "Animated GIF (*.gif)")
        if not path:
            return None
        return self._record_gif(with_suffix(path, ".gif"))

    def _record_gif(self, path: Path, scale: float = 1.0) -> GifRecorder | None:
        """Record the selected entry's terms: diagram frames (no window chrome, no blank
        strips), or the widgets given to `set_gif_widgets`."""
        state = self.diagram_state()
        sel = self.selection.selection
        problem = animation_problem(None if state is None else state["session"], sel)
        if problem is not None:
            self.prompts.error("Nothing to animate", "Cannot export an animation.", problem)
            return None
        if self.gif_widgets:
            count = step_count(state["session"], sel)
            recorder = GifRecorder(self.gif_widgets, self.selection, count, path, self)
        else:
            frames = DiagramFrames(state["session"], state["results"], sel.tensor, sel.index,
                                   scale, state["mode"], state["leads"])
            recorder = gif_recorder(path, frames, self)
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
        self.recorder, self.progress = recorder, progress
        if self.synchronous:
            recorder.run()
        else:
            recorder.start()
        return recorder

    def _on_recorder_ended(self, *_args) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None
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
        self.message.emit(f"Copied {lines} lines of PyTorch code: this layer with these values, "
                          f"forward, backward and asserts against ConvViz's results")
        self.snippetCopied.emit(outcome)

    def _start(self, name: str) -> str:
        """Where a save dialog starts: ``name`` in the folder last used."""
        return str(Path(self.recent.last_folder()) / name)


def _snippet_job(done: Signal, generation: int, session: Session,
                 results: ConvResults | None) -> None:
    """Build the snippet (computing the results first if needed) and report it."""
    from core.session import compute_session
    from core.verify.snippet import pytorch_snippet

    try:
        outcome: object = pytorch_snippet(session, results or compute_session(session))
    except Exception as e:  # reported in a dialog, never a traceback
        outcome = e
    try:
        done.emit((generation, outcome))
    except RuntimeError:  # the window is gone
        pass
