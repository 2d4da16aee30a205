"""The C × L images of a long Conv1d keep cells of a sane shape and print the sum's values
(review r13 S2): at input length 64 the output, col2im and grad_input images took the page
row's full height (the 64-row matrices' floors), two or three rows of cells ~8 px wide and
~394 px tall, no numbers, so the selected entry's own value could not be read on its page.
An image now keeps its cells at most as tall as wide (or a line of text), drawn at the top
of its box, and where its cells are too narrow to print, shows the columns around the sum."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication

from core.io.presets import load_preset
from gui.selection import Selection


def _settle(qtbot) -> None:
    for _ in range(3):
        QApplication.processEvents()
    qtbot.wait(30)


def _cell_px(plot) -> tuple[float, float]:
    shown = plot.view.viewRect()
    return plot.view.width() / shown.width(), plot.view.height() / shown.height()


CASES = [  # (target, entry, step), page, the images, the one holding the entry
    (("output", (0, 1, 50), 5), "forward", ("output",), "output"),
    (("grad_input", (0, 2, 63), 2), "grad_cols", ("grad_padded", "grad_input"), "grad_input"),
]


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
@pytest.mark.parametrize(("sum_", "page_name", "images", "entry_in"), CASES,
                         ids=[c[1] for c in CASES])
def test_long_conv1d_images_print_the_sum(make_window, qtbot, size, sum_, page_name, images,
                                          entry_in):
    window = make_window(load_preset("conv1d_basic"))
    window.resize(*size)
    window.document.set_spec(window.document.spec.replace(input_size=(64,)), "input_size")
    window.tabs.setCurrentIndex(1)
    view = window.im2col
    qtbot.waitUntil(lambda: view.shown("cols", "forward") is not None, timeout=3000)
    target, index, step = sum_
    window.selection.set_selection(Selection(target, index, step=step))
    _settle(qtbot)
    assert view.page == page_name and view.pages[page_name].floored()
    for name in images:
        plot = view.plots[page_name, name]
        width, height = _cell_px(plot)
        assert height <= max(width, plot.texts.min_height() + 1.0) + 0.5, (name, width, height)
        assert plot.shows_values(), (name, width, height)
        shown = plot.view.viewRect()
        for current in (True, False):  # the current term's cell and those the sum reads
            rows, cols = plot.current_mask.nonzero() if current else plot.read_mask.nonzero()
            assert rows.size, (name, current)
            for r, c in zip(rows, cols, strict=True):
                assert shown.contains(QPointF(c + 0.5, r + 0.5)), (name, current, r, c)
    # the entry's own cell is the one cell its image reads
    plot = view.plots[page_name, entry_in]
    assert plot.read_mask.sum() == 1
