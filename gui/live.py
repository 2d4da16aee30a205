"""``show(layer, input, grad_output=None)``: the ConvViz window on live objects, from a script
or a notebook.

    import torch
    from gui import show
    show(torch.nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"), torch.randn(1, 3, 8, 8))

Blocks until the window is closed, in a script. It returns at once, leaving the window open,
where a Qt event loop already runs: in IPython after ``%gui qt``, or when called from inside
a running Qt application. ``import gui`` does not load this module; torch is never
imported here and the window's code only when `show` is called.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget


class CloseWatcher(QObject):
    """Ends ``loop`` once ``window`` has closed (a Close event that was not refused)."""

    def __init__(self, window: QWidget, loop: QEventLoop) -> None:
        super().__init__(window)
        self._window, self._loop = window, loop
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Close:
            QTimer.singleShot(0, self._check)
        return False

    def _check(self) -> None:
        if not self._window.isVisible():
            self._loop.quit()


def _loop_running(app: Any) -> bool:
    """A Qt event loop that will keep the window alive already runs: we are inside
    ``exec()`` (a slot of a running app), or IPython integrates one (``%gui qt``)."""
    if app.thread().loopLevel() > 0:
        return True
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    loop = getattr(shell, "active_eventloop", None) if shell is not None else None
    return isinstance(loop, str) and loop.startswith("qt")


def show(layer: Any, input: Any, grad_output: Any = None, *, block: bool | None = None):
    """Open ConvViz on ``layer`` applied to ``input``.

    Parameters
    ----------
    layer : torch.nn.Conv1d, Conv2d, Conv3d or ConvTranspose1d, 2d, 3d
        Hyperparameters (``padding_mode``, ``groups``, ``dilation``, ``output_padding``…),
        weight and bias are taken from it (copied: edits in the window do not change the
        module).
    input : tensor or array, shape (N, C, *size) or (C, *size), one size per spatial axis
        Converted to the layer's dtype.
    grad_output : tensor or array, optional
        The upstream gradient ∂L/∂y, shape of the output; ones (``y.sum()``) by default.
    block : bool, optional
        Wait until the window closes. Default: block unless a Qt event loop already runs.

    Returns
    -------
    MainWindow
        The window (closed, when it blocked); ``window.document.session`` is what was on
        screen: the spec and tensors, with any edits made in the window.

    Raises
    ------
    ValueError
        For anything but one of those convolutions, or shapes the layer
        cannot take (the message names them), before a window opens.
    """
    from core.io.module_import import session_from_module

    session = session_from_module(layer, input, grad_output)
    from .app import configure
    from .main_window import MainWindow
    from .qt_app import application

    ours = QApplication.instance() is None
    app = application()
    if ours:  # a script: ours, styled as the app (someone else's app keeps its look)
        configure(app)
    if block is None:
        block = not _loop_running(app)
    window = MainWindow(session)  # titled as any window: 'untitled — nn.Conv1d — ConvViz'
    window.show()
    window.start_background()  # torch is loaded already: the cross-check starts at once
    if block:
        loop = QEventLoop()
        watcher = CloseWatcher(window, loop)
        loop.exec()
        window.removeEventFilter(watcher)
    return window
