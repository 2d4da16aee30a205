"""Starting the app: opening the SESSION argument, styling, the window, ``--screenshot``.

``main.py`` parses the command line and creates the QApplication; `run` does the rest.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from core.io.atomic import atomic_write_bytes
from core.session import Session

from . import errors, resources
from .figure_export import png_bytes
from .main_window import MainWindow
from .provenance import checked_entry
from .selection import Selection

# Qt chatter that means nothing to a user (the offscreen platform used by --screenshot).
_QUIET = ("This plugin does not support",)


class StartupError(Exception):
    """A problem with the command line's SESSION: shown as one line, exit status 2."""


def open_session(arg: str) -> Session:
    """The session named on the command line: a session file, a preset file or a preset name."""
    from core import budget

    from .cli.session_arg import open_session_arg

    try:
        session = open_session_arg(arg)
        budget.check(session.spec, what=f"the layer in {arg}")
    except ValueError as exc:  # includes BudgetError: refused before a window exists
        raise StartupError(str(exc)) from None
    return session


def _message_handler(mode: QtMsgType, context, message: str) -> None:
    if any(q in message for q in _QUIET):
        return
    if mode in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
        sys.stderr.write(f"qt: {message}\n")


def configure(app: QApplication) -> None:
    """Application-wide look: Fusion, the style sheet, names."""
    app.setApplicationName("ConvViz")
    app.setOrganizationName("ConvViz")
    app.setStyle("Fusion")
    app.setStyleSheet(resources.style_sheet())
    app.setWindowIcon(resources.icon("app"))


class Screenshot(QObject):
    """Waits for the first result (and the torch cross-check if asked), saves, quits.

    A computation that fails ends the wait too: one line on stderr and exit status 1.
    """

    def __init__(self, window: MainWindow, path: Path, crosscheck: bool) -> None:
        super().__init__(window)
        self.window, self.path, self.crosscheck = window, path, crosscheck
        self.code = 1
        engine = window.engine
        engine.computeFailed.connect(self._on_failed)
        if engine.latest is None and engine.error is not None:  # failed while the window opened
            QTimer.singleShot(0, self._on_failed)
        elif crosscheck:
            window.crosscheck.crossCheckReady.connect(self._on_ready)
            window.start_background()
        elif engine.latest is not None:
            QTimer.singleShot(0, self._on_ready)
        else:
            engine.resultReady.connect(self._on_ready)

    def _on_failed(self, message: str | None = None) -> None:
        if self.code == 0:
            return
        reason = message or self.window.engine.error
        sys.stderr.write(f"convviz: no screenshot: the layer could not be computed: {reason}\n")
        self.code = 1
        QApplication.exit(self.code)

    def _on_ready(self, *_args) -> None:
        # one more turn of the event loop: every view has taken the result and laid out
        QTimer.singleShot(0, self._take)

    def _take(self) -> None:
        if self.code == 0:
            return
        QApplication.processEvents()
        self.window.settle()  # the panel's refit and the layout it asks for, before the grab
        try:  # atomic: an existing PNG is replaced whole or left as it was
            atomic_write_bytes(self.path, png_bytes(self.window))
            self.code = 0
        except (ValueError, OSError) as exc:
            sys.stderr.write(f"convviz: could not write the screenshot: {exc}\n")
        QApplication.exit(self.code)


def run(app: QApplication, args) -> int:
    """Open the window for parsed ``args`` and run the event loop; returns the exit status."""
    qInstallMessageHandler(_message_handler)
    interactive = not args.screenshot
    errors.install(interactive=interactive)
    try:
        session = getattr(args, "imported", None)  # --import-layer / --import-image
        if session is None:
            session = getattr(args, "opened", None)  # main.py opens it before Qt is imported
        if session is None and args.session:
            session = open_session(args.session)
    except StartupError as exc:
        sys.stderr.write(f"convviz: {exc}\n")
        return 2
    configure(app)
    window = MainWindow(session)
    if args.select:
        try:
            tensor, index = checked_entry(args.select, args.step, window.document.spec)
        except ValueError as exc:
            sys.stderr.write(f"convviz: {exc}\n")
            return 2
        window.selection.set_selection(Selection(tensor, index, step=args.step))
    imported = getattr(args, "imported", None) is not None  # then it is not the file's
    if (args.session and Path(args.session).is_file() and Path(args.session).suffix != ".json"
            and not imported):
        # the title names it and Save writes back to it (a screenshot leaves Recent alone)
        window.files.set_path(args.session, remember=not args.screenshot)
    if getattr(args, "gray", False):
        window.imports.gray_action.setChecked(True)
    if args.tab == "im2col":
        window.tabs.setCurrentWidget(window.im2col)
    window.show()
    if args.screenshot:
        shot = Screenshot(window, Path(args.screenshot), args.with_crosscheck)
        app.exec()
        return shot.code
    QTimer.singleShot(0, window.files.start)  # autosave; offer one a crash left behind
    QTimer.singleShot(300, window.start_background)
    return app.exec()
