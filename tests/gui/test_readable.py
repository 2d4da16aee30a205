"""Readable at a glance: numbers print where they fit, colour scales fit what is shown,
the selectors follow the selection, the Sum dock takes only the room it needs.

The grids are asked for their own state (`TensorGrid.shows_values`, `.lead`, `.limit`),
never for pixels. One window per test, reused across the presets.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from core.explain import SOURCES, TARGETS, explain_spec
from core.io.presets import list_presets, load_preset
from core.session import Session
from core.spec import LayerSpec
from gui.selection import NOTHING, Selection
from gui.widgets.colour_scale import SHRINK_MS
from gui.widgets.text_line import TextLine

SIZES = [(1600, 1000), (1280, 800)]
TWIN = {"grad_input": "input", "grad_weight": "weight", "grad_output": "output"}


def _settle(qtbot, window, size=None) -> None:
    if size is not None:
        window.resize(*size)
    for _ in range(3):
        QApplication.processEvents()
    qtbot.wait(10)


def _current_row_visible(panel) -> bool:
    """Whether the equation panel's current term row is wholly inside its list's viewport."""
    if panel.step is None or panel.list.isHidden():
        return False
    rect = panel.list.visualRect(panel.model.index(panel.step))
    return rect.isValid() and panel.list.viewport().rect().contains(rect)


def _real_cells(grid) -> tuple[int, int]:
    return grid.real_shape() or (0, 0)


def _twelve_by_twelve() -> Session:
    return Session.default(LayerSpec(in_channels=1, out_channels=1, kernel_size=3,
                                     input_size=(12, 12), padding=1))


def _assert_small_grids_print(window, where: str) -> int:
    checked = 0
    for name, grid in window.grids.grids.items():
        rows, cols = _real_cells(grid)
        if rows == 0 or max(rows, cols) > 12:
            continue
        # the input counts its real cells, though it draws its padded border too
        shown = grid.vb.viewRect()
        assert grid.shows_values(), (
            f"{where}: {name} {grid.image.image.shape} prints no values (cells "
            f"{grid.vb.width() / shown.width():.0f}×{grid.vb.height() / shown.height():.0f} "
            f"px, need {grid.labels.min_width():.0f}×{grid.labels.min_height():.0f})"
        )
        checked += 1
    return checked


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_small_grid_prints_its_values_in_every_preset(qtbot, make_window, size):
    """With nothing selected, and with an entry of output and of grad_weight selected (the
    Sum dock then takes its room: a teacher projects with a selection)."""
    window = make_window()
    _settle(qtbot, window, size)
    checked = 0
    scenes = [(p.name, load_preset(p.name)) for p in list_presets()]
    for name, session in [*scenes, ("12×12", _twelve_by_twelve())]:
        window.document.replace_session(session)
        _settle(qtbot, window)
        checked += _assert_small_grids_print(window, f"{name} at {size}")
        spec = session.spec
        for target, shape in (("output", spec.output_shape), ("grad_weight",
                                                               spec.weight_shape)):
            entry = tuple(d // 2 for d in shape)
            window.selection.set_selection(Selection(target, entry))
            _settle(qtbot, window)
            assert window.explainer.terms is not None
            checked += _assert_small_grids_print(window, f"{name} at {size}, {target}{entry}")
        window.selection.set_selection(NOTHING)
    assert checked > 120  # the loop did look at the grids


def test_numbers_come_back_when_zooming_in(qtbot, make_window):
    window = make_window()
    _settle(qtbot, window, (1280, 800))
    grid = window.grids.grids["output"]  # 16×16 in the default scene: too small to print
    assert grid.real_shape() == (16, 16) and not grid.shows_values()
    grid.vb.sigRangeChangedManually.emit([True, True])  # what a Ctrl+wheel zoom says
    grid.vb.scaleBy((0.25, 0.25))
    _settle(qtbot, window)
    assert grid.shows_values()
    grid.fit()
    assert not grid.shows_values()


def test_im2col_prints_small_matrices_and_its_labels_never_touch(qtbot, make_window):
    from gui.widgets.im2col_view import CellAxis

    window = make_window(load_preset("seed000_conv2d_input"))
    _settle(qtbot, window, (1280, 800))
    window.tabs.setCurrentWidget(window.im2col)
    _settle(qtbot, window)
    shown = {
        name: plot.shows_values()
        for (page, name), plot in window.im2col.plots.items()
        if page == window.im2col.page
    }
    assert shown and all(shown.values()), shown
    axis = CellAxis("top")
    for columns, pixels in ((16384, 900), (300, 400), (9, 300)):
        [(spacing, values)] = axis.tickValues(-0.5, columns - 0.5, pixels)
        per_cell = pixels / columns
        widest = max(axis.min_spacing(int(v)) - axis.GAP for v in values)
        assert spacing * per_cell >= widest + axis.GAP / 2, (columns, spacing)


def _wait_for_scales(qtbot) -> None:
    qtbot.wait(SHRINK_MS + 50)  # a scale shrinks once edits pause


def test_colour_scales_fit_the_slice_on_screen(qtbot, make_window):
    window = make_window()
    _settle(qtbot, window, (1280, 800))
    for preset in list_presets():
        window.document.replace_session(load_preset(preset.name))
        _wait_for_scales(qtbot)
        for name, grid in window.grids.grids.items():
            values = grid.scale_values()
            top = float(np.max(np.abs(values))) if values.size else 0.0
            if top == 0 or grid.complex_view == "phase":
                continue  # nothing to fit (all zeros), or a fixed scale (phase: ±π)
            slice_ = grid.array if grid.array.ndim < 3 else grid.array[grid.lead]
            assert top == pytest.approx(
                float(np.max(np.abs(np.real(slice_) if np.iscomplexobj(slice_) else slice_))),
                rel=1e-12,
            ) or np.iscomplexobj(slice_)
            assert top >= 0.5 * grid.limit, f"{preset.name}: {name} {top} on ±{grid.limit}"
            assert top <= grid.limit
            note = grid.colorbar.note.text
            assert note == ("" if grid.array.ndim < 3 else "slice")


def test_depthwise_scales_are_the_visible_channels(qtbot, make_window):
    window = make_window(load_preset("depthwise"))
    _settle(qtbot, window)
    out, weight = window.grids.grids["output"], window.grids.grids["weight"]
    for grid in (out, weight):
        shown = np.abs(grid.array[grid.lead]).max()
        assert shown >= 0.5 * grid.limit
    window.shared_scale_action.setChecked(True)
    for grid in (out, weight):
        assert grid.limit >= np.abs(grid.array).max()
        assert grid.colorbar.note.text == "shared"
    window.shared_scale_action.setChecked(False)
    assert weight.colorbar.note.text == "slice"


def test_scrubbing_grows_the_scale_at_once_and_shrinks_it_after(qtbot, make_window):
    from gui.document import CellEdit

    window = make_window(load_preset("seed000_conv2d_input"))
    _settle(qtbot, window)
    grid = window.grids.grids["input"]
    start = grid.limit
    index = (0, 0, 0, 0)
    old = float(grid.array[index])

    def edit(value: float) -> None:
        window.document.apply_edit(CellEdit("input", index, np.array(value), merge=7))

    edit(40 * start)
    assert grid.limit >= 40 * start  # grows at once
    edit(old)
    assert grid.limit >= 40 * start  # no shrink in the middle of the scrub
    qtbot.waitUntil(lambda: grid.limit == start, timeout=5 * SHRINK_MS)


def _layers():
    rng = np.random.default_rng(11)
    layers = [
        LayerSpec(4, 6, (3, 2), groups=2, padding=1, input_size=(5, 4), batch=2),
        LayerSpec(3, 3, 3, groups=3, stride=2, input_size=(6, 6), batch=2),
        LayerSpec(4, 2, 2, groups=2, dilation=2, input_size=(5, 5), batch=None),
        LayerSpec(2, 4, 1, bias=True, input_size=(3, 3), batch=3),
    ]
    return rng, layers


def _lead(index) -> tuple[int, ...]:
    return tuple(int(i) for i in index[:-2])


def test_selectors_follow_the_selected_entry(qtbot, make_window):
    rng, layers = _layers()
    window = make_window()
    grids = window.grids.grids
    for spec in layers:
        session = Session.default(spec, seed=int(rng.integers(1000)))
        window.document.replace_session(session)
        _settle(qtbot, window)
        for target in TARGETS:
            array = grids[target].array
            if array is None or array.size == 0:
                continue
            index = tuple(int(rng.integers(s)) for s in array.shape)
            window.selection.set_selection(Selection(target, index))
            _settle(qtbot, window)
            terms = explain_spec(spec, target, index, **session.tensors())
            assert grids[target].lead == _lead(index)
            if len(terms) == 0:
                continue
            for step in (None, int(rng.integers(len(terms)))):
                if step is not None:
                    window.explainer.request_step(step)
                    _settle(qtbot, window)
                k = 0 if step is None else step
                term = terms[k : k + 1]
                for source in SOURCES:
                    if source == "bias" or not term.reading(source).any():
                        continue
                    read = term.indices(source)[0]
                    assert grids[source].lead == _lead(read), (spec, target, index, source)
                for grad, tensor in TWIN.items():
                    assert grids[grad].lead == grids[tensor].lead, (spec, target, grad)
                if target == "grad_bias":  # the weight shows the bias's output channel
                    assert grids["weight"].lead[0] == index[0]


def test_a_selector_moved_by_hand_stays_and_a_hovered_term_shows(qtbot, make_window):
    spec = LayerSpec(4, 4, 3, groups=2, padding=1, input_size=(5, 5), batch=2)
    window = make_window(Session.default(spec))
    grids = window.grids.grids
    window.selection.set_selection(Selection("output", (1, 3, 2, 2)))
    _settle(qtbot, window)
    assert grids["input"].lead == (1, 2) and grids["weight"].lead == (3, 0)
    grids["weight"].selector.spins[1].setValue(1)  # by hand
    window.grids.grids["grad_output"].fill_tensor("random")  # a recompute
    _settle(qtbot, window)
    assert grids["weight"].lead == (3, 1)
    terms = window.explainer.terms
    k = next(i for i in range(len(terms)) if terms[i : i + 1].indices("input")[0][1] == 3)
    window.equation._on_list_entered(window.equation.model.index(k))
    assert grids["input"].lead == (1, 3) and grids["weight"].lead == (3, 1)
    window.equation._on_list_entered(window.equation.model.index(0))
    assert grids["input"].lead == (1, 2) and grids["weight"].lead == (3, 0)
    window.equation._on_list_entered(window.equation.model.index(-1))  # the pointer leaves
    assert grids["input"].lead == (1, 2)


def test_sum_dock_takes_the_room_it_needs_and_the_list_follows(qtbot, make_window):
    window = make_window()
    _settle(qtbot, window, (1280, 800))
    dock, panel = window.sum_dock, window.equation
    line = panel.fontMetrics().height()
    assert dock.height() <= 3 * line + 40  # one line and the title bar
    window.selection.set_selection(Selection("grad_weight", (1, 2, 1, 1)))  # 256 terms
    _settle(qtbot, window)
    assert dock.height() >= 6 * line
    window.explainer.request_step(120)
    _settle(qtbot, window)
    assert _current_row_visible(panel)
    window.selection.set_selection(Selection("grad_weight", (0, 0, 0, 0)))
    _settle(qtbot, window)
    assert panel.list.verticalScrollBar().value() == 0  # a new sum starts at term 0
    playback = window.player.playback
    window.explainer.request_step(0)
    playback.play()
    for _ in range(12):
        playback.advance(1.7)  # several terms a frame
        _settle(qtbot, window)
        assert panel.step == playback.step and _current_row_visible(panel)
    playback.pause()
    # the user drags the dock's edge: Qt moves the separator between the press and the
    # release the window gets (offscreen Qt moves no separator for synthetic events, so the
    # fitter sees the press and the release and resizeDocks stands in for the drag; the
    # real drag was checked under Xvfb with xdotool)
    fitter, before = window.sum_fitter, dock.height()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    at = QPointF(window.width() / 2, dock.geometry().top() - 3)
    assert window.childAt(at.toPoint()) is None  # the separator: the window's own area
    mods = Qt.KeyboardModifier.NoModifier
    press = QMouseEvent(QEvent.Type.MouseButtonPress, at, at, left, left, mods)
    release = QMouseEvent(QEvent.Type.MouseButtonRelease, at, at, left, none, mods)
    fitter.eventFilter(window, press)
    # (taller: at 1280×800 the dock already sits at its least height)
    window.resizeDocks([dock], [before + 60], Qt.Orientation.Vertical)
    _settle(qtbot, window)
    fitter.eventFilter(window, release)
    dragged = dock.height()
    assert dragged > before and fitter.user_height is not None
    window.selection.set_selection(Selection("output", (0, 0, 1, 1)))  # a new sum: same size
    _settle(qtbot, window)
    assert abs(dock.height() - dragged) <= 2
    window.selection.set_selection(NOTHING)
    _settle(qtbot, window)
    assert dock.height() <= 3 * line + 40


def test_small_grids_print_at_1280x800_as_the_app_is_styled(qtbot, make_window):
    """The app runs with its style sheet (wider operators, group frames, 11 pt titles) that
    the tests above leave out: the 12×12 scene and depthwise (whose selected entry moves the
    output to a slice with wider numbers) print every grid there too."""
    from gui import resources

    app = QApplication.instance()
    app.setStyleSheet(resources.style_sheet())
    try:
        window = make_window()
        _settle(qtbot, window, (1280, 800))
        for name, session in (("12×12", _twelve_by_twelve()), ("depthwise",
                                                              load_preset("depthwise"))):
            window.document.replace_session(session)
            entry = tuple(d // 2 for d in session.spec.output_shape)
            window.selection.set_selection(Selection("output", entry))
            _settle(qtbot, window)
            assert _assert_small_grids_print(window, f"{name}, styled, output{entry}") >= 6
        assert window.panel_dock.width() < 320  # the fields, not their ±2³¹ range
    finally:
        app.setStyleSheet("")


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)])
@pytest.mark.parametrize(("preset", "entry", "step"), [
    ("reflect_padding", (0, 0, 2, 2), 3), ("seed001_im2col_gradients", (0, 1, 1, 1), 13)])
def test_a_step_chosen_with_the_selection_is_in_view_once_the_dock_settles(qtbot, size, preset,
                                                                           entry, step):
    """As `main.py … --select … --step 3` does (selection set before the styled window is
    shown): the dock grows after the step is set and the list's own height settles after
    the dock's; the current term must end up wholly in view."""
    from gui import resources
    from gui.main_window import MainWindow

    app = QApplication.instance()
    app.setStyleSheet(resources.style_sheet())
    try:
        window = MainWindow(load_preset(preset), synchronous=True)
        qtbot.addWidget(window)
        window.selection.set_selection(Selection("output", entry, step=step))
        window.resize(*size)
        window.show()
        _settle(qtbot, window)
        assert window.equation.step == step and _current_row_visible(window.equation)
    finally:
        app.setStyleSheet("")


@pytest.mark.parametrize(("preset", "target", "entry"), [
    ("conv3d_basic", "grad_weight", (0, 1, 1, 0, 1)),  # a long 3D formula
    ("causal_conv1d", "grad_input", (0, 1, 5)),  # a padding note under the formula
])
def test_the_sum_list_shows_five_terms_at_1280x800(qtbot, preset, target, entry):
    """A student follows the terms in context: at 1280×800 (the styled window, an entry
    selected) the list shows five whole term rows (the current one's neighbours among
    them), the value shares the formula's line, and the grids still print their numbers
    (the dock is no taller: the room came from the dock's title, down its side, and the
    value's own line)."""
    from gui import resources
    from gui.main_window import MainWindow

    app = QApplication.instance()
    app.setStyleSheet(resources.style_sheet())
    try:
        window = MainWindow(load_preset(preset), synchronous=True)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        window.selection.set_selection(Selection(target, entry, step=2))
        _settle(qtbot, window)
        panel = window.equation
        assert window.sum_dock.height() <= round(0.19 * 800) + 4
        rows = panel.list.viewport().height() / panel.list.verticalHeader().defaultSectionSize()
        assert rows >= 5, f"{rows:.1f} term rows"
        # whole rows only: none cut through its text at the top or the bottom
        row_h = panel.list.verticalHeader().defaultSectionSize()
        assert panel.list.viewport().height() % row_h == 0
        top = panel.list.indexAt(panel.list.viewport().rect().topLeft())
        assert panel.list.visualRect(top).top() == 0
        assert panel.list.visualRect(panel.model.index(1)).top() >= 0  # the term before
        assert panel.value_inline and panel.value.text().startswith("= ")
        assert panel.formula.width() >= panel.formula.fontMetrics().horizontalAdvance(
            panel.formula.text())
        assert _current_row_visible(panel)
        assert _assert_small_grids_print(window, f"{preset} {target}{entry}") >= 6
    finally:
        app.setStyleSheet("")


def _readout_whole(grid) -> bool:
    readout = grid.readout
    text = readout.text()
    return readout.isVisible() and readout.width() >= readout.fontMetrics().horizontalAdvance(
        text) + 4


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize(("preset", "entry"), [("conv3d_basic", (0, 0, 0, 1, 1)),
                                               ("conv_transpose3d", (0, 0, 1, 2, 3))])
def test_3d_readouts_are_whole_beside_three_selectors(qtbot, make_window, size, preset, entry):
    """A Conv3d grid's n, c and d boxes left its readout no room (review F4: 'y[0, 0, 1, …'
    or nothing): the selected entry's readout, and a hovered cell's in every grid, now reads
    whole (in the title row or on a line of its own), and the grids still print."""
    window = make_window(load_preset(preset))
    _settle(qtbot, window, size)
    window.selection.set_selection(Selection("output", entry))
    _settle(qtbot, window)
    out = window.grids.grids["output"]
    assert out.readout.text().startswith(f"y[{','.join(map(str, entry))}] = ")
    assert _readout_whole(out), (out.footer.where, out.readout.width(), out.readout.text())
    for name, grid in window.grids.grids.items():
        if grid.array is None or grid.showing_depths():
            continue
        grid.vb.hovered.emit(QPointF(0.5, 0.5))
        _settle(qtbot, window)
        assert grid.readout.text().split(" = ")[0].endswith("]"), grid.readout.text()
        assert _readout_whole(grid), (name, grid.footer.where, grid.readout.text())
        grid.vb.hovered.emit(None)
    _settle(qtbot, window)
    assert _assert_small_grids_print(window, f"{preset} at {size}") >= 6


def test_the_layer_panel_narrows_again_after_a_3d_layer(qtbot, make_window):
    """Review F12: a Conv3d's three boxes a row widen the Layer panel; a 1D or 2D layer
    after it gives the grids that width back (unless the user dragged the panel wider)."""
    window = make_window()
    _settle(qtbot, window, (1280, 800))
    before = window.panel_dock.width()
    window.document.replace_session(load_preset("conv3d_basic"))
    _settle(qtbot, window)
    wide = window.panel_dock.width()
    assert wide > before + 20
    for preset in ("conv1d_basic", "conv3d_basic", "causal_conv1d", "conv3d_basic", "default"):
        window.document.replace_session(load_preset(preset))
        _settle(qtbot, window)
        qtbot.wait(100)  # review G6: whatever comes later, the minimum stayed at the 3D width
        dock, scroll = window.panel_dock, window.panel_dock.widget()
        need = (window.panel.minimumSizeHint().width() + 2 * scroll.frameWidth()
                + scroll.verticalScrollBar().sizeHint().width())
        assert scroll.minimumWidth() == need, preset  # the fields' own width, not a stale one
        if preset != "conv3d_basic":
            assert dock.width() <= scroll.minimumWidth() + 4 < wide - 20, preset
    assert abs(window.panel_dock.width() - before) <= 4  # the 2D layer's width again


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize(("preset", "entry"), [("seed001_im2col_gradients", (0, 1, 1, 1)),
                                               ("default", (0, 1, 5, 7))])
def test_a_2d_readout_never_loses_its_value(qtbot, make_window, size, preset, entry):
    """The README's figure read 'y[0, 1, 1, 1] = 7…' beside the output's two selectors: the
    index is written as the Sum panel writes it (no spaces), and where the line is still
    short the index gives way in its middle, never the value."""
    window = make_window(load_preset(preset))
    _settle(qtbot, window, size)
    window.selection.set_selection(Selection("output", entry))
    _settle(qtbot, window)
    readout = window.grids.grids["output"].readout
    text = readout.text()
    assert text.startswith(f"y[{','.join(map(str, entry))}] = "), text
    value = text.split(" = ")[1]
    assert readout.isVisible() and readout.shown_text().endswith(f" = {value}"), (
        readout.shown_text(), text)


def test_a_readout_line_elides_the_index_and_keeps_the_value(qtbot) -> None:
    line = TextLine("y[0,1,12,13] = -7.72541", keep=" = ")
    qtbot.addWidget(line)
    full = line.fontMetrics().horizontalAdvance(line.text())
    line.resize(full + 10, 20)
    assert line.shown_text() == line.text()
    line.resize(full - 12, 20)
    shown = line.shown_text()
    assert shown.endswith(" = -7.72541") and "…" in shown and shown.startswith("y[")
    line.resize(line.fontMetrics().horizontalAdvance("…= -7.72541") + 6, 20)  # no room
    assert line.shown_text() == "…= -7.72541"  # for an index: the value stays (r13 R12)
    line.resize(line.fontMetrics().horizontalAdvance("y[0"), 20)  # not even for the value
    assert line.shown_text().endswith("…")


@pytest.mark.parametrize("length", [64, 256])
def test_a_long_conv1d_leaves_its_weights_room_to_print_as_the_app_is_styled(
        qtbot, make_window, length):
    """Review r12 G1: beside a long input strip (cropped around the sum anyway) the weight's
    three taps and grad_weight printed nothing in the styled window at 1280×800."""
    import dataclasses

    from gui import resources

    app = QApplication.instance()
    app.setStyleSheet(resources.style_sheet())
    try:
        session = load_preset("conv1d_basic")
        window = make_window(session)
        window.document.set_spec(dataclasses.replace(session.spec, input_size=(length,)))
        _settle(qtbot, window, (1280, 800))
        window.selection.set_selection(Selection("output", (0, 1, length // 2)))
        _settle(qtbot, window)
        for name in ("weight", "grad_weight", "input", "output"):
            assert window.grids.grids[name].shows_values(), (name, length)
    finally:
        app.setStyleSheet("")
