"""The explainer in the real window: selecting, stepping, scrubbing, hovering, sweeping, the
im2col tab and the command line, each checked against core.explain / core.im2col_steps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gui_checks import cell_pos
from provenance_checks import padded_to_real
from PySide6.QtCore import QPointF, Qt

from core.explain import SOURCES, explain_spec, readers
from core.im2col_steps import im2col_steps
from core.io.presets import load_preset
from gui.im2col_layout import PAGES, matrices
from gui.provenance import MAX_LINKS
from gui.selection import Selection

ROOT = Path(__file__).resolve().parents[2]


def _rows(a) -> set[tuple[int, ...]]:
    return {tuple(int(i) for i in row) for row in a}


def _padded(spec, terms, mask):
    cols = [terms.n, terms.c, terms.ph, terms.pw] if spec.batched else [terms.c, terms.ph,
                                                                      terms.pw]
    return {tuple(int(c[i]) for c in cols) for i in np.flatnonzero(mask)}


def _select(window, tensor, index, step=None):
    window.selection.set_selection(Selection(tensor, tuple(index), step=step))
    return window.explainer.terms


def _check_reads(window, terms, style="read"):
    """Every grid shows exactly what the terms read (all slices: highlights are full indices)."""
    spec = terms.spec
    grids = window.grids.grids
    for name in SOURCES:
        mask = terms.reading(name)
        shown = set(grids[name].highlighted(style))
        if not mask.any():
            assert not shown, name
        elif name == "input":
            assert shown == _padded(spec, terms, mask)
            real = padded_to_real(spec, np.array(sorted(shown)))
            assert _rows(real) == _rows(terms.indices("input"))
        else:
            assert shown == _rows(terms.indices(name)), name


@pytest.mark.parametrize("preset", ["default", "reflect_padding", "strided_dilated",
                                    "depthwise"])
@pytest.mark.parametrize("target", ["output", "grad_input", "grad_weight", "grad_bias"])
def test_selecting_an_entry_highlights_exactly_what_explain_reads(make_window, preset, target):
    session = load_preset(preset)
    if target == "grad_bias" and not session.spec.bias:
        return  # nothing to select (and a skip with a live window crashes PySide6 6.12)
    window = make_window(session)
    shape = getattr(window.engine.latest.results, target).shape
    index = tuple(int(i) for i in np.array(shape) // 2)
    terms = _select(window, target, index)
    want = explain_spec(session.spec, target, index, **session.tensors())
    assert len(terms) == len(want)
    _check_reads(window, terms)
    assert window.grids.grids[target].highlighted("write") == [index]
    assert window.equation.running_sum() == pytest.approx(
        getattr(window.engine.latest.results, target)[index], rel=1e-9, abs=1e-12)


def test_a_border_cell_links_to_the_pixel_it_copies(make_window):
    session = load_preset("reflect_padding")
    window = make_window(session)
    spec = session.spec
    _select(window, "output", (0, 0, 0, 0), step=0)
    grid = window.grids.grids["input"]
    frm, to = window.explainer.provenance.at(None).links["read"]
    border = [c for c in grid.highlighted("read") if not (
        0 <= c[-2] - spec.pads[0] < spec.input_size[0]
        and 0 <= c[-1] - spec.pads[2] < spec.input_size[1])]
    assert len(frm) and _rows(frm) == set(border)
    assert grid.links("explain") == 0  # at a step, the current term's arrow alone
    assert grid.links("current") == 1  # term 0 reads a border cell
    _select(window, "output", (0, 0, 0, 0))
    assert grid.links("explain") == len(frm) <= MAX_LINKS  # the whole sum: one arrow each
    for a, b in zip(frm, to, strict=True):
        (real,) = padded_to_real(spec, np.array([a]))
        assert tuple(real[-2:]) == (b[-2] - spec.pads[0], b[-1] - spec.pads[2])


def test_clicking_an_output_cell_selects_and_explains_it(window, qtbot):
    grid = window.grids.grids["output"]
    qtbot.mouseClick(grid.view.viewport(), Qt.MouseButton.LeftButton, pos=cell_pos(grid, 2, 3))
    assert window.selection.selection.index == (0, 0, 2, 3)
    _check_reads(window, window.explainer.terms)
    assert window.explainer.forward_action.isEnabled()


def test_keys_step_scrub_and_clear(window, qtbot):
    terms = _select(window, "grad_weight", (1, 2, 1, 1))
    grid = window.grids.grids["grad_weight"]
    grid.view.setFocus()
    qtbot.keyClick(grid.view, Qt.Key.Key_Right)  # from the whole sum to the first term
    assert window.explainer.step == 0
    qtbot.keyClick(grid.view, Qt.Key.Key_Right)
    qtbot.keyClick(grid.view, Qt.Key.Key_Right)
    qtbot.keyClick(grid.view, Qt.Key.Key_Left)
    assert window.explainer.step == window.selection.selection.step == 1
    window.player.scrubber.setValue(77)
    assert window.explainer.step == window.equation.step == 77
    term = terms[77]
    assert window.grids.grids["grad_output"].highlighted("current") == [term.reads["grad_output"]]
    (cell,) = window.grids.grids["input"].highlighted("current")
    assert cell == (0, term.reads["input"][1], term.padded[0], term.padded[1])
    assert window.grids.grids["input"].lead == (0, term.reads["input"][1])  # its channel shown
    done = set(window.grids.grids["grad_output"].highlighted("done"))
    assert done == _rows(terms.indices("grad_output")[:77])
    window.equation.list.clicked.emit(window.equation.model.index(5))
    assert window.explainer.step == 5
    qtbot.keyClick(grid.view, Qt.Key.Key_Escape)
    assert window.selection.selection.empty
    assert all(not g.highlighted(s) for g in window.grids.all() for s in ("read", "current"))
    assert window.equation.terms is None


def test_running_sum_at_the_last_step_is_the_entry(window):
    results = window.engine.latest.results
    for target, index in (("output", (0, 3, 15, 0)), ("grad_input", (0, 2, 0, 7)),
                          ("grad_weight", (3, 0, 0, 2)), ("grad_bias", (1,))):
        terms = _select(window, target, index)
        window.player.scrubber.setValue(0)
        assert window.equation.running_sum() == pytest.approx(terms.value[0])
        window.player.scrubber.setValue(len(terms) - 1)
        assert window.explainer.step == len(terms) - 1
        assert window.equation.running_sum() == pytest.approx(
            getattr(results, target)[index], rel=1e-12, abs=1e-12)


def test_playing_walks_the_terms(window, qtbot):
    terms = _select(window, "output", (0, 0, 4, 4), step=0)
    window.player.playback.set_speed(1000.0)
    with qtbot.waitSignal(window.player.playback.finished, timeout=3000):
        window.explainer.play_action.trigger()
    assert window.explainer.step == len(terms) - 1


@pytest.mark.parametrize(("source", "index"), [("input", (0, 1, 0, 5)), ("weight", (2, 1, 0, 2)),
                                               ("bias", (3,)), ("grad_output", (0, 2, 7, 15))])
def test_hover_shows_the_reverse_look_up(window, qtbot, source, index):
    session = window.engine.latest.session
    window.selection.set_hover(Selection(source, index))
    qtbot.waitUntil(lambda: bool(window.grids.grids[source].highlighted("hover")), timeout=2000)
    terms = readers(session.spec, source, index, **session.tensors())
    grids = window.grids.grids
    assert set(grids[terms.target].highlighted("hover")) == _rows(terms.entries())
    for name in SOURCES:
        mask = terms.reading(name)
        if name == "input" and mask.any():
            assert set(grids[name].highlighted("hover")) >= _padded(session.spec, terms, mask)
        elif mask.any():
            assert set(grids[name].highlighted("hover")) == _rows(terms.indices(name))
    window.selection.set_hover(Selection())
    qtbot.waitUntil(lambda: not grids[terms.target].highlighted("hover"), timeout=2000)


@pytest.mark.parametrize("cell", [(0, 0), (1, 3), (8, 4)])
def test_hovering_a_border_cell_shows_the_reads_through_it(make_window, qtbot, cell):
    """Under reflect padding a border cell is a copy: hovering it shows the outputs that read
    that very cell, and an arrow to the pixel it copies."""
    session = load_preset("reflect_padding")
    window = make_window(session)
    grid = window.grids.grids["input"]
    grid.vb.hovered.emit(QPointF(cell[1] + 0.5, cell[0] + 0.5))
    qtbot.waitUntil(lambda: bool(grid.highlighted("hover")), timeout=2000)
    hover = window.selection.hover
    assert hover.padded == cell and grid.real_index(*cell) is None
    terms = readers(session.spec, "input", hover.index, **session.tensors())
    through = (terms.ph == cell[0]) & (terms.pw == cell[1])
    assert through.any() and not through.all()
    assert set(window.grids.grids["output"].highlighted("hover")) == _rows(
        terms[through].entries())
    assert (0, 0, *cell) in set(grid.highlighted("hover"))
    assert grid.links("hover") == 1
    grid.vb.hovered.emit(QPointF(2.5, 2.5))  # a real pixel: every read again
    qtbot.waitUntil(lambda: window.selection.hover.padded is None, timeout=2000)
    qtbot.waitUntil(lambda: set(window.grids.grids["output"].highlighted("hover")) == _rows(
        readers(session.spec, "input", (0, 0, 0, 0), **session.tensors()).entries()),
        timeout=2000)


def test_im2col_tab_shows_cores_matrices(make_window):
    session = load_preset("seed001_im2col_gradients")
    window = make_window(session)
    _select(window, "grad_weight", (1, 2, 1, 0), step=3)
    window.tabs.setCurrentWidget(window.im2col)
    view = window.im2col
    assert view.page == "grad_weight"
    s = session
    want = matrices(im2col_steps(s.spec, s.input, s.weight, s.bias, s.grad_output, 0))
    for page, names in PAGES.items():
        view.show_page(page)
        for name in names:
            shown = view.shown(name, page)
            expected = want[name] if want[name].ndim == 2 else want[name][view.plots[
                page, name].channel]
            np.testing.assert_array_equal(shown, expected, err_msg=f"{page}/{name}")
    read, current = view.marked("grad_weight", "grad_weight")
    assert read.sum() == 1 and current.sum() == 1


def test_animate_all_fills_the_tensor_entry_by_entry(window, qtbot):
    _select(window, "grad_input", (0, 0, 0, 0))
    window.player.animate_all.click()
    ex = window.explainer
    assert ex.sweeping == "grad_input" and window.player.playback.is_playing()
    window.player.playback.pause()
    window.player.scrubber.setValue(300)  # entry 300 of grad_input (1, 3, 16, 16)
    index = (0, 1, 2, 12)
    assert window.selection.selection.index == index
    grid = window.grids.grids["grad_input"]
    assert grid.highlighted("write") == [index]
    assert len(grid.highlighted("pending")) == 3 * 16 * 16 - 301
    _check_reads(window, ex.terms)
    window.player.animate_all.click()
    assert ex.sweeping is None and not grid.highlighted("pending")


def _run(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})


def test_cli_select_step_screenshot(tmp_path):
    out = tmp_path / "fig.png"
    done = _run("--select", "grad_weight[0,0,1,1]", "--step", "7", "--screenshot", str(out))
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 10_000


@pytest.mark.parametrize(("args", "message"), [
    (["--select", "grad_weight(0)"], "cannot read"),
    (["--select", "output[0,9,0,0]"], "shape is (1, 4, 16, 16)"),
    (["--select", "output[0,0,0,0]", "--step", "99"], "sum of"),
    (["strided_dilated", "--select", "grad_input[0,0,2,3]", "--step", "1"], "sum of no terms"),
    (["--step", "2"], "--step needs --select"),
])
def test_cli_refuses_a_bad_selection_in_one_line(tmp_path, args, message):
    done = _run(*args, "--screenshot", str(tmp_path / "x.png"))
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count("\n") == 1


def test_a_layer_change_explains_the_selection_again(window, qtbot):
    _select(window, "grad_weight", (1, 2, 1, 1), step=3)
    window.document.set_spec(window.document.spec.replace(batch=None, padding_mode="circular"))
    qtbot.waitUntil(lambda: not window.explainer.terms.spec.batched, timeout=3000)
    terms = window.explainer.terms
    assert terms.spec.padding_mode == "circular" and window.explainer.step == 3
    _check_reads(window, terms)
    window.document.undo_stack.undo()
    qtbot.waitUntil(lambda: window.explainer.terms.spec.batched, timeout=3000)
    _check_reads(window, window.explainer.terms)


def test_inf_and_nan_entries_explain_quietly(make_window):
    """Typed inf values: the sum of inf and -inf is nan on screen, as in torch, and no
    RuntimeWarning escapes (warnings are errors in this suite)."""
    session = load_preset("default")
    x = session.tensor("input").copy()
    x[0, 0, 1, 1], x[0, 0, 1, 2] = np.inf, -np.inf
    window = make_window(session.with_tensor("input", x))
    results = window.engine.latest.results
    assert np.isnan(results.output[0, 0, 1, 1]) or np.isinf(results.output[0, 0, 1, 1])
    for target, index in (("output", (0, 0, 1, 1)), ("grad_weight", (0, 0, 1, 1))):
        terms = _select(window, target, index, step=0)
        window.player.scrubber.setValue(len(terms) - 1)
        np.testing.assert_equal(window.equation.running_sum(), getattr(results, target)[index])


def test_an_entry_of_no_terms_says_why(make_window):
    session = load_preset("strided_dilated")  # stride 2, dilation 2: some pixels go unread
    window = make_window(session)
    terms = _select(window, "grad_input", (0, 0, 2, 3))
    assert len(terms) == 0 and window.equation.running_sum() == 0
    assert window.engine.latest.results.grad_input[0, 0, 2, 3] == 0
    assert ("(no terms: no kernel window reads this pixel: the stride and dilation step over it)"
            in window.equation.value.text())
