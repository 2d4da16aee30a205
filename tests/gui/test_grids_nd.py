"""Conv1d and Conv3d tensors in the grids: a Conv1d tensor as a channels × positions strip
(its input with the padded border, causal padding on the left only), a Conv3d tensor one
depth slice at a time with a depth selector, and the depth strip that shows a sum's depth
slices side by side, each with exactly its own depth's highlights. Grids on their own (no
window, no compute): what they draw is checked against numpy slices of the tensors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from gui_checks import cell_pos
from PySide6.QtCore import QPointF, Qt

from core.padding import pad
from core.session import Session
from core.spec import LayerSpec
from gui.fills import fill_axes, fill_values
from gui.selection import Selection
from gui.widgets.tensor_grid import TensorGrid

CONV1D = LayerSpec(dims=1, in_channels=2, out_channels=3, kernel_size=3, input_size=8,
                   padding=1, batch=2)
CAUSAL = LayerSpec(dims=1, in_channels=2, out_channels=2, kernel_size=3, input_size=10,
                   dilation=2, causal=True, batch=1)
CONV3D = LayerSpec(dims=3, in_channels=2, out_channels=2, kernel_size=3, input_size=(4, 5, 5),
                   padding=1, batch=1)


def _grid(qtbot, name: str, session: Session) -> TensorGrid:
    """A shown grid of ``session``'s tensor ``name``, whose selection follows its requests
    (as the window's selection model makes it)."""
    grid = TensorGrid(name)
    qtbot.addWidget(grid)
    grid.resize(700, 420)
    grid.show()
    qtbot.waitExposed(grid)
    grid.selectionRequested.connect(grid.set_selection)
    grid.set_session(session)
    return grid


def _shown(grid: TensorGrid) -> np.ndarray:
    return grid.view.image.image


@pytest.mark.parametrize("spec", [CONV1D, CONV1D.replace(batch=None),
                                  CONV1D.replace(padding_mode="reflect")])
def test_a_conv1d_input_is_a_strip_of_channels_with_its_padded_border(qtbot, spec):
    session = Session.default(spec)
    grid = _grid(qtbot, "input", session)
    x = session.input
    before, after = spec.pads
    assert grid.selector.axes == ("n",)  # the channels are the strip's rows
    assert grid.offset == (0, before)
    plane = x[(1,)] if spec.batched else x
    if spec.batched:
        grid.set_slice((1,))
    want = pad(plane, (0, 0, before, after), spec.padding_mode)
    np.testing.assert_array_equal(_shown(grid), want)
    assert _shown(grid).shape == (spec.in_channels, spec.input_size[0] + before + after)
    lead = (1,) if spec.batched else ()
    assert grid.real_index(1, before + 3) == (*lead, 1, 3)
    assert grid.real_index(1, 0) is None  # the border
    text = grid.describe(0, 0)
    if spec.padding_mode == "zeros":
        assert "zero padding" in text
    else:  # reflect: position -1 copies position 1
        assert f"copies x[{','.join(map(str, (*lead, 0, 1)))}]" in text


def test_causal_padding_is_drawn_on_the_left_only(qtbot):
    session = Session.default(CAUSAL)
    grid = _grid(qtbot, "input", session)
    left = (3 - 1) * 2
    assert CAUSAL.pads == (left, 0)
    assert grid.offset == (0, left)
    assert _shown(grid).shape == (2, 10 + left)
    np.testing.assert_array_equal(_shown(grid)[:, :left], 0)
    np.testing.assert_array_equal(_shown(grid)[:, left:], session.input[0])
    assert grid.view.border.isVisible()


def test_conv1d_weight_and_output_strips(qtbot):
    session = Session.default(CONV1D)
    weight = _grid(qtbot, "weight", session)
    assert weight.selector.axes == ("o",)
    weight.set_slice((2,))
    np.testing.assert_array_equal(_shown(weight), session.weight[2])  # in-channels × taps
    gy = _grid(qtbot, "grad_output", session)
    assert gy.selector.axes == ("n",)
    assert _shown(gy).shape == (3, 8)  # out-channels × positions


def test_editing_a_conv1d_cell(qtbot):
    session = Session.default(CONV1D)
    grid = _grid(qtbot, "input", session)
    grid.set_slice((1,))
    edits = []
    grid.cellsEdited.connect(edits.append)
    qtbot.mouseClick(grid.view.viewport(), Qt.MouseButton.LeftButton, pos=cell_pos(grid, 1, 5))
    assert grid.current_selection() == Selection("input", (1, 1, 5))
    qtbot.keyClicks(grid.view, "2")
    qtbot.keyClicks(grid.editor.line_edit, ".5")
    qtbot.keyClick(grid.editor.line_edit, Qt.Key.Key_Return)
    assert len(edits) == 1
    assert edits[0].tensor == "input" and edits[0].index == (1, 1, 5)
    assert float(edits[0].values) == 2.5


def test_a_conv3d_grid_picks_its_depth(qtbot):
    session = Session.default(CONV3D)
    grid = _grid(qtbot, "input", session)
    assert grid.selector.axes == ("n", "c", "d")
    spin = grid.selector.spins[-1]
    assert spin.maximum() == 3 and spin.suffix() == " / 4"
    spin.setValue(2)
    assert grid.lead == (0, 0, 2)
    np.testing.assert_array_equal(_shown(grid), pad(session.input[0, 0, 2], (1, 1, 1, 1),
                                                    "zeros"))
    weight = _grid(qtbot, "weight", session)
    assert weight.selector.axes == ("o", "c", "kd")
    weight.set_slice((1, 0, 2))
    np.testing.assert_array_equal(_shown(weight), session.weight[1, 0, 2])
    # a selection at another depth brings the grid there
    grid.set_selection(Selection("input", (0, 1, 3, 2, 2)))
    assert grid.lead == (0, 1, 3)


def test_editing_a_conv3d_cell(qtbot):
    session = Session.default(CONV3D)
    grid = _grid(qtbot, "input", session)
    grid.set_slice((0, 1, 3))
    edits = []
    grid.cellsEdited.connect(edits.append)
    qtbot.mouseClick(grid.view.viewport(), Qt.MouseButton.LeftButton, pos=cell_pos(grid, 4, 1))
    assert grid.current_selection() == Selection("input", (0, 1, 3, 4, 1))
    qtbot.keyClicks(grid.view, "7")
    qtbot.keyClick(grid.editor.line_edit, Qt.Key.Key_Return)
    assert edits[0].index == (0, 1, 3, 4, 1) and float(edits[0].values) == 7


def _window_reads(od: int, oh: int, ow: int) -> np.ndarray:
    """Padded input cells of output[0, :, od, oh, ow]'s kernel window (both channels)."""
    return np.array([(0, c, od + kd, oh + kh, ow + kw) for c in range(2)
                     for kd, kh, kw in itertools.product(range(3), repeat=3)])


def test_the_depth_strip_shows_each_depth_with_its_own_reads(qtbot):
    session = Session.default(CONV3D.replace(padding_mode="replicate"))
    grid = _grid(qtbot, "input", session)
    grid.set_slice((0, 0, 3))
    reads = _window_reads(0, 2, 1)  # padded depths 0, 1, 2: real -1 (padding), 0, 1
    grid.set_highlight(reads, "read", padded=True)
    grid.set_highlight(reads[10:11], "current", padded=True)
    assert not grid.showing_depths()  # the grid is at depth 3 (padded 4), off the window
    grid.set_slice((0, 0, 0))
    assert grid.showing_depths()
    strip = grid.depths
    assert strip.depths == [0, 1, 2]
    labels = [m.label.text() for m in strip.minis[:3]]
    assert labels == ["d = −1 (padding: copies d = 0)", "▶ d = 0", "d = 1"]
    for mini, depth in zip(strip.minis, strip.depths, strict=False):
        shown = mini.marks.cells("read")
        assert shown == [tuple(r) for r in reads]  # every read given, placed by depth
        drawn = mini.marks.layers["read"]
        want = {(int(r[3]), int(r[4])) for r in reads if r[2] == depth and r[1] == 0}
        assert drawn.drawn() == want
        source = max(depth - 1, 0)  # replicate: padded depth 0 copies real depth 0
        np.testing.assert_array_equal(
            mini.view.image.image,
            pad(session.input[0, 0, source], (1, 1, 1, 1), "replicate"))
    current = strip.minis[1].marks.layers["current"].drawn()
    assert current == {(int(reads[10][3]), int(reads[10][4]))}
    # a depth off the window shows its single plane; the highlights leave: no strip
    grid.set_slice((0, 0, 3))
    assert not grid.showing_depths()
    grid.set_slice((0, 0, 1))
    assert grid.showing_depths()
    grid.set_highlight([], "read", padded=True)
    assert not grid.showing_depths()


def test_zero_padding_depths_are_named_not_drawn(qtbot):
    session = Session.default(CONV3D)
    grid = _grid(qtbot, "input", session)
    grid.set_highlight(_window_reads(0, 0, 0), "read", padded=True)
    assert grid.showing_depths()
    assert grid.depths.depths == [1, 2]
    assert [m.label.text() for m in grid.depths.minis[:2]] == ["▶ d = 0", "d = 1"]
    assert "d = −1: zero padding" in grid.depths.note.text()


def test_a_click_on_a_depth_slice_selects_that_cell(qtbot):
    session = Session.default(CONV3D)
    grid = _grid(qtbot, "weight", session)
    taps = np.array([(1, 0, kd, kh, kw) for kd, kh, kw in itertools.product(range(3), repeat=3)])
    grid.set_slice((1, 0, 0))
    grid.set_highlight(taps, "read")
    assert grid.showing_depths() and grid.depths.depths == [0, 1, 2]
    mini = grid.depths.minis[2]
    scene = mini.view.vb.mapViewToScene(QPointF(1.5, 2.5))  # row 2, column 1
    qtbot.mouseClick(mini.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=mini.view.mapFromScene(scene))
    assert grid.current_selection() == Selection("weight", (1, 0, 2, 2, 1))
    assert grid.lead == (1, 0, 2)


def test_fill_patterns_on_a_conv1d_strip_and_a_conv3d_kernel():
    # a Conv1d strip: the pattern runs along the positions, each channel alike
    sx = fill_values("sobel_x", (2, 5), "float64", spatial=1)
    np.testing.assert_array_equal(sx, [[0, -1, 0, 1, 0]] * 2)
    np.testing.assert_array_equal(fill_values("laplacian", (3,), "float64", spatial=1),
                                  [1, -2, 1])
    with pytest.raises(ValueError, match="Sobel y"):
        fill_values("sobel_y", (2, 5), "float64", spatial=1)
    # a Conv3d kernel: one pattern over depth, rows and columns
    lap = fill_values("laplacian", (2, 3, 3, 3), "float64", spatial=3)
    assert lap[0, 1, 1, 1] == -6 and lap.sum() == 0 and np.count_nonzero(lap[1]) == 7
    delta = fill_values("delta", (3, 3, 3), "float64", spatial=3)
    assert delta[1, 1, 1] == 1 and delta.sum() == 1
    sobel = fill_values("sobel_x", (3, 3, 3), "float64", spatial=3)
    np.testing.assert_array_equal(sobel[1], 2 * fill_values("sobel_x", (3, 3), "float64"))
    assert abs(fill_values("gaussian", (3, 5, 5), "float64", spatial=3).sum() - 1) < 5e-3
    # the scope decides: a Conv3d slice is a plane, the whole tensor a volume
    assert fill_axes(CONV3D, "slice") == 2 and fill_axes(CONV3D, "tensor") == 3
    assert fill_axes(CONV1D, "tensor") == 1 and fill_axes(None, "tensor") == 2


def test_the_fill_menu_of_a_conv1d_strip_has_no_sobel_y(qtbot):
    grid = _grid(qtbot, "weight", Session.default(CONV1D))
    menu = grid.editor.build_menu()
    labels = [a.text() for sub in menu.actions() if sub.menu() for a in sub.menu().actions()]
    assert "Sobel x" in labels and "Sobel y" not in labels
    edits, notes = [], []
    grid.cellsEdited.connect(edits.append)
    grid.statusMessage.connect(notes.append)
    grid.editor.fill("laplacian", "tensor")
    assert len(edits) == 1 and edits[0].values.shape == (3, 2, 3)
    np.testing.assert_array_equal(edits[0].values[1, 0], [1, -2, 1])
    grid.editor.fill("sobel_y", "tensor")  # asked for anyway (not from the menu): said, not done
    assert len(edits) == 1 and "Sobel y needs rows and columns" in notes[-1]


def test_the_depth_strip_draws_the_copy_arrows_of_each_slice(qtbot):
    session = Session.default(CONV3D.replace(padding_mode="reflect"))
    grid = _grid(qtbot, "input", session)
    reads = _window_reads(0, 0, 0)  # padded depths 0..2, rows and columns 0..2
    grid.set_highlight(reads, "read", padded=True)
    assert grid.showing_depths()
    # border cell (pd 1, ph 0, pw 1) of channel 0 copies padded (1, 2, 1) under reflect
    frm, to = np.array([(0, 0, 1, 0, 1)]), np.array([(0, 0, 1, 2, 1)])
    grid.set_links(frm, to, "explain")
    counts = {m.depth: m.marks.link_count("explain") for m in grid.depths.minis[:3]}
    assert counts == {0: 0, 1: 1, 2: 0}


def test_strip_words_name_the_slices_the_crop_and_the_rounding():
    from gui.widgets.strip_caption import rounding_step, slice_label, slice_tip, strip_note

    assert slice_label("d", 0, 0, 3, False, "window only") == "d = 0 · window only"
    assert slice_label("d", 1, 1, 3, True) == "▶ d = 1"
    assert slice_label("d", -1, -1, 3, False, "read") == "d = −1 (padding: zeros) · read"
    assert "reads nothing" in slice_tip("d", 0, "window only", painted=False)
    assert "kernel copy" in slice_tip("d", 0, "window only", painted=True)
    assert rounding_step("{:.1f}", "{:.3f}") == "0.1"
    assert rounding_step("{:.2f}", "{:.3f}") == "0.01"
    assert rounding_step("{:.3f}", "{:.3f}") is None and rounding_step(None, "{:.3f}") is None
    assert strip_note("d", [], None, (4, 4), None) == ""
    note = strip_note("d", [-1], (2, 3, 5, 7), (16, 16), "0.1")
    assert note == ("the window also covers d = −1: zero padding, which adds nothing · "
                    "rows 2–6, cols 3–9 of 16×16 · rounded to 0.1 (hover: all digits)")


def test_a_conv1d_border_cell_reads_as_a_step_of_a_channel():
    """Review F14: in a strip a border cell's (row, column) is (channel, padded step):
    'border (0, 0)' read as a position; it says 'step −1 of channel 0' now."""
    from core.io.presets import load_preset
    from gui.widgets.slice_plane import SlicePlane

    session = load_preset("conv1d_basic")
    spec = session.spec.replace(padding_mode="circular")
    x = np.arange(30, dtype=float).reshape(1, 3, 10)
    plane = SlicePlane("input", x, spec, (0,))
    assert plane.describe(0, 0, "x") == "step −1 of channel 0 copies x[0,0,9] = 9 (circular)"
    assert plane.describe(2, 11, "x") == "step 10 of channel 2 copies x[0,2,0] = 20 (circular)"
    zeros = SlicePlane("input", x, session.spec, (0,))
    assert zeros.describe(1, 0, "x") == "step −1 of channel 1 = 0 (zero padding)"
    assert zeros.describe(1, 1, "x") == "x[0,1,0] = 10"
