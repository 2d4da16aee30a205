"""A Conv1d strip's fill menu names the slice it fills (review r12 F14): the strip shows every
channel of one sample (one filter), so "Fill this slice" read as one row."""

from __future__ import annotations

import numpy as np
import pytest

from core.session import Session
from core.spec import LayerSpec
from gui.widgets.tensor_grid import TensorGrid

CONV1D = LayerSpec(dims=1, in_channels=2, out_channels=3, kernel_size=3, input_size=8,
                   padding=1, batch=2)


def _menu_titles(qtbot, name: str, spec: LayerSpec, lead: tuple[int, ...] = ()):
    grid = TensorGrid(name)
    qtbot.addWidget(grid)
    grid.resize(600, 300)
    grid.show()
    grid.set_session(Session.default(spec))
    if lead:
        grid.set_slice(lead)
    menu = grid.editor.build_menu()
    grid.copy_title = next(a.text() for a in menu.actions() if a.text().startswith("Copy"))
    return grid, [a.text() for a in menu.actions() if a.menu()]


@pytest.mark.parametrize(("name", "title"), [
    ("input", "Fill sample n = 1 (all channels)"),
    ("grad_output", "Fill sample n = 1 (all channels)"),
    ("weight", "Fill filter o = 1 (all channels)"),
])
def test_a_strip_says_which_sample_it_fills(qtbot, name, title):
    grid, titles = _menu_titles(qtbot, name, CONV1D, (1,))
    assert title in titles and "Fill this slice" not in titles
    assert grid.copy_title == title.replace("Fill", "Copy")  # what Copy takes, too
    edits = []
    grid.cellsEdited.connect(edits.append)
    grid.editor.fill("zeros", "slice")
    assert edits[0].index == (1,)  # every channel of that one sample (filter)
    assert np.shape(edits[0].values) == grid.array[1].shape


def test_an_unbatched_strip_is_the_whole_tensor_and_has_no_slice_entry(qtbot):
    grid, titles = _menu_titles(qtbot, "input", CONV1D.replace(batch=None))
    assert titles == ["Fill all of x"] and grid.copy_title == "Copy all of x"


def test_a_conv2d_grid_keeps_fill_this_slice(qtbot):
    grid, titles = _menu_titles(qtbot, "input", LayerSpec(2, 2, 3, input_size=5, batch=1))
    assert "Fill this slice" in titles and grid.copy_title == "Copy slice"
