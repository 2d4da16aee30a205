"""View hooks other features build on: highlights, links, slices, readouts, dimming."""

from __future__ import annotations

import numpy as np
import pytest
from gui_checks import cell_pos
from PySide6.QtCore import Qt

from gui.selection import NOTHING, Selection


def test_set_highlight_draws_only_the_shown_slice(window):
    grid = window.grids.grids["input"]
    cells = np.array([[0, 0, 1, 1], [0, 0, 1, 2], [0, 2, 5, 5]])
    grid.set_highlight(cells, "read")
    assert grid.highlighted("read") == [tuple(c) for c in cells.tolist()]
    assert grid.marks.layers["read"].count == 2  # channel 2 is not on screen
    grid.set_slice((0, 2))
    assert grid.marks.layers["read"].count == 1
    grid.set_highlight([(0, 2, 0, 0)], "current")
    assert grid.marks.layers["current"].count == 1
    for style in ("read", "current"):  # as the explainer clears a style: no cells
        grid.set_highlight([], style)
    assert grid.marks.layers["read"].count == 0 and grid.marks.layers["current"].count == 0
    with pytest.raises(KeyError):
        grid.set_highlight([], "no-such-style")


def test_padded_highlights_and_links_on_the_input(window):
    assert window.grids.grids["input"].describe(0, 0) == "border (0, 0) = 0 (zero padding)"
    window.panel.padding_mode.setCurrentIndex(window.panel.padding_mode.findData("reflect"))
    grid = window.grids.grids["input"]
    border = np.array([[0, 0, 0, 0], [0, 0, 0, 3]])  # padded coordinates: row 0 is border
    grid.set_highlight(border, "source", padded=True)
    assert grid.marks.layers["source"].count == 2
    grid.set_links(border, np.array([[0, 0, 2, 2], [0, 0, 2, 3]]), "explain")
    assert grid.links("explain") == 2  # (0, 3) -> (2, 3) and (0, 0) -> (2, 2)
    assert grid.describe(0, 3).startswith("border (0, 3) copies x[")


def test_bias_highlight_is_a_column(window):
    grid = window.grids.grids["grad_bias"]
    grid.set_highlight([(1,), (3,)], "write")
    assert grid.marks.layers["write"].count == 2


def test_hover_goes_to_the_selection_model(qtbot, window):
    grid = window.grids.grids["weight"]
    seen = []
    window.selection.hoverChanged.connect(seen.append)
    qtbot.mouseMove(grid.view.viewport(), cell_pos(grid, 1, 2))
    qtbot.waitUntil(lambda: bool(seen))
    assert seen[-1] == Selection("weight", (0, 0, 1, 2))
    assert grid.readout.text().startswith("W[0,0,1,2] = ")


def test_selection_is_dropped_when_the_shape_no_longer_has_it(window):
    window.selection.set_selection(Selection("output", (0, 3, 15, 15)))
    window.panel.stride_h.setValue(2)
    assert window.selection.selection == NOTHING
    window.selection.set_selection(Selection("weight", (3, 2, 0, 0)))
    window.panel.kernel_w.setValue(2)
    assert window.selection.selection == Selection("weight", (3, 2, 0, 0))


def test_clicking_another_grid_moves_the_selection(qtbot, window):
    out = window.grids.grids["output"]
    qtbot.mouseClick(out.view.viewport(), Qt.MouseButton.LeftButton, pos=cell_pos(out, 3, 4))
    assert window.selection.selection == Selection("output", (0, 0, 3, 4))
    assert not out.view.cursor.path().isEmpty()
    weight = window.grids.grids["weight"]
    qtbot.mouseClick(weight.view.viewport(), Qt.MouseButton.LeftButton, pos=cell_pos(weight, 0, 0))
    assert out.view.cursor.path().isEmpty()


def test_values_fit_their_cells(window):
    grid = window.grids.grids["weight"]  # 3×3 cells are large: every value is printed
    level, texts, fmt = grid.labels._fitting_texts(80.0, 80.0)
    assert level == 0 and len(texts) == 3  # the larger font where it fits
    assert fmt == grid.labels.finest_format()
    assert grid.labels._fitting_texts(5.0, 80.0) is None
    assert grid.labels._fitting_texts(80.0, 5.0) is None


def test_digits_come_before_font_size(qtbot):
    """A cell wide enough for '−2.43' in the smaller font but only '−2.4' in the larger
    prints '−2.43' (the Sum panel's digits), in the smaller font."""
    from gui.widgets.cell_text import CellTextItem

    labels = CellTextItem()
    values = np.array([[-2.43, 0.07], [1.51, -0.01]])
    labels.set_values(values, np.zeros(values.shape, bool), None)
    small, large = labels._all_metrics[1], labels._all_metrics[0]
    width = small.horizontalAdvance("−2.43") + labels.GAP + 1
    assert large.horizontalAdvance("−2.43") + labels.GAP > width  # the larger font: a digit less
    level, texts, fmt = labels._fitting_texts(width, 30.0)
    assert (level, texts[0][0], fmt) == (1, "−2.43", "{:.3f}")
    assert labels.printed_format(width, 30.0) == labels.finest_format()
    assert labels.min_width(finest=True) > labels.min_width()


def test_empty_batch_shows_a_note(window):
    window.panel.batch.setValue(0)
    grid = window.grids.grids["output"]
    assert grid.array.shape[0] == 0
    assert grid._stack.currentWidget() is grid._empty and "empty" in grid._empty.text()
    window.panel.bias.setChecked(False)
    bias = window.grids.grids["bias"]
    assert bias._stack.currentWidget() is bias._empty and "bias=False" in bias._empty.text()


def test_weight_selector_names_a_transposed_layers_axes(qtbot):
    from core.spec import LayerSpec
    from gui.widgets.tensor_grid import TensorGrid

    grid = TensorGrid("weight")
    qtbot.addWidget(grid)
    spec = LayerSpec(2, 4, 3, groups=2, transposed=True)
    grid.set_tensor(np.zeros(spec.shape("weight")), spec)  # (in, out/groups, kh, kw)
    assert grid.selector.axes == ("c", "o")
    assert [s.toolTip() for s in grid.selector.spins] == ["which c to show", "which o to show"]
    conv = spec.replace(transposed=False)
    grid.set_tensor(np.zeros(conv.shape("weight")), conv)
    assert grid.selector.axes == ("o", "c")


def test_whether_a_cell_prints_does_not_depend_on_the_size_asked_first(qtbot):
    """The answer is kept per whole pixel: a cell just under the threshold asked first
    must not keep one just over it from printing (the im2col page's 12 px rows did not)."""
    from gui.widgets.cell_text import CellTextItem

    def labels():
        item = CellTextItem()
        item.set_values(np.array([[-2.43, 0.07]]), np.zeros((1, 2), bool), None)
        return item

    threshold = labels()._min_height(1)  # the smaller font's least height
    below, above = round(threshold) - 0.4, round(threshold) + 0.4
    first_below = labels()
    first_below.fits_at(80.0, below)
    assert first_below.fits_at(80.0, above) == labels().fits_at(80.0, above)
    first_above = labels()
    first_above.fits_at(80.0, above)
    assert first_above.fits_at(80.0, below) == labels().fits_at(80.0, below)


def test_cells_as_wide_as_min_width_print(qtbot):
    """`min_width` measures the texts; painting must agree: 12.43 and −4.47 have no
    '−12.4' among them, which the paint test assumed and refused (found by the im2col2d
    helper: a 5 × 5 image at its least width printed nothing)."""
    from gui.widgets.cell_text import CellTextItem

    labels = CellTextItem()
    values = np.array([[12.43, -4.47, 0.5], [3.25, -1.0, 7.75]])
    labels.set_values(values, np.zeros(values.shape, bool), None)
    for finest in (False, True):
        width = labels.min_width(finest)
        assert labels.printed_format(width, 40.0) is not None
        if finest:
            assert labels.printed_format(width, 40.0) == labels.finest_format()
