"""Controls that say what they do: Animate all, conj only for complex dtypes, a rejected
keystroke explained, preset titles, the F1 help, and the Layer panel's width and code
preview."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from core.io.presets import list_presets, load_preset
from gui.main_window import HELP
from gui.selection import Selection
from gui.widgets.im2col_view import PAGE_TITLES, TITLES
from gui.widgets.player import SPEEDS


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


# -- Animate all ----------------------------------------------------------------------------
def test_animate_all_is_a_pressed_action_at_the_chosen_speed_and_replays(window):
    player, ex = window.player, window.explainer
    action = player.animate_all_action
    assert action.isCheckable() and player.animate_all.defaultAction() is action
    assert action in window.explain_menu.actions()
    player.speed.setCurrentIndex(SPEEDS.index(10.0))
    window.selection.set_selection(Selection("output", (0, 0, 0, 0)))
    player.animate_all.click()
    assert action.isChecked() and player.animate_all.isChecked()  # drawn pressed
    assert ex.sweeping == "output" and player.playback.is_playing()
    assert player.playback.speed == 10.0  # the speed chosen, not a sweep speed of its own
    player.playback.advance(1e6)  # run to the last entry: the sweep is over
    assert not player.playback.is_playing()
    assert not action.isChecked() and ex.sweeping is None
    last = window.selection.selection.index
    assert last == (0, 3, 15, 15)
    player.animate_all.click()  # a click after the end replays from the first entry
    assert action.isChecked() and ex.sweeping == "output" and player.playback.is_playing()
    assert window.selection.selection.index == (0, 0, 0, 0)
    player.animate_all.click()  # and a click while sweeping stops it
    assert not action.isChecked() and ex.sweeping is None


# -- conj -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("preset", "complex_"), [("default", False), ("complex_small", True)])
def test_conj_appears_only_for_complex_dtypes(make_window, preset, complex_):
    window = make_window(load_preset(preset))
    window.tabs.setCurrentWidget(window.im2col)
    _settle()
    view = window.im2col
    titles = [plot.title.text for plot in view.plots.values()]
    pages = [view.page_box.itemText(i) for i in range(view.page_box.count())]
    assert any("conj" in t for t in (*TITLES.values(), *PAGE_TITLES.values()))
    assert any("conj(" in t for t in titles + pages) == complex_
    assert any("dW = dYᵀ · cols" in t for t in titles + pages) != complex_


def test_the_im2col_plots_are_made_when_the_tab_is_first_shown(window):
    """A window whose im2col tab is never opened does not pay for its twelve plots."""
    view = window.im2col
    assert not view.plots and view.page_box.count() == 3  # the pages are named already
    window.tabs.setCurrentWidget(view)
    _settle()
    assert len(view.plots) == 12 and view.shown("cols") is not None


# -- a rejected keystroke -------------------------------------------------------------------
def test_a_letter_typed_into_a_cell_says_why(window, qtbot):
    grid = window.grids.grids["input"]
    window.selection.set_selection(Selection("input", (0, 0, 1, 1)))
    before = window.document.session.input.copy()
    qtbot.keyClicks(grid.view, "a")
    assert "'a' cannot start a number" in window.status.currentMessage()
    assert (window.document.session.input == before).all()
    out = window.grids.grids["output"]
    window.selection.set_selection(Selection("output", (0, 0, 1, 1)))
    qtbot.keyClicks(out.view, "5")
    assert "output is computed, not typed in" in window.status.currentMessage()


# -- presets --------------------------------------------------------------------------------
def test_preset_titles_say_what_they_show_and_keep_their_ids(window):
    menu = window.presets_menu
    menu.fill()
    actions = {a.data(): a for a in menu.actions() if a.data()}
    assert actions["seed000_conv2d_input"].text() == "grad_input via torch.nn.grad.conv2d_input"
    assert actions["seed001_im2col_gradients"].text() == "im2col backward, 3→2 channels"
    for name, action in actions.items():
        assert not action.text().lower().startswith("seed")
        assert f"main.py {name}" in action.toolTip()  # the id the command line takes
        if name.startswith("seed"):
            assert f"Seed example {name[4:7]}" in action.toolTip()
    assert {p.name for p in list_presets()} == set(actions)
    load_preset("seed000_conv2d_input")  # the ids still load


# -- help -----------------------------------------------------------------------------------
def test_help_matches_the_window_and_teaches_the_main_loop():
    text = HELP.replace("\n", " ")
    assert "below</b> each grid" in text and "above each grid" not in text
    for phrase in ("Select an entry", "Read its Sum", "Space", "&larr;", "&rarr;",
                   "Hover", "Animate all"):
        assert phrase in text, phrase
    order = [text.index(p) for p in ("Select an entry", "Read its Sum", "Play it", "Hover")]
    assert order == sorted(order)
    # the transposed layer is described as what it does, and where to see it
    for phrase in ("nn.ConvTranspose2d", "paints", "output_padding", "im2col", "Compare"):
        assert phrase in text, phrase
    # 1D and 3D grids as they are (review F14): kd, no c in 1D, the strip's words, padding
    for phrase in ("<i>kd</i>", "no <i>c</i> selector", "window only", "own colour bar",
                   "In the input (1D, 2D or 3D), the hatched frame"):
        assert phrase in text, phrase
    assert "In a Conv2d's input" not in text


# -- the Layer panel ------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)])
def test_layer_panel_keeps_its_width_and_never_clips(window, size):
    window.resize(*size)
    _settle()
    scroll = window.panel_dock.widget()
    width = window.panel_dock.width()
    for shown in (True, False):
        window.history_dock.toggleViewAction().trigger()
        _settle()
        assert scroll.viewport().width() >= window.panel.minimumSizeHint().width()
        if shown:  # a tab beside the Layer panel, as wide, in front (review r13 S6)
            assert window.history_dock in window.tabifiedDockWidgets(window.panel_dock)
            assert not window.history_dock.visibleRegion().isEmpty()
            assert window.panel_dock.visibleRegion().isEmpty()  # behind its tab
            assert window.history_dock.width() == width
            assert window.width() == size[0]  # the grids keep their room
    assert not window.history_dock.isVisible()
    assert not window.panel_dock.visibleRegion().isEmpty()
    assert window.panel_dock.width() == width


def test_code_preview_wraps_between_arguments_below_the_fields(window):
    panel = window.panel
    field = panel.in_channels
    before = field.mapTo(panel, QPoint(0, 0))
    spec = dataclasses.replace(window.document.spec, dilation=(2, 1), padding_mode="reflect",
                               kernel_size=(3, 2), stride=(1, 2), bias=False)
    window.document.set_spec(spec, "dilation")
    _settle()
    assert "dilation=(2,&nbsp;1)" in panel.call.text()  # no break inside an argument
    assert "kernel_size=(3,&nbsp;2)" in panel.call.text()
    assert field.mapTo(panel, QPoint(0, 0)) == before  # the field did not move
    assert panel.call.mapTo(panel, QPoint(0, 0)).y() > panel.groups.mapTo(panel, QPoint(0, 0)).y()


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)])
def test_a_long_status_note_takes_the_whole_bar_while_it_shows(qtbot, make_window, size):
    """Review F6: a note longer than the room beside the backend, timing and cross-check
    labels was cut off mid-word; it now takes the bar while it shows, then they return."""
    window = make_window()
    window.resize(*size)
    qtbot.wait(10)
    status = window.status
    note = ("Switched to ConvTranspose1d; input and bias kept; weight regrouped (2, 2, 3) → "
            "(2, 3, 3) (each value still links the same input and output channel); "
            "grad_output resized to (1, 2, 14)")
    beside = status.width() - sum(w.width() for w in (status.backend, status.timing,
                                                      status.check))
    assert status.fontMetrics().horizontalAdvance(note) > beside  # (it was cut off)
    status.show_note(note)
    qtbot.wait(10)
    assert status.currentMessage() == note and status.toolTip() == note
    assert not status.check.isVisible() and not status.timing.isVisible()
    assert status.fontMetrics().horizontalAdvance(note) < status.width() - 24
    status.show_note("Edited")
    qtbot.wait(10)
    assert status.check.isVisible() and status.timing.isVisible()
    status.clearMessage()
    qtbot.wait(10)
    assert status.check.isVisible() and status.toolTip() == ""
