"""GUI test fixtures: a real MainWindow (synchronous compute), and a check that no test
leaves a top-level widget behind."""

from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication

from gui import _compat

_compat.apply()  # as gui.qt_app.application does for the app: pytest-qt makes this QApplication

# The offscreen platform says "This plugin does not support propagateSizeHints() / raise() /
# grabbing the keyboard" when windows and popups are shown; it means nothing here.
_HARMLESS = "This plugin does not support"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/gui" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(_HARMLESS))


def _flush_deletes() -> None:
    gc.collect()  # pyqtgraph's items own parentless QMenus, freed with their Python objects
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QApplication.processEvents()


@pytest.fixture(autouse=True)
def no_leaked_top_levels(request):
    """Every top-level widget a test that uses qtbot (window and make_window do) creates is
    gone (closed and deleted) after it.

    Autouse, so that it is set up before and torn down after every fixture of the test; a
    test without qtbot (numpy, a painted QImage) skips it: the collections and event flushes
    cost more than such a test itself.
    """
    if "qtbot" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("qapp")
    _flush_deletes()
    # What outlived the tests before this one and their collection (pytest's reports,
    # hypothesis' and the tests' caches) joins what collection imported: this test's
    # collections scan only its own objects, not a heap that grows through the run (teardown
    # 0.02 s -> 0.09 s after two hypothesis files, 0.15 s late in the whole suite). Here, not
    # in teardown: there the test's own fixtures still hold its window.
    gc.freeze()
    before = QApplication.topLevelWidgets()  # held, so that no new widget can get their ids
    yield
    _flush_deletes()
    leaked = [w for w in QApplication.topLevelWidgets() if all(w is not b for b in before)]
    names = [f"{type(w).__name__}({w.objectName()!r})" for w in leaked]
    for w in leaked:
        w.close()
        w.deleteLater()
    _flush_deletes()
    assert not names, f"top-level widgets leaked: {names}"


@pytest.fixture
def qtbot(qtbot):
    """pytest-qt's qtbot, whose `addWidget` also holds the widget until the test's teardown.

    qtbot itself keeps only a weak reference. A widget that lives on in reference cycles
    alone once the test body returns can then be collected by the garbage collector in the
    middle of its own paint event (pytest-qt processes events after the test): Qt crashes
    ("Cannot destroy paint device that is being painted"). Held here, it is closed by
    qtbot first and freed after.
    """
    held = []
    add = qtbot.addWidget

    def add_widget(widget, *, before_close_func=None):
        held.append(widget)
        add(widget, before_close_func=before_close_func)

    qtbot.addWidget = add_widget
    yield qtbot
    held.clear()


@pytest.fixture
def make_window(qtbot):
    """Factory for a shown MainWindow computing synchronously; closed and deleted after."""
    from gui.main_window import MainWindow

    def make(session=None, synchronous: bool = True):
        w = MainWindow(session, synchronous=synchronous)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        return w

    return make


@pytest.fixture
def window(make_window):
    return make_window()

