"""The document's limits: the undo history keeps what changed, within a byte cap (oldest steps
dropped, and said); layers over the memory budget are refused from every door, the document
untouched."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from files_support import (  # noqa: F401
    controller_for,
    data_home_fixture,
    dialogs_fixture,
    files_fixture,
)

from core import budget
from core.io.session_io import save_session
from core.session import Session
from core.spec import LayerSpec
from gui.document import CellEdit, Document

LARGE = LayerSpec(in_channels=8, out_channels=2, kernel_size=(3, 3), input_size=(128, 128))


def _doc(limit: int) -> Document:
    return Document(Session.default(LARGE), history_limit=limit)


def test_fifty_cell_edits_keep_only_their_cells_and_undo_exactly(qtbot):
    doc = _doc(limit=2**30)
    states = [doc.session.input]
    rng = np.random.default_rng(0)
    for k in range(50):
        index = (0, k % 8, int(rng.integers(128)), slice(3, 7))
        doc.apply_edit(CellEdit("input", index, rng.standard_normal(4)))
        states.append(doc.session.input)
    assert doc.undo_stack.count() == 50
    assert doc.history_bytes() <= 50 * 2 * 4 * 8  # old and new values of 4 cells per step
    for k in range(50, 0, -1):
        assert np.array_equal(doc.session.input, states[k])
        doc.undo_stack.undo()
    assert np.array_equal(doc.session.input, states[0])
    for k in range(1, 51):
        doc.undo_stack.redo()
        assert np.array_equal(doc.session.input, states[k])


def test_the_history_stays_under_its_cap_and_says_what_it_dropped(qtbot):
    tensor_bytes = 8 * 128 * 128 * 8
    doc = _doc(limit=6 * tensor_bytes)
    notes: list[str] = []
    doc.historyTrimmed.connect(notes.append)
    doc.undo_stack.setClean()
    states = []
    for k in range(20):
        doc.fill("input", np.random.default_rng(k).standard_normal(LARGE.input_shape), "Fill")
        states.append(doc.session.input)
        assert doc.history_bytes() <= doc.history_limit
    kept = doc.undo_stack.count()
    assert 1 < kept < 20 and doc.dropped_steps == 20 - kept
    assert notes and "dropped" in notes[-1] and f"{doc.dropped_steps} so far" in notes[-1]
    assert not doc.undo_stack.isClean()  # the saved state was dropped: never clean again
    for k in range(19, 19 - kept, -1):
        assert np.array_equal(doc.session.input, states[k])
        doc.undo_stack.undo()
    assert np.array_equal(doc.session.input, states[19 - kept])
    assert not doc.undo_stack.canUndo()
    while doc.undo_stack.canRedo():
        doc.undo_stack.redo()
    assert np.array_equal(doc.session.input, states[-1])


def test_trimming_keeps_the_clean_state_when_it_survives(qtbot):
    doc = _doc(limit=3 * 8 * 128 * 128 * 8)
    for k in range(4):
        doc.fill("input", np.full(LARGE.input_shape, float(k)) + np.arange(128), "Fill")
    doc.undo_stack.setClean()
    saved = doc.session.input
    doc.fill("input", np.random.default_rng(1).standard_normal(LARGE.input_shape), "Fill")
    assert doc.dropped_steps > 0 and not doc.undo_stack.isClean()
    doc.undo_stack.undo()
    assert doc.undo_stack.isClean() and np.array_equal(doc.session.input, saved)


def test_a_layer_change_keeps_only_the_dropped_cells(qtbot):
    doc = _doc(limit=2**30)
    old = doc.session
    doc.set_spec(dataclasses.replace(LARGE, input_size=(64, 128)), "input_size")
    cut = 8 * 64 * 128 * 8  # the cut half of the input, once
    assert cut <= doc.history_bytes() <= cut + 64  # (+ the cut grad_output: all ones, one value)
    doc.undo_stack.undo()
    for name, x in old.tensors().items():
        assert np.array_equal(doc.session.tensor(name), x)


def test_merged_layer_steps_undo_and_redo_exactly(qtbot):
    doc = Document()
    before = doc.session
    for k in (2, 1, 6):  # shrink (values dropped), then grow again: one merged step
        doc.set_spec(dataclasses.replace(doc.spec, out_channels=k), "out_channels")
    after = doc.session
    assert doc.undo_stack.count() == 1
    assert np.all(after.weight[1:] == 0)  # what the shrink dropped stays dropped
    doc.undo_stack.undo()
    for name, x in before.tensors().items():
        assert np.array_equal(doc.session.tensor(name), x), name
    doc.undo_stack.redo()
    for name, x in after.tensors().items():
        assert np.array_equal(doc.session.tensor(name), x), name


def test_the_window_says_when_history_was_dropped(window):
    doc = window.document
    doc.history_limit = 1
    for k in range(3):
        doc.fill("input", np.full(doc.spec.input_shape, float(k + 2)), "Fill")
    assert "oldest" in window.status.currentMessage()
    assert "dropped" in window.history_dock.widget().emptyLabel()


# -- the memory budget ------------------------------------------------------------------
@pytest.fixture
def small_budget():
    budget.set_limit(4 * 2**20)
    yield budget.limit()
    budget.set_limit(None)


HUGE = LayerSpec(in_channels=64, out_channels=64, kernel_size=(3, 3), input_size=(128, 128))


def test_a_layer_change_over_the_budget_is_refused_and_said(qtbot, small_budget):
    doc = Document()
    before = doc.session
    with qtbot.waitSignal(doc.refused) as said:
        assert doc.set_spec(HUGE, "in_channels") is False
    assert doc.session is before and doc.undo_stack.count() == 0
    text = said.args[0]
    assert budget.format_bytes(budget.estimate_bytes(HUGE)) in text
    assert budget.format_bytes(small_budget) in text


def test_a_preset_or_restore_over_the_budget_is_refused(qtbot, small_budget):
    doc = Document()
    before = doc.session
    big = Session.default(dataclasses.replace(HUGE, in_channels=16))
    with qtbot.waitSignal(doc.refused):
        assert doc.replace_session(big, "Restore autosaved session") is False
    assert doc.session is before and doc.undo_stack.count() == 0


def test_opening_a_file_over_the_budget_says_so_and_changes_nothing(
        window, files, tmp_path, small_budget):
    path = tmp_path / "big.npz"
    save_session(path, Session.default(dataclasses.replace(HUGE, in_channels=16)))
    before = window.document.session
    assert files.open_path(path) is False
    assert window.document.session is before and window.document.undo_stack.count() == 0
    title, text, detail = files.prompts.errors[-1]
    assert "big.npz was not opened" in text and "memory limit" in detail
    assert files.prompts.unsaved == []  # refused before asking about unsaved work


def test_importing_a_tensor_that_needs_a_layer_over_the_budget_is_refused(
        window, files, tmp_path, small_budget):
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((1, 64, 128, 128)))
    before = window.document.session
    assert window.imports.import_tensor_from("input", path) is False
    assert window.document.session is before
    assert "memory limit" in files.prompts.last_error
    assert files.prompts.questions == []  # not even offered


def test_the_status_bar_shows_a_refusal(window, qtbot, small_budget):
    window.document.set_spec(HUGE, "in_channels")
    assert "memory limit" in window.status.currentMessage()


# -- the im2col tab ---------------------------------------------------------------------
@pytest.mark.parametrize("spec", [
    LayerSpec(in_channels=3, out_channels=4, kernel_size=(3, 3), input_size=(9, 7)),
    LayerSpec(in_channels=4, out_channels=6, kernel_size=(2, 3), groups=2, padding=(2, 1),
              stride=(2, 1), input_size=(5, 6), batch=2),
    LayerSpec(in_channels=2, out_channels=32, kernel_size=(1, 1), input_size=(3, 3)),
])
def test_im2col_entries_is_the_largest_matrix_the_view_builds(spec):
    from core.im2col_steps import im2col_entries, im2col_steps
    from gui.im2col_layout import matrices

    s = Session.default(spec)
    steps = im2col_steps(spec, s.input, s.weight, s.bias, s.grad_output, 0)
    sizes = [a.size for a in matrices(steps).values()]
    sizes += [a.size for a in vars(steps).values() if isinstance(a, np.ndarray)]
    assert max(sizes) == im2col_entries(spec)


def test_the_im2col_tab_says_when_a_layer_is_too_large_and_computes_nothing(
        make_window, monkeypatch):
    import gui.explainer

    def never(*args, **kwargs):
        raise AssertionError("the matrices of a layer over the limit were computed")

    monkeypatch.setattr(gui.explainer, "IM2COL_MAX_ENTRIES", 1000)
    monkeypatch.setattr(gui.explainer, "im2col_steps", never)
    window = make_window()
    window.tabs.setCurrentWidget(window.im2col)
    view = window.im2col
    assert "over the view's limit of 1,000" in view.caption.text()
    assert all(plot.array is None for plot in view.plots.values())
