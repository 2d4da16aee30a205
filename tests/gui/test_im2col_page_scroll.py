"""The im2col pages print the numbers a sum reads at 1280×800 (`gui.widgets.im2col_page`):
conv3d_basic's forward page, 16 rows of Wᵀ above 18 of cols in ~430 px, printed none (8 px
rows); it now keeps its rows tall enough to print, scrolls, and brings the marked cells into
view. Where a page already printed (1600×1000) or could not within a few screens (the 256-row
cols of the default preset), it is laid out as before."""

from __future__ import annotations

import pytest
from gui_checks import marks_in_view
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtWidgets import QApplication, QGraphicsSceneWheelEvent

from core.io.presets import load_preset
from gui.selection import Selection


def _im2col(make_window, qtbot, preset: str, size: tuple[int, int], selection: Selection):
    window = make_window(load_preset(preset))
    window.resize(*size)
    window.selection.set_selection(selection)
    window.tabs.setCurrentIndex(1)
    view = window.im2col
    qtbot.waitUntil(lambda: view.shown("cols", "forward") is not None, timeout=3000)
    _settle(qtbot)
    return window, view


def _settle(qtbot) -> None:
    for _ in range(3):
        QApplication.processEvents()
    qtbot.wait(30)


def _cell_px(plot) -> tuple[float, float]:
    """(width, height) in pixels of one cell of ``plot`` on screen: what decides whether its
    values print (`MatrixPlot.shows_values`)."""
    shown = plot.view.viewRect()
    return plot.view.width() / shown.width(), plot.view.height() / shown.height()


FORWARD = Selection("output", (0, 0, 1, 1, 1), step=5)


def test_conv3d_forward_prints_the_cells_the_sum_reads_at_1280x800(make_window, qtbot):
    _, view = _im2col(make_window, qtbot, "conv3d_basic", (1280, 800), FORWARD)
    page = view.pages["forward"]
    assert view.page == "forward" and view.stack.currentWidget() is page
    for name in ("cols", "weight_t", "product", "output"):
        plot = view.plots["forward", name]
        width, height = _cell_px(plot)
        assert height >= plot.texts.min_height(), (name, height)
        assert plot.shows_values(), (name, width, height)
    # the page is taller than its window and scrolls; the A·B = C rows still line up
    assert page.floored() and page.verticalScrollBar().maximum() > 0
    cols, product = view.plots["forward", "cols"], view.plots["forward", "product"]
    assert cols.view.sceneBoundingRect().top() == pytest.approx(
        product.view.sceneBoundingRect().top(), abs=0.5)
    assert _cell_px(cols)[1] == pytest.approx(_cell_px(product)[1], abs=0.05)
    # the current term's cells (a cell of cols' marked row, one of Wᵀ's marked column) and
    # the product cell the sum fills are in view
    for name in ("cols", "weight_t", "product"):
        plot = view.plots["forward", name]
        assert marks_in_view(page, plot, current=name != "product"), name


def test_each_step_keeps_its_cells_in_view(make_window, qtbot):
    window, view = _im2col(make_window, qtbot, "conv3d_basic", (1280, 800), FORWARD)
    page = view.pages["forward"]
    bar = page.verticalScrollBar()
    weight_t = view.plots["forward", "weight_t"]
    for step in (15, 7, 0):
        bar.setValue(0)  # each step scrolls from the top to its cells
        window.selection.set_selection(Selection("output", FORWARD.index, step=step))
        _settle(qtbot)
        for name in ("cols", "product"):
            assert marks_in_view(page, view.plots["forward", name], current=True), (step, name)
        # Wᵀ's current row too, where it fits in one view with cols' (at 1280×800 its
        # first rows are one screen above cols' marked row: those steps scroll to the sum)
        cells = (weight_t.marked_rect(True) | view.plots["forward", "cols"].marked_rect(True))
        if cells.height() + 12 <= page.viewport().height():
            assert marks_in_view(page, weight_t, current=True), step
        assert bar.value() > 0, step


def test_other_pages_of_conv3d_print_at_1280x800(make_window, qtbot):
    window, view = _im2col(make_window, qtbot, "conv3d_basic", (1280, 800), FORWARD)
    for target, index, page in (("grad_weight", (0, 0, 1, 1, 1), "grad_weight"),
                                ("grad_input", (0, 0, 1, 1, 1), "grad_cols")):
        window.selection.set_selection(Selection(target, index, step=1))
        _settle(qtbot)
        assert view.page == page
        for (shown, name), plot in view.plots.items():
            if shown == page:
                assert plot.shows_values(), (page, name, _cell_px(plot))
    view.show_page("forward")  # a page shown again keeps printing
    _settle(qtbot)
    assert view.plots["forward", "cols"].shows_values()


def test_pages_that_printed_or_cannot_are_laid_out_as_before(make_window, qtbot):
    # 1600×1000: conv3d_basic's forward page prints fitted to the window, and stays so
    window, view = _im2col(make_window, qtbot, "conv3d_basic", (1600, 1000), FORWARD)
    page = view.pages["forward"]
    assert view.plots["forward", "cols"].shows_values()
    assert not page.floored() and page.verticalScrollBar().maximum() == 0
    assert all(plot.view.minimumHeight() == 0 for (p, _), plot in view.plots.items()
               if p == "forward")
    # the default 2D layer: a 256-row cols would need ~8 screens; the overview fits
    window.document.replace_session(load_preset("default"))
    window.selection.set_selection(Selection("output", (0, 0, 1, 1), step=3))
    window.resize(1280, 800)
    _settle(qtbot)
    page = view.pages["forward"]
    assert not page.floored() and page.verticalScrollBar().maximum() == 0
    assert page.graphics.height() == page.viewport().height()


def test_a_plain_wheel_scrolls_the_page_and_ctrl_wheel_zooms(make_window, qtbot):
    _, view = _im2col(make_window, qtbot, "conv3d_basic", (1280, 800), FORWARD)
    box = view.plots["forward", "cols"].view
    before = box.viewRect()
    for modifiers, zooms in ((Qt.KeyboardModifier.NoModifier, False),
                             (Qt.KeyboardModifier.ControlModifier, True)):
        event = QGraphicsSceneWheelEvent(QEvent.Type.GraphicsSceneWheel)
        event.setDelta(120)
        event.setOrientation(Qt.Orientation.Vertical)
        event.setModifiers(modifiers)
        event.setPos(QPointF(box.width() / 2, box.height() / 2))
        event.setAccepted(True)
        box.wheelEvent(event)
        assert event.isAccepted() is zooms  # (ignored: the page's scroll area takes it)
        assert (box.viewRect() != before) is zooms
