"""MainWindow: builds the parts and connects them. No logic lives here.

    LayerPanel / TensorGrid ──edited──▶ Document ──▶ QUndoStack
                                          │ sessionChanged
    grids.set_result ◀── resultReady ◀── ComputeEngine.request
                              └──▶ CrossChecker ◀── TorchProbe (torch loaded after the first paint)

Later features hook in here: ``file_menu`` (sessions, export), ``view_menu``,
``selection`` (the transient `SelectionModel`), ``grids.grids[name].set_highlight``.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QToolBar,
    QUndoView,
    QWidget,
)

from core.session import Session

from . import _compat, resources
from .compute import ComputeEngine
from .crosscheck import CrossChecker
from .document import Document
from .explainer import ExplainController
from .file_actions import FileController
from .import_actions import ImportController
from .selection import SelectionModel
from .torch_probe import TorchProbe, TorchStatus
from .undo_keys import UndoKeys
from .widgets.complex_switch import ComplexSwitch
from .widgets.equation_panel import EquationPanel
from .widgets.grids_view import GridsView
from .widgets.im2col_view import Im2colView
from .widgets.layer_panel import LayerPanel
from .widgets.player import PlayerBar
from .widgets.presets_menu import PresetsMenu
from .widgets.status import StatusBar
from .widgets.sum_dock import DockFitter
from .widgets.twin_view import TwinView

# A script may make its own QApplication and open a window (see tests/gui/test_cli.py):
# every window's process gets the bindings' work-arounds, not only ours (gui.qt_app).
_compat.apply()

HELP = """<h3>How to read a convolution here</h3>
<ol>
<li><b>Select an entry</b>: click a cell of <b>output</b>, <b>grad_input</b>, <b>grad_weight</b>
or <b>grad_bias</b>. Every grid outlines the cells its sum reads (the selectors under each
grid pick the slice on screen).</li>
<li><b>Read its Sum</b> in the Sum panel at the bottom: the entry written as a sum, then one
line per term with its factors, its value and the running sum.</li>
<li><b>Play it</b>: <b>Space</b> plays and pauses, <b>&larr;</b> / <b>&rarr;</b> step one
term, <b>Esc</b> clears the selection. The player bar sets the speed; <b>Animate all</b>
(pressed while it runs) fills a whole tensor entry by entry.</li>
<li><b>Hover</b> any cell without clicking for the reverse look-up: an input pixel shows the
outputs that read it, a kernel tap its input pixels, a grad_output entry the grad_input
pixels it reaches.</li>
</ol>
<h3>ConvTranspose1d / 2d / 3d</h3>
<p>Switch the layer's kind at the top of the Layer panel. In an <b>nn.ConvTranspose2d</b>
each input pixel <i>paints</i> a copy of the kernel, scaled by its value, onto the output:
stride spreads the copies apart, padding crops the border of the result and output_padding
adds rows and columns at its bottom and right. Hover an input pixel to see its copy; an
output entry is the sum of the copies that cover it. The <b>im2col</b> tab shows it as
x&nbsp;·&nbsp;W (one row per input pixel: its copy), folded and cropped; Explain &rsaquo;
Compare puts it beside the Conv2d whose input gradient it is (likewise in 1D and 3D).</p>
<h3>Conv1d and Conv3d</h3>
<p>The <b>1D / 2D / 3D</b> switch beside the kind sets the number of spatial axes: a
sequence (length), an image (height, width) or a volume (depth, height, width); every size
field then has one box per axis. Switching keeps the channels, groups, bias and dtype and
starts the tensors anew (one undo step). A Conv1d can be <b>causal</b>: it pads
(k&minus;1)&middot;dilation on the left only, so that no output sees a later input. In the
<b>im2col</b> tab a 1D image shows every channel as a row; a 3D one shows a channel's depth
slices one below the other.</p>
<h3>Editing</h3>
<p><b>Click</b> a cell of input, weight, bias or grad_output to select it, <b>Shift+click</b>
or <b>Shift+drag</b> a block. <b>Type a number</b>, press <b>Enter</b> or <b>double-click</b>
to edit; Enter/Tab move on. <b>Arrow keys</b> move (Shift extends). <b>Drag up/down</b> or
<b>scroll</b> over a cell to scrub its value (Shift: finer). <b>Delete</b> zeroes the
selection. <b>Ctrl+C / Ctrl+V</b> copy and paste blocks (tab-separated, or [[1, 2], [3, 4]]).
<b>Right-click</b>: fill with zeros, ones, random, arange, a delta or classic kernels.</p>
<h3>Viewing</h3>
<p>The selectors <b>below</b> each grid pick the batch sample <i>n</i> and the channel
(<i>c</i> of the input, <i>o</i> of the output; <i>o</i> and <i>c</i> of the weight), and
in 3D the depth <i>d</i> (the weight's depth tap <i>kd</i>). A 1D grid shows every channel
at once, one row each, so it has no <i>c</i> selector. In 3D a strip shows the depth slices
a sum reads side by side, with its own colour bar; &#9654; marks the slice of the current
term, and <i>window only</i> a slice where only the current term's kernel window lies (the
sum reads nothing there). The value of the cell under the pointer (or the selected one)
reads under the grid, or beside its title when the selectors leave no room.
<b>Ctrl+scroll</b> zooms, right-drag or middle-drag pans, <b>Ctrl+0</b> fits every grid.
In the input (1D, 2D or 3D), the hatched frame is the padding: hover a border cell to see
which pixel it copies.</p>
<h3>Undo</h3><p><b>Ctrl+Z</b> undoes any edit or layer change, <b>Ctrl+Shift+Z</b> redoes;
View &rsaquo; History lists them.</p>
<h3>Figures</h3><p>File &rsaquo; Export figure &rsaquo; Diagram: only the tensors, the
highlights and the sum, as PNG, SVG or an animated GIF of the terms.</p>
"""


class MainWindow(QMainWindow):
    """The ConvViz window. ``synchronous=True`` computes inline (tests)."""

    def __init__(
        self,
        session: Session | None = None,
        *,
        synchronous: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("ConvViz")  # the file and the layer's class: gui.file_actions
        self.setWindowIcon(resources.icon("app"))
        self.document = Document(session, self)
        self.engine = ComputeEngine(synchronous=synchronous, parent=self)
        self.torch_probe = TorchProbe(synchronous=synchronous, parent=self)
        self.crosscheck = CrossChecker(synchronous=synchronous, parent=self)
        self.selection = SelectionModel(self)
        self.panel = LayerPanel()
        self.grids = GridsView()
        self.status = StatusBar()
        self.complex_switch = ComplexSwitch()
        self.presets_menu = PresetsMenu(self)
        self.equation = EquationPanel()
        self.player = PlayerBar()
        self.im2col = Im2colView()
        self.twin_view = TwinView(self)
        self.explainer = ExplainController(
            self.selection, self.grids.grids, self.equation, self.player, self.im2col, self)
        self.files = FileController(self, self.document, self.engine, self.selection,
                                    synchronous=synchronous)
        self.imports = ImportController(self, self.document, self.grids.grids, self.files)
        self._build_layout()
        self._build_actions()
        self._build_menus()
        self._connect()
        self.undo_keys = UndoKeys(self)
        self.undo_keys.install(self)
        self.resize(1600, 1000)
        self.document.announce()

    # -- building ------------------------------------------------------------------------
    def _build_layout(self) -> None:
        self.tabs = QTabWidget(objectName="centralTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.grids, "Tensors")
        self.tabs.addTab(self.im2col, "im2col")
        self.setCentralWidget(self.tabs)
        scroll = QScrollArea(objectName="panelScroll")
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.panel_dock = QDockWidget("Layer", self, objectName="layerDock")
        self.panel_dock.setWidget(scroll)
        self.panel_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self._fit_panel()
        self.panel.fieldsResized.connect(self._fit_panel)
        # once shown (showEvent), and once the panel's rows have laid out their new boxes
        self._refit = QTimer(self, singleShot=True, interval=0)
        self._refit.timeout.connect(self._fit_panel)
        self.panel.fieldsResized.connect(self._refit.start)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.panel_dock)
        self.history_dock = QDockWidget("History", self, objectName="historyDock")
        self.history_dock.setWidget(QUndoView(self.document.undo_stack))
        # a tab beside the Layer panel, as wide as it: on the right it took its width from
        # the grids (68 px beside a Conv3d at 1280×800, 'Load sessi'), or pushed the window
        # past the screen (review r13 S6)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.history_dock)
        self.history_dock.hide()
        self.history_dock.toggleViewAction().toggled.connect(self._on_history_toggled)
        self.sum_dock = QDockWidget("Sum", self, objectName="sumDock")
        self.sum_dock.setWidget(self.equation)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.sum_dock)
        self.sum_fitter = DockFitter(self, self.sum_dock, self.equation)
        self.player_bar = QToolBar("Player", self, objectName="playerToolbar")
        self.player_bar.setMovable(False)
        self.player_bar.addWidget(self.player)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.player_bar)
        self.setStatusBar(self.status)

    def _build_actions(self) -> None:
        stack = self.document.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts([QKeySequence.StandardKey.Undo])
        self.undo_action.setIcon(resources.icon("undo"))
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.setIcon(resources.icon("redo"))
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        self.fit_action = QAction("Zoom all grids to &fit", self, shortcut="Ctrl+0")
        self.fit_action.setIcon(resources.icon("fit"))
        self.shared_scale_action = QAction("Colour scale &shared across slices", self,
                                           checkable=True)
        self.shared_scale_action.setToolTip(
            "One colour scale per tensor for every n and c, to compare channels; off: each "
            "grid's scale is fitted to the slice it shows")
        self.help_action = QAction("&Keyboard and mouse", self, shortcut=QKeySequence("F1"))
        self.about_action = QAction("&About ConvViz", self)
        self.twin_action = QAction("&Compare with the matching Conv / ConvTranspose…", self)
        self.twin_action.setToolTip(
            "A ConvTranspose's output beside the grad_input of the Conv whose backward pass "
            "it is (a Conv's grad_input beside its ConvTranspose's output), in 1D, 2D or 3D")

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")
        self.file_menu.addAction(self.quit_action)
        self.files.fill_menu(self.file_menu)
        self.edit_menu = bar.addMenu("&Edit")
        self.edit_menu.addAction(self.undo_action)
        self.edit_menu.addAction(self.redo_action)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.fit_action)
        self.view_menu.addAction(self.shared_scale_action)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.panel_dock.toggleViewAction())
        self.view_menu.addAction(self.history_dock.toggleViewAction())
        self.view_menu.addAction(self.sum_dock.toggleViewAction())
        self.imports.fill_menus(self.file_menu, self.view_menu)
        self.explain_menu = bar.addMenu("E&xplain")
        self.explain_menu.addActions(self.explainer.actions())
        self.explain_menu.addAction(self.player.animate_all_action)
        self.explain_menu.addSeparator()
        self.explain_menu.addAction(self.twin_action)
        bar.addMenu(self.presets_menu)
        self.help_menu = bar.addMenu("&Help")
        self.help_menu.addAction(self.help_action)
        self.help_menu.addAction(self.about_action)
        self.toolbar = QToolBar("Main", self, objectName="mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.addAction(self.undo_action)
        self.toolbar.addAction(self.redo_action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.fit_action)
        self.toolbar.addSeparator()
        self.toolbar.addWidget(self.complex_switch)
        self.addToolBar(self.toolbar)

    def _connect(self) -> None:
        doc, engine, sel, panel, status = (
            self.document, self.engine, self.selection, self.panel, self.status)
        doc.sessionChanged.connect(engine.request)
        doc.sessionChanged.connect(panel.set_session)
        doc.sessionChanged.connect(sel.set_session)
        doc.sessionChanged.connect(self.grids.grad_note.set_session)
        doc.specChanged.connect(self.complex_switch.set_spec)
        doc.specChanged.connect(self._name_twin_action)
        doc.specChanged.connect(self.grids.set_spec)
        self.shared_scale_action.toggled.connect(self.grids.set_shared_scale)
        for grid in self.grids.editable():
            doc.sessionChanged.connect(grid.set_session)
        for grid in self.grids.results():
            engine.resultReady.connect(grid.set_result)
            panel.invalidChanged.connect(grid.set_dimmed)
        for grid in self.grids.all():
            grid.cellsEdited.connect(doc.apply_edit)
            grid.selectionRequested.connect(sel.set_selection)
            grid.hoverRequested.connect(sel.set_hover)
            grid.statusMessage.connect(status.show_note)
            sel.selectionChanged.connect(grid.set_selection)
            self.complex_switch.modeChanged.connect(grid.set_complex_view)
            self.fit_action.triggered.connect(grid.fit)
        panel.specEdited.connect(doc.set_spec)
        panel.invalidChanged.connect(status.set_invalid)
        panel.backendRequested.connect(engine.set_backend)
        engine.backendChanged.connect(panel.set_backend)
        engine.resultReady.connect(status.set_result)
        engine.resultReady.connect(self.explainer.set_result)
        engine.resultReady.connect(self.twin_view.set_result)
        self.twin_action.triggered.connect(self._on_twin_action_triggered)
        self.complex_switch.modeChanged.connect(self.im2col.set_complex_view)
        self.fit_action.triggered.connect(self.im2col.fit)  # its matrices zoom too
        engine.busyChanged.connect(status.set_busy)
        engine.computeFailed.connect(status.show_error)
        doc.refused.connect(status.show_note)
        doc.noted.connect(status.show_note)
        doc.historyTrimmed.connect(status.show_note)
        doc.historyTrimmed.connect(self._on_document_historyTrimmed)
        probe, check = self.torch_probe, self.crosscheck
        probe.probed.connect(engine.set_torch_status)
        probe.probed.connect(self._on_torch_probe_probed)
        probe.probed.connect(check.set_torch_status)
        engine.resultReady.connect(check.set_result)  # after the views: they show it first
        check.crossCheckStarted.connect(status.set_crosscheck_pending)
        check.crossCheckReady.connect(status.set_crosscheck)
        self.files.message.connect(status.show_note)
        self.imports.message.connect(status.show_note)
        exports = self.files.exports
        for grid in self.grids.all():
            grid.editor.importRequested.connect(self.imports.import_tensor)
            grid.editor.exportRequested.connect(exports.export_tensor)
            exports.add_panel(f"{grid.name} grid", grid)
        exports.add_panel("layer settings", self.panel)
        exports.add_panel("all grids", self.grids)
        exports.add_panel("sum (equation)", self.equation)
        exports.add_panel("im2col view", self.im2col)
        exports.set_grids(self.grids.grids)  # GIFs and diagrams: the slices on screen
        self.presets_menu.sessionChosen.connect(self.files.load_document)
        self.files.documentReplaced.connect(self.explainer.reset)
        self.presets_menu.failed.connect(status.show_note)
        self.quit_action.triggered.connect(self.close)
        self.help_action.triggered.connect(self.show_help)
        self.about_action.triggered.connect(self.show_about)

    def _fit_panel(self) -> None:
        """As wide as the fields need (a Conv3d's three boxes a row more than a Conv2d's two),
        whatever other docks come and go: never clipped."""
        # the boxes a 3D layer hid post their layouts' requests; measured before those ran,
        # the panel still asked for the 3D width and kept it (review G6, timing-dependent)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        scroll = self.panel_dock.widget()
        old = scroll.minimumWidth()
        need = (self.panel.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint()
                .width() + 2 * scroll.frameWidth())
        scroll.setMinimumWidth(need)
        if need < old and scroll.width() <= old + 2:  # held at the old least width, not dragged
            # wider: narrower fields (a Conv3d's three boxes gone) give the grids their room
            # back (review F12: 60 px of cells at 1280×800)
            self.resizeDocks([self.panel_dock], [self.panel_dock.width() - (old - need)],
                             Qt.Orientation.Horizontal)

    def _on_torch_probe_probed(self, status: TorchStatus) -> None:
        if status.loaded:  # a torch that failed to load leaves CUDA "checking" (no answer)
            self.panel.set_cuda_available(status.cuda_available)

    def _name_twin_action(self, spec) -> None:
        """The Compare action names this layer's own family (Conv1d / ConvTranspose1d…)."""
        self.twin_action.setText(
            f"&Compare with the matching Conv{spec.dims}d / ConvTranspose{spec.dims}d…")

    def _on_twin_action_triggered(self) -> None:
        if self.engine.latest is not None:
            self.twin_view.show_for(self.engine.latest)

    def _on_history_toggled(self, shown: bool) -> None:
        if shown:  # (tabified while shown: a hidden dock tabified was never placed)
            if self.panel_dock.isVisible() and \
                    self.history_dock not in self.tabifiedDockWidgets(self.panel_dock):
                self.tabifyDockWidget(self.panel_dock, self.history_dock)
            # its tab in front, where View › History asked for it (once the dock area has
            # laid the new tab out: raised at once, it stayed behind the Layer tab)
            QTimer.singleShot(0, self.history_dock.raise_)

    def _on_document_historyTrimmed(self, _note: str) -> None:
        self.history_dock.widget().setEmptyLabel("<older steps dropped to save memory>")

    # -- lifecycle -----------------------------------------------------------------------
    def start_background(self) -> None:
        """Load torch off the UI thread (cross-check, CUDA check) once the window is up."""
        self.torch_probe.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # a hidden panel's rows keep their boxes' old sizes until shown (a window opening a
        # 3D session): fit it again once it is on screen
        self._refit.start()

    def settle(self) -> None:
        """Lay the window out now as the event loop would soon: the panel's pending refit
        (a 3D layer's wider rows) and the layout requests it posts. A capture taken right
        after a result (--screenshot) drew the wider Layer panel over the tensors."""
        if self._refit.isActive():
            self._refit.stop()
            self._fit_panel()
        for _ in range(3):  # the dock's request reaches the window's layout, then its parts
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            QApplication.processEvents()

    def closeEvent(self, event: QCloseEvent) -> None:
        for part in (self.engine, self.torch_probe, self.crosscheck):
            part.shutdown()
        super().closeEvent(event)

    def __del__(self) -> None:
        # An edit leaves the window in reference cycles (undo commands, slots), so the garbage
        # collector frees it: it clears every part's attributes first, and the C++ window then
        # went last, sending its children's teardown events to filters of half-cleared parts
        # (tracebacks; gui.show() in a notebook). Finalizers run before any clearing: the C++
        # side goes here while every part is whole.
        if shiboken6.isValid(self) and shiboken6.ownedByPython(self):
            shiboken6.delete(self)

    def show_help(self) -> None:
        QMessageBox.information(self, "Keyboard and mouse", HELP)

    def show_about(self) -> None:
        QMessageBox.about(
            self, "About ConvViz",
            "<b>ConvViz</b><p>See exactly how PyTorch's <code>nn.Conv1d/2d/3d</code> and "
            "<code>nn.ConvTranspose1d/2d/3d</code> compute their forward and backward pass, number "
            "by number. The numbers come from ConvViz's own im2col implementation and are "
            "checked against torch in the background.</p>",
        )
