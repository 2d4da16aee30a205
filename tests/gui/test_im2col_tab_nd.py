"""The im2col tab of Conv1d, Conv3d and their transposed forms: the matrices on screen are
core's steps (columns = prod(output positions), rows = C/G·prod(kernel)), the images are
drawn 1D whole and 3D as stacked depth slices, rows and columns say what they index, and a
selected entry's marked cells multiply into it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gui_checks import assert_results_match_core

from core.conv import compute
from core.im2col_steps import im2col_steps
from core.session import Session
from core.spec import LayerSpec
from gui import im2col_layout, im2col_transposed
from gui.selection import Selection


def layer(dims: int, transposed: bool) -> LayerSpec:
    """A grouped, batched layer with a bias, a stride and padding on every axis."""
    size = {1: 7, 3: (3, 4, 5)}[dims]
    if transposed:
        return LayerSpec(4, 2, 2, stride=2, padding=1, groups=2, dims=dims, transposed=True,
                         input_size=size, batch=2)
    return LayerSpec(4, 2, (3,) * dims, stride=(2,) + (1,) * (dims - 1), padding=1, groups=2,
                     dims=dims, input_size=size, batch=2)


def show_im2col(window, qtbot):
    view = window.im2col
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.shown("cols", "forward") is not None, timeout=3000)
    return view


def drawn(array: np.ndarray, channel: int = 0) -> np.ndarray:
    """What the view draws of one of `matrices`' arrays: a matrix or 1D image whole, a
    stacked 3D image one channel at a time."""
    return array if array.ndim == 2 else array[channel]


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("dims", [1, 3])
def test_the_tab_shows_core_steps(make_window, qtbot, dims, transposed):
    spec = layer(dims, transposed)
    window = make_window(Session.default(spec, seed=3))
    assert_results_match_core(window)
    view = show_im2col(window, qtbot)
    lay = im2col_transposed if transposed else im2col_layout
    s = window.document.session
    steps = im2col_steps(s.spec, s.input, s.weight, s.bias, s.grad_output, sample=0)
    want = lay.matrices(steps)
    for page, names in lay.PAGES.items():
        for name in names:
            np.testing.assert_array_equal(view.shown(name, page), drawn(want[name]),
                                          err_msg=f"{page} {name}")
    # the sizes the issue asks for: rows L = prod(positions), columns G·C/G·prod(k)
    positions = spec.as_conv().output_size
    per_group = spec.out_per_group if transposed else spec.in_per_group
    assert view.shown("cols").shape == (math.prod(positions),
                                        spec.groups * per_group * math.prod(spec.kernel_size))
    # the images are core's tensors, as drawn: 1D (C × L) whole, 3D (D·H × W) stacked
    output = compute(s.spec, s.input, s.weight, s.bias, s.grad_output).output[0]
    shown = view.shown("output", "forward")
    if dims == 1:
        np.testing.assert_allclose(shown, output, rtol=1e-12, atol=1e-12)
    else:
        d, h, w = spec.output_size
        np.testing.assert_allclose(shown, output[0].reshape(d * h, w), rtol=1e-12, atol=1e-12)
        assert view.plots["forward", "output"].slice_rows == h
    # what each matrix says for real values, and its caption
    titles = lay.titles(spec)
    assert view.caption.text() == lay.caption(spec)
    assert "L\u00a0=\u00a0" in view.caption.text() and "taps per group" in view.caption.text()
    plot = view.plots["forward", "cols"]
    assert plot.title.text == titles["cols"]
    window.tabs.setCurrentWidget(window.grids)


@pytest.mark.parametrize("dims", [1, 3])
def test_rows_and_columns_say_what_they_index(make_window, qtbot, dims):
    spec = layer(dims, False)
    window = make_window(Session.default(spec))
    view = show_im2col(window, qtbot)
    top, left = view.plots["forward", "cols"].axes
    k = math.prod(spec.kernel_size)
    # column g·K + c'·prod(k) + tap: "c;kd,kh,kw" with c the absolute input channel
    col = 1 * spec.in_per_group * k + 1 * k + 2
    tap = np.unravel_index(2, spec.kernel_size)
    assert top.tickStrings([col + 0.5], 1, 1) == [f"{2 + 1};" + ",".join(map(str, tap))]
    row = 5
    want = str(row) if dims == 1 else ",".join(map(str, np.unravel_index(row, spec.output_size)))
    assert left.tickStrings([row + 0.5], 1, 1) == [want]
    window.tabs.setCurrentWidget(window.grids)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("dims", [1, 3])
def test_an_output_entry_marks_the_cells_that_multiply_into_it(make_window, qtbot, dims,
                                                             transposed):
    spec = layer(dims, transposed)
    window = make_window(Session.default(spec, seed=5))
    entry = (1, 1, *(min(1, n - 1) for n in spec.output_size))
    window.selection.set_selection(Selection("output", entry, step=1))
    view = show_im2col(window, qtbot)
    qtbot.waitUntil(lambda: view.sample.value() == 1, timeout=3000)
    assert view.page == "forward"
    s = window.document.session
    value = compute(s.spec, s.input, s.weight, s.bias, s.grad_output).output[entry]
    if transposed:  # the painted copies' cells of x · W add up in the full output
        read, current = view.marked("cols")
        assert current.sum() == 1
        cols = view.shown("cols")
        full = view.plots["forward", "full_output"]
        (cell,) = np.argwhere(view.marked("full_output")[0])
        assert cols[read].sum() == pytest.approx(full.array[tuple(cell)], rel=1e-12)
        assert full.array[tuple(cell)] + s.bias[1] == pytest.approx(value, rel=1e-12)
    else:  # row e of cols times column o of Wᵀ, plus the bias
        read, current = view.marked("cols")
        (row,) = {r for r, _ in np.argwhere(read)}
        w_read, _ = view.marked("weight_t")
        taps = view.shown("cols")[row][read[row]]
        weights = view.shown("weight_t")[w_read]
        assert current.sum() == 1 and len(taps) == len(weights)
        assert taps @ weights + s.bias[1] == pytest.approx(value, rel=1e-12)
        product_read, _ = view.marked("product")
        assert view.shown("product")[product_read].item() + s.bias[1] == \
            pytest.approx(value, rel=1e-12)
    read, _ = view.marked("output")
    assert read.sum() == 1
    window.tabs.setCurrentWidget(window.grids)


def test_a_huge_padding_leaves_col2im_s_grid_blank_and_says_so(make_window, qtbot):
    """A 1D padded grid over the memory limit is not built: drawn blank, nothing marked on
    it, the caption says why; the matrices are still core's."""
    spec = LayerSpec(2, 2, 3, stride=10**8, padding=10**8, dims=1, input_size=5)
    window = make_window(Session.default(spec))
    window.selection.set_selection(Selection("grad_input", (0, 1, 2), step=0))
    view = show_im2col(window, qtbot)
    qtbot.waitUntil(lambda: view.page == "grad_cols", timeout=3000)
    assert "not drawn" in view.caption.text()
    assert np.isnan(view.shown("grad_padded")).all()
    assert not view.marked("grad_padded")[0].any()
    s = window.document.session
    steps = im2col_steps(s.spec, s.input, s.weight, s.bias, s.grad_output)
    np.testing.assert_array_equal(view.shown("grad_input"), steps.grad_input)
    window.tabs.setCurrentWidget(window.grids)


def _conv3d_im2col(make_window, qtbot, size):
    """conv3d_basic's im2col tab at ``size``, output[0,1,1,2,2] at step 2 selected."""
    from core.io.presets import load_preset

    window = make_window(load_preset("conv3d_basic"))
    window.resize(*size)
    window.selection.set_selection(Selection("output", (0, 1, 1, 2, 2), step=2))
    view = show_im2col(window, qtbot)
    qtbot.wait(20)
    return view


def test_each_page_row_and_column_is_sized_by_its_matrices(make_window, qtbot):
    """Review F5: in conv3d_basic's forward page the 16 × 2 Wᵀ took as much room as the
    18 × 16 cols, which printed no numbers at 1600×1000; the page's columns now share the
    width by their matrices' columns, and cols prints its values."""
    view = _conv3d_im2col(make_window, qtbot, (1600, 1000))
    cols, weight_t = view.plots["forward", "cols"], view.plots["forward", "weight_t"]
    assert cols.array.shape == (18, 16) and weight_t.array.shape == (16, 2)
    grid = view.pages["forward"].ci.layout
    assert grid.columnStretchFactor(0) > 3 * grid.columnStretchFactor(1)  # 16 columns vs 2
    assert cols.shows_values()


def test_the_3d_output_image_leaves_the_width_to_cols(make_window, qtbot):
    """Review r12 G5: at 1280×800 the 6 × 3 output image's one-line title made its column
    ~350 px (115 px cells) while the 18 × 16 cols beside it got 15 px cells. The title
    breaks before its size now; the three columns take less width than cols' sixteen."""
    from gui.widgets.im2col_view import plot_title

    view = _conv3d_im2col(make_window, qtbot, (1280, 800))
    output, cols = view.plots["forward", "output"], view.plots["forward", "cols"]
    assert output.title.text.count("<br>") == 2 and "channel o = 1<br>" in output.title.text
    assert output.view.width() < 0.6 * cols.view.width(), (output.view.width(),
                                                            cols.view.width())
    assert plot_title("cols  (L × G·K)") == "cols  (L × G·K)"  # short titles keep one line


def test_a_3d_image_names_its_channel_and_ticks_each_depth_slice(make_window, qtbot):
    """Review F14 / F11: the im2col output image of conv3d_basic, drawn a channel at a
    time, names that channel in its title, and its row ticks fall on each depth slice's
    first row (multiples of the slice's rows)."""
    view = _conv3d_im2col(make_window, qtbot, (1600, 1000))
    output = view.plots["forward", "output"]
    assert "channel o = 1" in output.title.text
    rows = output.slice_rows
    assert rows == 3  # (H = 3 rows a depth slice)
    left = output.axes[1]
    [(_spacing, values)] = left.tickValues(-0.5, output.array.shape[0] - 0.5, 400)
    assert values and all(round(v - 0.5) % rows == 0 for v in values), values
