"""A clicked entry (a sum with no step yet) is scrolled into view on an im2col page that
scrolls (review r13 S1): with no current term and marks too far apart for one view, the
page stayed at the top (seed001_im2col_gradients' forward page at 1280×800: cols' and the
product's row 8 below the fold; a Conv1d 64 long: row 50 ~420 px below). It now scrolls to
the entry's own row and cell in the product, or the result's cell in its image."""

from __future__ import annotations

import pytest
from gui_checks import marks_in_view
from PySide6.QtWidgets import QApplication

from core.io.presets import load_preset
from gui.selection import Selection


def _settle(qtbot) -> None:
    for _ in range(3):
        QApplication.processEvents()
    qtbot.wait(30)


def _long_conv1d(window) -> None:
    window.document.set_spec(window.document.spec.replace(input_size=(64,)), "input_size")


CASES = [  # preset, setup, (target, entry), page, the matrices whose cell must be in view
    ("seed001_im2col_gradients", None, ("output", (0, 1, 2, 2)), "forward", ("product",)),
    ("conv3d_basic", None, ("output", (0, 0, 1, 1, 1)), "forward", ("product",)),
    ("conv1d_basic", _long_conv1d, ("output", (0, 1, 50)), "forward", ("product",)),
    ("conv1d_basic", _long_conv1d, ("grad_weight", (1, 2, 1)), "grad_weight",
     ("grad_weight",)),
    ("conv1d_basic", _long_conv1d, ("grad_input", (0, 2, 63)), "grad_cols",
     ("grad_input", "grad_cols", "grad_output")),  # dcols' and dY's rows 62-63 too
]


@pytest.mark.parametrize(("preset", "setup", "entry", "page_name", "names"), CASES,
                         ids=[f"{c[0]}-{c[2][0]}" for c in CASES])
def test_an_entry_with_no_step_is_scrolled_into_view(make_window, qtbot, preset, setup,
                                                      entry, page_name, names):
    window = make_window(load_preset(preset))
    window.resize(1280, 800)
    if setup is not None:
        setup(window)
    window.tabs.setCurrentIndex(1)
    view = window.im2col
    qtbot.waitUntil(lambda: view.shown("cols", "forward") is not None, timeout=3000)
    _settle(qtbot)
    window.selection.set_selection(Selection(*entry))  # a click: no step
    _settle(qtbot)
    page = view.pages[page_name]
    assert view.page == page_name and page.floored()
    assert page.verticalScrollBar().maximum() > 0
    for name in names:
        assert marks_in_view(page, view.plots[page_name, name], False, slack=0.5), name
