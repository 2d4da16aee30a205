"""Conv1d strips (review r12 F1, F9, F10): a strip too long for its numbers shows the part
around the sum, as cells its numbers print in, with a caption naming the steps in view;
the copy arrow of a padded strip arcs over its row, clear of the numbers it links.

Sizes and texts are asked of the views (`HeatmapView.cropped`, `.caption`,
`TensorGrid.shows_values`) and of the pure geometry (`strip_fit`, `link_path`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from gui_checks import settle
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFontMetricsF, QPainterPath
from PySide6.QtWidgets import QApplication

from core.io.presets import load_preset
from gui.selection import Selection
from gui.widgets.cell_text import CellTextItem, value_font
from gui.widgets.grid_marks import GridMarks, Placement
from gui.widgets.heatmap_view import HeatmapView
from gui.widgets.highlight_items import LinksItem, link_path
from gui.widgets.strip_fit import MIN_SHOWN, caption, strip_fit, window

NEED = (24.0, 15.0)  # a cell's pixels for numbers like '−1.2' (what CellTextItem asks)


# -- the geometry ----------------------------------------------------------------------
def test_a_strip_of_64_steps_in_a_panel_gets_cells_its_numbers_print_in():
    crop = strip_fit((3, 66), (440.0, 220.0), 0.8, NEED, labels_px=16.0)
    assert crop is not None
    cell_w = 440.0 / (crop.count + crop.left)
    cell_h = cell_w / crop.aspect
    assert cell_w >= NEED[0] and cell_h >= NEED[1]
    assert MIN_SHOWN <= crop.count < 66
    assert crop.left * cell_w >= 16.0  # the row numbers' band
    # rows, column numbers and caption fit the height
    assert (3 + 0.8 + crop.caption) * cell_h <= 220.0 + 1e-9
    # square cells across the whole strip would be 440 / 66.8 ≈ 6.6 px: a hairline
    assert 440.0 / 66.8 < NEED[0]


def test_a_strip_whose_numbers_fit_or_cannot_fit_is_left_whole():
    assert strip_fit((3, 12), (440.0, 220.0), 0.8, NEED) is None  # prints whole
    assert strip_fit((3, 66), (440.0, 40.0), 0.8, NEED) is None  # too low for any number
    assert strip_fit((3, 66), (100.0, 220.0), 0.8, NEED) is None  # fewer than MIN_SHOWN


def test_the_sum_panels_digits_while_they_cost_at_most_a_quarter_of_the_steps():
    coarse = strip_fit((3, 66), (440.0, 220.0), 0.8, NEED, labels_px=16.0)
    finer = strip_fit((3, 66), (440.0, 220.0), 0.8, NEED, labels_px=16.0, finer=28.0)
    dearer = strip_fit((3, 66), (440.0, 220.0), 0.8, NEED, labels_px=16.0, finer=40.0)
    assert finer.count < coarse.count and finer.count >= 0.75 * coarse.count
    assert 440.0 / (finer.count + finer.left) >= 28.0  # cells the finer numbers fit
    assert dearer == coarse  # '−2.4312' would halve the steps shown: the coarse ones


def test_the_window_keeps_still_while_the_sum_stays_in_it_and_follows_it_out():
    assert window(66, 17, (30, 32), 32, None) == 23  # centred on what the sum reads
    assert window(66, 17, (31, 33), 33, 23) == 23  # the next step: no scroll
    assert window(66, 17, (45, 47), 47, 23) == 38  # left the window: centred again
    assert window(66, 17, (60, 65), 65, None) == 49  # clamped at the end
    assert window(66, 17, (0, 65), 40, 23) == 32  # reads everything: the current cell
    assert window(66, 17, (0, 65), 30, 23) == 23
    assert window(66, 17, None, None, None) == 0


def test_the_caption_names_the_steps_shown_or_nothing_when_all_are():
    assert caption(20, 40, 64).startswith("steps 20–40 of 64")
    assert caption(7, 7, 64).startswith("step 7 of 64")
    assert caption(0, 63, 64) == ""
    assert caption(0, 63, 64, border_hidden=True) == "all 64 steps; padding out of view"


def _text_rect(cell: tuple[int, int], text: str, cell_px: tuple[float, float]) -> QRectF:
    """The rect ``text`` takes in ``cell`` (view units: cells are unit squares), centred
    as `CellTextItem` draws it, grown by the arrow's half width (1.3 px)."""
    metrics = QFontMetricsF(value_font(CellTextItem.POINT_SIZES[0]))
    (r, c), (cw, ch) = cell, cell_px
    w, h = (metrics.horizontalAdvance(text) + 2.6) / cw, (metrics.height() + 2.6) / ch
    return QRectF(c + 0.5 - w / 2, r + 0.5 - h / 2, w, h)


def _crosses(path, head, rects) -> bool:
    points = [path.pointAtPercent(i / 400) for i in range(401)]
    for a, b in zip(head, [*list(head)[1:], head[0]], strict=True):  # the head's edges
        points += [a + (b - a) * (i / 40) for i in range(41)]
    return any(rect.contains(p) for p in points for rect in rects)


@pytest.mark.parametrize("frm,to", [((0, 0), (0, 2)), ((1, 1), (1, 3)), ((2, 0), (2, 4)),
                                    ((0, 65), (0, 63)), ((0, 0), (0, 64))])
def test_a_strips_copy_arrow_clears_the_numbers_it_links(qapp, frm, to):
    for cell_px in ((30.0, 24.0), (24.0, 30.0), (44.0, 20.0)):
        rects = [_text_rect(frm, "−0.82", cell_px), _text_rect(to, "−0.82", cell_px)]
        assert not _crosses(*link_path(frm, to, over_rows=True), rects), (frm, to, cell_px)
    # a straight route between the cell centres runs through them: the test can fail
    centres = QPainterPath(QPointF(frm[1] + 0.5, frm[0] + 0.5))
    centres.lineTo(QPointF(to[1] + 0.5, to[0] + 0.5))
    assert _crosses(centres, [centres.pointAtPercent(1.0)], rects)


@pytest.mark.parametrize("frm,to", [((0, 0), (2, 2)), ((0, 0), (0, 2)), ((1, 0), (1, 3)),
                                    ((4, 3), (0, 1)), ((0, 1), (3, 1)), ((0, 0), (1, 1)),
                                    ((2, 0), (2, 1))])
def test_a_2d_copy_arrow_clears_the_numbers_it_links(qapp, frm, to):
    """Review r12 G4: in 2D reflect padding the arrow began on the border cell's '13' and
    its head covered its source's '13'. It runs from edge to edge now, still from the
    border cell to the pixel it copies."""
    cases = [((30.0, 24.0), "13"), ((24.0, 24.0), "13")]
    if max(abs(to[0] - frm[0]), abs(to[1] - frm[1])) > 1:  # (neighbours: short numbers)
        cases.append(((40.0, 30.0), "−0.82"))
    for cell_px, text in cases:
        rects = [_text_rect(frm, text, cell_px), _text_rect(to, text, cell_px)]
        path, head = link_path(frm, to, over_rows=False)
        assert not _crosses(path, head, rects), (frm, to, cell_px)
        # from the border cell's edge to its source's edge (the head points at it)
        for point, (r, c) in ((path.pointAtPercent(0.0), frm), (head[0], to)):
            off = max(abs(point.x() - c - 0.5), abs(point.y() - r - 0.5))
            assert 0.2 <= off <= 0.56, (point, r, c)


def test_an_arrow_over_the_row_stays_under_the_row_above(qapp):
    path, head = link_path((1, 0), (1, 2), over_rows=True)
    top = min([path.pointAtPercent(i / 100).y() for i in range(101)]
              + [p.y() for p in head])
    above = _text_rect((0, 1), "0.82", (30.0, 24.0))
    assert 0.5 < top < 1.0 and top > above.bottom()


# -- one view ----------------------------------------------------------------------------
def _view(qtbot, strip: bool, size=(520, 240)) -> HeatmapView:
    view = HeatmapView(scrub_wheel=False)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.set_strip(strip)
    values = np.round(np.random.default_rng(3).normal(size=(3, 64)), 2)
    view.draw(values, (-3.0, 3.0), "diverging", (3, 64), (0, 0))
    view.fit((3, 64), True)
    QApplication.processEvents()
    return view


def test_a_long_strip_prints_its_numbers_and_says_which_steps(qtbot):
    view = _view(qtbot, strip=True)
    crop = view.cropped()
    assert crop is not None and crop.first == 0
    assert view.shows_values()
    assert view.caption().startswith(f"steps 0–{crop.count - 1} of 64")
    shown = view.vb.viewRect()
    assert view.vb.width() / shown.width() >= view.labels.min_width()


def test_the_same_plane_not_a_strip_stays_whole_and_square(qtbot):
    view = _view(qtbot, strip=False)  # a 2D plane's fit is what it was
    assert view.cropped() is None and view.caption() == ""
    assert not view.shows_values()
    assert view.vb.state["aspectLocked"] == 1.0


def test_a_cropped_strip_follows_the_current_term(qtbot):
    view = _view(qtbot, strip=True)
    marks = GridMarks(view.vb)
    where = Placement(3, (0,), (0, 0), (3, 64))
    marks.set_cells("read", [(0, c, i) for c in range(3) for i in range(49, 52)], False, where)
    marks.set_cells("current", [(0, 1, 50)], False, where)
    qtbot.waitUntil(lambda: view.cropped().first > 0)
    crop = view.cropped()
    assert crop.first <= 49 and 51 < crop.first + crop.count
    assert view.caption().startswith(f"steps {crop.first}–{crop.first + crop.count - 1} of 64")
    first = crop.first
    marks.set_cells("current", [(0, 1, 51)], False, where)  # the player's next step
    QApplication.processEvents()
    assert view.cropped().first == first  # still in view: the strip keeps still


def test_a_strip_panned_by_hand_stays_where_it_was_put(qtbot):
    view = _view(qtbot, strip=True)
    view.vb.sigRangeChangedManually.emit([True, False])  # what a middle-drag says
    view.vb.translateBy(x=20)
    QApplication.processEvents()
    caption_now = view.caption()
    assert caption_now.startswith("steps 2") and "of 64" in caption_now
    GridMarks(view.vb).set_cells("current", [(0, 0, 60)], False,
                                 Placement(3, (0,), (0, 0), (3, 64)))
    QApplication.processEvents()
    assert view.caption() == caption_now


# -- the window --------------------------------------------------------------------------
def _strips_on(window) -> None:
    """The grids of a Conv1d layer draw strips (what TensorGrid asks of its view)."""
    for grid in window.grids.grids.values():
        grid.view.set_strip(grid.spec is not None and grid.spec.dims == 1)
        grid.fit()


@pytest.mark.parametrize("length", [64, 256])
@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)], ids=["1600", "1280"])
def test_conv1d_of_a_long_input_prints_the_sum_it_explains(qtbot, make_window, size, length):
    session = load_preset("conv1d_basic")
    window = make_window(session)
    window.document.set_spec(dataclasses.replace(session.spec, input_size=(length,)))
    settle(qtbot, window, size)
    _strips_on(window)
    entry = (0, 1, length // 2 - 2)
    window.selection.set_selection(Selection("output", entry, step=2))
    settle(qtbot, window)
    x, y = window.grids.grids["input"], window.grids.grids["output"]
    qtbot.waitUntil(lambda: x.view.cropped() is not None and x.view.cropped().first > 0)
    for grid in (x, y):
        assert grid.shows_values(), grid.name
        assert f"of {length}" in grid.view.caption()
    # the weight's taps print theirs too (review r12 G1: the long strips took their room)
    for name in ("weight", "grad_weight"):
        assert window.grids.grids[name].shows_values(), name
    # the current term's x cell (padded column) and the selected output cell are in view
    (cell,) = x.marks.layers["current"].columns()
    crop = x.view.cropped()
    assert crop.first <= cell < crop.first + crop.count
    crop = y.view.cropped()
    assert crop.first <= entry[2] < crop.first + crop.count


def test_the_crop_follows_the_player_through_a_sum_that_reads_the_whole_strip(
        qtbot, make_window):
    session = load_preset("conv1d_basic")
    window = make_window(session)
    window.document.set_spec(dataclasses.replace(session.spec, input_size=(64,)))
    settle(qtbot, window, (1280, 800))
    _strips_on(window)
    x, gy = window.grids.grids["input"], window.grids.grids["grad_output"]
    for step in (0, 1, 30, 63):  # grad_weight[1, 0, 1] sums gy[0, 1, i] · xp[0, 0, i + 1]
        window.selection.set_selection(Selection("grad_weight", (1, 0, 1), step=step))
        settle(qtbot, window)
        for grid in (x, gy):
            (cell,) = grid.marks.layers["current"].columns()
            qtbot.waitUntil(lambda g=grid, c=cell: g.view.cropped() is not None and (
                g.view.cropped().first <= c < g.view.cropped().first + g.view.cropped().count))
            assert grid.shows_values()
        assert gy.view.caption().startswith("steps ") and "of 64" in gy.view.caption()


def test_a_reflect_padded_strip_routes_its_arrows_over_the_row(qtbot, make_window):
    session = load_preset("conv1d_basic")
    window = make_window(session)
    window.document.set_spec(dataclasses.replace(session.spec, padding_mode="reflect"))
    settle(qtbot, window)
    _strips_on(window)
    window.selection.set_selection(Selection("output", (0, 0, 0), step=0))
    settle(qtbot, window)
    x = window.grids.grids["input"]
    arrows = x.marks.link_items["current"]
    assert isinstance(arrows, LinksItem) and arrows.count == 1
    assert arrows._over_rows
    assert x.view.cropped() is None  # 12 columns: the whole strip prints
    assert x.shows_values()


def test_pixels_per_cell_helper_is_consistent(qapp):
    # a sanity check of the test's own geometry: a rect in the middle of its cell
    rect = _text_rect((0, 3), "0.82", (30.0, 24.0))
    assert rect.contains(QPointF(3.5, 0.5)) and 3 < rect.left() < rect.right() < 4
