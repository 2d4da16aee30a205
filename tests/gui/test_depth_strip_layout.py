"""A Conv3d's depth strip laid out in the running window: every slice and the colour bar
inside the strip, none over another, after the interactive path that broke it (review r13
R7) and for a three-slice strip at 1280×800 (R8: its numbers print)."""

from __future__ import annotations

import dataclasses

import pytest
from gui_checks import cell_pos
from PySide6.QtCore import Qt

from core.io.presets import load_preset
from gui.selection import Selection


def _parts(strip):
    """The strip's shown parts (its slices, its colour bar) as rectangles in the strip."""
    parts = [m for m in strip.minis[: strip._shown] if m.isVisible()]
    if strip.bar_view.isVisible():
        parts.append(strip.bar_view)
    return [p.geometry() for p in parts]


def assert_laid_out(strip) -> None:
    """Every shown slice and the bar lie inside the strip and none covers another."""
    rects = _parts(strip)
    assert len(rects) >= strip._shown
    inside = strip.rect()
    for r in rects:
        assert inside.contains(r), (r.getRect(), inside.getRect())
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b), (a.getRect(), b.getRect())


def _click(qtbot, grid, r: int, c: int) -> None:
    pos = cell_pos(grid, r, c)
    qtbot.mouseMove(grid.view.viewport(), pos)
    qtbot.mouseClick(grid.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_a_strip_that_grows_to_three_slices_lays_them_all_out(make_window, qtbot):
    """Review r13 R7: conv3d_basic at 1280×800, output[0,0,0,1,1] clicked and stepped,
    grad_weight[0,1,0,0,0] clicked, padding 'same': the input's strip grows from two slices
    to three. A slice's resize used to show the note under the strip in the middle of the
    strip's layout pass; Qt laid the strip out again inside that pass and the outer pass
    then placed d = 0 and d = 1 640 px wide, off the strip's right edge, and left them so."""
    window = make_window(load_preset("conv3d_basic"))
    window.resize(1280, 800)
    qtbot.wait(20)
    grids = window.grids.grids
    _click(qtbot, grids["output"], 1, 1)
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    gw = grids["grad_weight"]
    gw.selector.spins[1].setValue(1)  # c = 1
    qtbot.wait(10)
    _click(qtbot, gw, 0, 0)
    assert window.selection.selection.tensor == "grad_weight"
    assert window.selection.selection.index == (0, 1, 0, 0, 0)
    strip = grids["input"].depths
    qtbot.wait(20)
    assert grids["input"].showing_depths() and strip._shown == 2
    spec = window.document.spec
    window.document.set_spec(dataclasses.replace(spec, padding="same"))
    qtbot.wait(50)
    assert grids["input"].showing_depths() and strip._shown == 3
    assert_laid_out(strip)
    _click(qtbot, grids["output"], 0, 0)
    qtbot.wait(20)
    assert_laid_out(strip)
    _click(qtbot, gw, 0, 0)
    qtbot.wait(50)
    assert strip._shown == 3
    assert_laid_out(strip)


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_three_same_padded_slices_print_their_numbers(make_window, qtbot, size):
    """Review r13 R8: conv3d_basic with padding 'same', grad_weight[0,1,0,0,0]: the sum
    reads x on three 4×4 slices (5×5 with the padded border). At 1280×800 they were drawn in
    two rows of 48 px, colour only; now they crop to the read cells (the padding border
    out) in one row and print, and the note under them is whole. The other grids print."""
    window = make_window(load_preset("conv3d_basic"))
    window.resize(*size)
    window.document.set_spec(dataclasses.replace(window.document.spec, padding="same"))
    qtbot.wait(20)
    window.selection.set_selection(Selection("grad_weight", (0, 1, 0, 0, 0), step=0))
    qtbot.wait(50)
    x = window.grids.grids["input"]
    strip = x.depths
    assert x.showing_depths() and strip.depths == [0, 1, 2]
    qtbot.waitUntil(strip.shows_values, timeout=2000)
    assert_laid_out(strip)
    if strip.note.isVisible():
        assert strip.note.height() >= strip.note.heightForWidth(strip.note.width())
    if size == (1600, 1000):  # the room for the whole planes and the Sum panel's digits
        assert strip.region is None and "rounded" not in strip.note.text()
    else:
        assert "rows 0–3, cols 0–3 of 4×4" in strip.note.text()
    for name in ("weight", "output", "grad_input", "grad_weight"):
        grid = window.grids.grids[name]
        assert grid.showing_depths() or grid.view.shows_values(), name
