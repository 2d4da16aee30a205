"""The im2col pages give their width to the matrices whose cells print (review r13 R4):
seed001_im2col_gradients' grad_cols page at 1280×800 drew W (2 × 27) and dcols (9 × 27)
240 px wide, 9 px a cell, no numbers, beside two 5 × 5 images with 40 px cells; a Conv1d
64 long drew dYᵀ (2 × 64) in the rest of a page its 64-row cols left blank. Each page now
prints the numbers its sum reads, the A·B = C columns still aligned, scrolling sideways
only where the least widths do not fit."""

from __future__ import annotations

from dataclasses import replace

import pytest
from gui_checks import marks_in_view
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QApplication

from core.io.presets import load_preset
from gui.selection import Selection

SEED = "seed001_im2col_gradients"
#: (target, entry, step) of each page of seed001_im2col_gradients
SEED_SUMS = {"forward": ("output", (0, 1, 1, 1), 5),
             "grad_weight": ("grad_weight", (1, 2, 1, 1), 3),
             "grad_cols": ("grad_input", (0, 2, 2, 2), 3)}
#: the matrices each page's sum reads, and what it fills (the image a grad_input's lands in)
READ = {"forward": ("cols", "weight_t", "product"),
        "grad_weight": ("cols", "grad_output_t", "grad_weight"),
        "grad_cols": ("weight", "grad_output", "grad_cols", "grad_input")}


def _settle(qtbot) -> None:
    for _ in range(3):
        QApplication.processEvents()
    qtbot.wait(30)


def _show(window, qtbot, size: tuple[int, int], sum_: tuple) -> None:
    target, index, step = sum_
    window.resize(*size)
    window.selection.set_selection(Selection(target, index, step=step))
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.im2col.shown("cols", "forward") is not None, timeout=3000)
    _settle(qtbot)


def _prints_in_view(view, page_name: str):
    """The page on screen, ``page_name``, after checking that the matrices its sum reads
    print their values and have their current cell in view."""
    page = view.pages[page_name]
    assert view.page == page_name and view.stack.currentWidget() is page
    for name in READ[page_name]:
        plot = view.plots[page_name, name]
        assert plot.shows_values(), (name, plot.view.width(), plot.view.height())
        assert marks_in_view(page, plot, current=True), name
    return page


def _column_x(plot, column: int) -> float:
    """The scene x of the left edge of ``plot``'s column ``column``."""
    return plot.view.mapViewToScene(QRectF(column, 0, 1, 1)).boundingRect().left()


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
@pytest.mark.parametrize("page_name", list(SEED_SUMS))
def test_seed001_pages_print_what_the_sum_reads(make_window, qtbot, size, page_name):
    window = make_window(load_preset(SEED))
    _show(window, qtbot, size, SEED_SUMS[page_name])
    page = _prints_in_view(window.im2col, page_name)
    # the page is as wide as its window: nothing to scroll to sideways
    assert page.horizontalScrollBar().maximum() == 0


def test_seed001_grad_cols_columns_line_up_and_share_the_width(make_window, qtbot):
    window = make_window(load_preset(SEED))
    _show(window, qtbot, (1280, 800), SEED_SUMS["grad_cols"])
    view = window.im2col
    weight, dcols = view.plots["grad_cols", "weight"], view.plots["grad_cols", "grad_cols"]
    # B's columns over C's: W's column k right above dcols' column k
    for k in (0, 13, 26):
        assert _column_x(weight, k) == pytest.approx(_column_x(dcols, k), abs=0.5), k
    # the 27-column dcols takes most of the page (240 of 960 px before)
    page = view.pages["grad_cols"]
    assert dcols.view.width() > 0.5 * page.viewport().width()


def _conv1d_64(make_window, qtbot, sum_: tuple):
    session = load_preset("conv1d_basic")
    window = make_window(session)
    window.document.set_spec(replace(session.spec, input_size=(64,)))
    assert window.document.spec.output_size == (64,)
    _show(window, qtbot, (1280, 800), sum_)
    return window, window.im2col


def test_a_long_conv1d_prints_its_products_and_scrolls_sideways_only_for_them(
        make_window, qtbot):
    # grad_weight: dYᵀ (2 × 64) below cols (64 × 9): 64 columns of 20 px do not fit
    # 1008 px beside dW; the page scrolls sideways a little, and the sum's cells are shown
    # (term 60: its cell of cols near the bottom, in one view with those of dYᵀ and dW)
    window, view = _conv1d_64(make_window, qtbot, ("grad_weight", (0, 0, 1), 60))
    page = _prints_in_view(view, "grad_weight")
    assert 0 < page.horizontalScrollBar().maximum() < page.viewport().width()
    # forward: the (2 × 64) output image would need 1300 px: the page stays as wide as the
    # window, cols, Wᵀ and their product print, and the image shows the columns around the
    # sum's, printed (review r13 S2: an overview of 8 px cells before)
    window.selection.set_selection(Selection("output", (0, 1, 2), step=5))
    _settle(qtbot)
    page = _prints_in_view(view, "forward")
    output = view.plots["forward", "output"]
    assert output.shows_values() and output.view.viewRect().width() < 64
    assert page.horizontalScrollBar().maximum() == 0
