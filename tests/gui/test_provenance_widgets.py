"""The explainer's own widgets on their own: the equation panel, the player and the im2col view."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.explain import explain_spec
from core.im2col_steps import im2col_steps
from core.session import Session
from core.spec import LayerSpec
from gui.equation import symbolic, term_text
from gui.im2col_layout import PAGE_OF, PAGES, marks, matrices
from gui.widgets.equation_panel import EquationPanel
from gui.widgets.im2col_view import Im2colView
from gui.widgets.player import FPS, PlayerBar
from tests.views.explainer_scene import ENTRIES, SPEC, spec_scene, spec_terms


@pytest.fixture(scope="module")
def session():
    return spec_scene()[0]


@pytest.fixture(scope="module")
def results():
    return spec_scene()[1]


# -- equation panel ----------------------------------------------------------------------
@pytest.mark.parametrize("target", list(ENTRIES))
def test_running_sum_at_the_end_is_the_entry(qtbot, session, results, target):
    panel = EquationPanel()
    qtbot.addWidget(panel)
    terms = spec_terms(session, target)
    panel.set_terms(terms, 0)
    assert panel.running_sum() == pytest.approx(terms.value[0])
    panel.set_terms(terms, len(terms) - 1)
    want = getattr(results, target)[ENTRIES[target]]
    assert panel.running_sum() == pytest.approx(want, rel=1e-12, abs=1e-12)
    assert panel.formula.text() == symbolic(terms)
    assert term_text(terms, len(terms) - 1) in panel.current.text()


def test_the_current_term_is_marked_and_a_click_asks_for_its_step(qtbot, session):
    panel = EquationPanel()
    qtbot.addWidget(panel)
    panel.show()
    terms = spec_terms(session, "grad_weight")
    panel.set_terms(terms, 5)
    row = panel.model.index(5)
    assert panel.model.data(row).startswith("▶")
    assert panel.model.data(row, Qt.ItemDataRole.FontRole).bold()
    assert not panel.model.data(panel.model.index(4)).startswith("▶")
    with qtbot.waitSignal(panel.stepRequested) as got:
        panel.list.clicked.emit(panel.model.index(2))
    assert got.args == [2]
    panel.set_terms(None)
    assert panel.terms is None and not panel.list.isVisible()


def test_the_value_shares_the_formula_line_only_when_both_fit(qtbot, session):
    panel = EquationPanel()
    qtbot.addWidget(panel)
    panel.resize(1400, 160)
    panel.show()
    terms = spec_terms(session, "grad_weight")
    panel.set_terms(terms, 3)
    qtbot.wait(1)
    wide_value = panel.value.text()
    assert panel.value_inline and wide_value.startswith("= ")
    assert panel.value.y() < panel.formula.geometry().bottom()  # the same line
    assert panel.value.x() >= panel.formula.x() + panel.formula.fontMetrics().horizontalAdvance(
        panel.formula.text())  # after the whole formula, never over it
    panel.resize(500, 160)  # too narrow for both: a line of its own, naming the entry again
    qtbot.wait(1)
    assert not panel.value_inline
    assert panel.value.text().startswith("grad_weight[") and panel.value.text().endswith(
        wide_value[1:])
    assert panel.value.y() >= panel.formula.geometry().bottom()
    panel.set_terms(terms, 4)
    assert "terms 0..4" in panel.value.text() and panel.value.text().startswith("grad_weight[")
    panel.resize(1400, 160)
    qtbot.wait(1)
    assert panel.value_inline and panel.value.text().startswith("= ")


def test_tens_of_thousands_of_terms_do_not_freeze_the_panel(qtbot):
    spec = LayerSpec(in_channels=3, out_channels=16, kernel_size=(3, 3), padding=(1, 1),
                     input_size=(128, 128), padding_mode="reflect")
    s = Session.default(spec)
    terms = explain_spec(spec, "grad_weight", (3, 1, 1, 1), **s.tensors())
    assert len(terms) == 128 * 128
    panel = EquationPanel()
    qtbot.addWidget(panel)
    panel.show()
    start = time.perf_counter()
    panel.set_terms(terms, 0)
    for step in range(0, len(terms), 997):
        panel.set_terms(terms, step)
    qtbot.wait(1)
    assert time.perf_counter() - start < 2.0


# -- player ------------------------------------------------------------------------------
def test_speed_is_in_steps_per_second_independent_of_frames(qtbot):
    bar = PlayerBar()
    qtbot.addWidget(bar)
    pb = bar.playback
    bar.set_count(100)
    pb.set_speed(2.0)  # 1/30 of a step per frame
    seen = []
    bar.stepRequested.connect(seen.append)
    for _ in range(FPS // 2 - 1):
        pb.advance(1 / FPS)
    assert seen == [] and pb.step == 0
    for _ in range(2):
        pb.advance(1 / FPS)
    assert seen == [1]
    pb.set_speed(600.0)  # 10 steps a frame: one signal, the last step
    pb.advance(1 / FPS)
    assert seen == [1, 11]


def test_stepping_and_scrubbing_land_on_the_requested_step(qtbot):
    bar = PlayerBar()
    qtbot.addWidget(bar)
    bar.set_count(50)
    bar.set_step(10)
    seen = []
    bar.stepRequested.connect(seen.append)
    bar.step_forward()
    bar.set_step(11)  # what the controller does with the request
    bar.step_back()
    bar.scrubber.setValue(37)
    bar.last.click()
    bar.first.click()
    bar.set_step(0)
    bar.step_back()  # stays at the first step
    assert seen == [11, 10, 37, 49, 0, 0]
    bar.set_step(20)  # from the controller: silent
    assert seen[-1] == 0 and bar.scrubber.value() == 20 and bar.playback.step == 20


def test_playing_runs_to_the_end_and_stops(qtbot):
    bar = PlayerBar()
    qtbot.addWidget(bar)
    bar.set_count(8)
    bar.playback.set_speed(1000.0)
    with qtbot.waitSignal(bar.playback.finished, timeout=2000):
        bar.play.click()
    assert not bar.playback.is_playing() and bar.playback.step == 7
    bar.set_count(0)
    assert not bar.play.isEnabled()


def test_animate_all_is_a_request(qtbot):
    bar = PlayerBar()
    qtbot.addWidget(bar)
    with qtbot.waitSignal(bar.animateAllRequested) as got:
        bar.animate_all.click()
    assert got.args == [True]
    bar.set_animate_all(False)
    assert not bar.animate_all.isChecked()


# -- im2col view -------------------------------------------------------------------------
@pytest.mark.parametrize("target", list(ENTRIES))
def test_im2col_view_shows_cores_matrices_and_marks_the_terms(qtbot, session, target):
    s = session
    view = Im2colView()
    qtbot.addWidget(view)
    view.show()
    sample = ENTRIES[target][0] if target in ("output", "grad_input") else 1
    st = im2col_steps(SPEC, s.input, s.weight, s.bias, s.grad_output, sample=sample)
    view.set_steps(st)
    terms = spec_terms(session, target)
    in_matrices = (terms.n == sample) & ((terms.kh >= 0) | (target == "grad_bias"))
    step = int(np.flatnonzero(in_matrices)[-1])
    view.set_terms(terms, step)
    page = PAGE_OF[target]
    assert view.page == page
    m = matrices(st)
    found = marks(terms, sample, step)
    for name in PAGES[page]:
        shown = view.shown(name, page)
        want = m[name]
        mark = found.marks.get(name)
        if want.ndim == 3:
            want = want[mark.channel if mark is not None and mark.channel is not None else 0]
        np.testing.assert_array_equal(shown, want, err_msg=name)
        read, current = view.marked(name, page)
        if mark is None:
            assert not read.any()
            continue
        cells = mark.read[:, -2:]
        expected = np.zeros_like(read)
        expected[cells[:, 0], cells[:, 1]] = True
        np.testing.assert_array_equal(read, expected, err_msg=name)
        assert current.sum() == 1, name


def test_im2col_view_lays_out_a_transposed_layer_and_switches_back(qtbot, session):
    """One view, a transposed layer's pages for every target (core's matrices, the terms'
    cells marked), the crop framed, then a Conv2d's pages again."""
    from gui import im2col_transposed
    from tests.views.explainer_scene import TENTRIES, TSPEC, transposed_scene

    ts = transposed_scene()[0]
    view = Im2colView()
    qtbot.addWidget(view)
    view.show()
    st = im2col_steps(TSPEC, ts.input, ts.weight, ts.bias, ts.grad_output, sample=1)
    view.set_steps(st)
    assert [view.page_box.itemData(i) for i in range(view.page_box.count())] == list(
        im2col_transposed.PAGES)
    assert "input positions" in view.caption.text()
    m = im2col_transposed.matrices(st)
    for target, entry in TENTRIES.items():
        terms = explain_spec(TSPEC, target, entry, **ts.tensors())
        view.set_terms(terms, len(terms) - 1)
        page = im2col_transposed.PAGE_OF[target]
        assert view.page == page and view.stack.currentWidget() is view.pages[page]
        found = im2col_transposed.marks(terms, 1, len(terms) - 1)
        for name in im2col_transposed.PAGES[page]:
            mark = found.marks.get(name)
            want = m[name] if m[name].ndim == 2 else m[name][  # unmarked: the one on screen
                view.plots[page, name].channel if mark is None else mark.channel]
            np.testing.assert_array_equal(view.shown(name, page), want, err_msg=name)
            read, current = view.marked(name, page)
            assert read.sum() == (0 if mark is None else len({tuple(c[-2:]) for c in mark.read
                                                              if len(c) == 2 or
                                                              c[0] == mark.channel})), name
            assert current.sum() == (mark is not None and len(mark.current) > 0), name
    frame = view.plots["forward", "full_output"].box.path().boundingRect()
    top, left, rows, cols = im2col_transposed.boxes(TSPEC)["full_output"]
    assert (frame.top(), frame.left(), frame.height(), frame.width()) == (top, left, rows, cols)
    # a Conv2d's steps bring its own pages back
    view.set_steps(im2col_steps(SPEC, session.input, session.weight, session.bias,
                                session.grad_output))
    assert view.page == "forward" and view.page_box.count() == len(PAGES)
    assert view.shown("product") is not None and "output positions" in view.caption.text()


def test_hidden_view_draws_when_shown(qtbot, session):
    s = session
    view = Im2colView()
    qtbot.addWidget(view)
    view.set_steps(im2col_steps(SPEC, s.input, s.weight, s.bias, s.grad_output))
    assert view.shown("cols") is None
    view.show()
    assert view.shown("cols") is not None


@pytest.mark.parametrize(("low", "high", "pixels", "step"),
                         [(-0.5, 3.5, 200, 1), (27.5, -0.5, 200, 5), (-2.0, 1000.0, 300, 100)])
def test_im2col_axes_number_whole_cells_at_their_centres(qtbot, low, high, pixels, step):
    from gui.widgets.im2col_view import CellAxis

    axis = CellAxis("left")
    [(spacing, values)] = axis.tickValues(low, high, pixels)
    assert spacing == step
    labels = axis.tickStrings(values, 1.0, spacing)
    assert labels[0] == "0" and all(int(t) % step == 0 for t in labels)
    assert all(v - 0.5 == int(t) for v, t in zip(values, labels, strict=True))
    assert spacing * pixels / abs(high - low) >= CellAxis.MIN_PIXELS
