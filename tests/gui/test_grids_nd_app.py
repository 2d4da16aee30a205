"""Conv1d and Conv3d (and their transposed forms) in the real window: a selected entry's
reads highlighted exactly as core.explain gives them, on a Conv1d's strips and on each of a
Conv3d's depth slices; the player stepping through depth; hover; editing a cell."""

from __future__ import annotations

import numpy as np
import pytest
from gui_checks import assert_results_match_core, cell_pos
from PySide6.QtCore import QPointF, Qt

from core.explain import SOURCES, explain_spec, readers
from core.session import Session
from core.spec import LayerSpec
from gui.selection import Selection
from gui.widgets.plane_axes import depth_pads

SPECS = {
    "conv1d": LayerSpec(dims=1, in_channels=2, out_channels=3, kernel_size=3, input_size=8,
                        padding=1, batch=2, padding_mode="reflect"),
    "causal1d": LayerSpec(dims=1, in_channels=2, out_channels=2, kernel_size=3,
                          input_size=9, dilation=2, causal=True, batch=None),
    "transposed1d": LayerSpec(dims=1, in_channels=2, out_channels=4, kernel_size=3,
                              input_size=5, stride=2, padding=1, groups=2, transposed=True),
    "conv3d": LayerSpec(dims=3, in_channels=2, out_channels=2, kernel_size=3,
                        input_size=(4, 5, 5), padding=1, batch=1),
    "transposed3d": LayerSpec(dims=3, in_channels=2, out_channels=2, kernel_size=(2, 3, 3),
                              input_size=(3, 3, 3), stride=(2, 1, 1), transposed=True),
}


def _rows(a) -> set[tuple[int, ...]]:
    return {tuple(int(i) for i in row) for row in a}


def _want(terms, name: str) -> set[tuple[int, ...]]:
    """The cells explain says the sum reads of ``name`` (padded cells for a convolution's
    input, whose grid is drawn padded)."""
    mask = terms.reading(name)
    if name == "input" and not terms.spec.transposed:
        return _rows(terms.padded_cells()[mask])
    return _rows(terms.indices(name))


def _drawn(grid, style: str = "read") -> set[tuple[int, int]]:
    layer = grid.marks.layers.get(style)
    return set() if layer is None or grid.showing_depths() else layer.drawn()


def _plane_cells(grid, cells: set[tuple[int, ...]], lead, padded: bool):
    """(row, col) of the image cells of ``cells`` that lie in slice ``lead``."""
    top, left = (0, 0) if padded else grid.offset
    if grid.array.ndim == 1:  # the bias: a column
        return {(c[0], 0) for c in cells}
    return {(c[-2] + top, c[-1] + left) for c in cells if tuple(c[:-2]) == tuple(lead)}


@pytest.mark.parametrize("kind", list(SPECS))
@pytest.mark.parametrize("target", ["output", "grad_input", "grad_weight"])
def test_selected_entries_highlight_exactly_what_explain_reads(make_window, kind, target):
    session = Session.default(SPECS[kind])
    window = make_window(session)
    spec = session.spec
    shape = spec.shape(target)
    index = tuple(int(i) for i in np.array(shape) // 2)
    window.selection.set_selection(Selection(target, index))
    terms = window.explainer.terms
    want = explain_spec(spec, target, index, **session.tensors())
    assert len(terms) == len(want) > 0
    grids = window.grids.grids
    for name in SOURCES:
        if spec.shape(name) is None:
            continue
        cells = _want(want, name)
        grid = grids[name]
        assert set(grid.highlighted("read")) == cells, name
        padded = name == "input" and not spec.transposed
        if grid.showing_depths():  # (a Conv1d's strips side by side, a Conv3d's slices)
            _check_depth_slices(grid, cells, padded)
        else:  # what is drawn: the reads in the slice on screen (a whole channel strip in 1D)
            lead = grid.lead
            if padded and spec.dims == 3:
                lead = (*lead[:-1], lead[-1] + depth_pads(spec)[0])
            assert _drawn(grid) == _plane_cells(grid, cells, lead, padded), name
    assert grids[target].highlighted("write") == [index]
    assert window.equation.running_sum() == pytest.approx(
        getattr(window.engine.latest.results, target)[index], rel=1e-9, abs=1e-12)


def _check_depth_slices(grid, cells: set[tuple[int, ...]], padded: bool) -> None:
    """Each small multiple draws exactly the reads at its depth (in the grid's n, c), or
    a Conv1d's at its sample or output channel."""
    strip = grid.depths
    front = depth_pads(grid.spec)[0] if padded else 0  # (0 for a Conv1d)
    lead = grid.lead[:-1]
    depths = {c[-3] for c in cells}
    drawn_depths = [d for d in strip.depths]
    assert set(drawn_depths) <= depths and len(drawn_depths) >= 2
    for mini, depth in zip(strip.minis, strip.depths, strict=False):
        want = {(c[-2], c[-1]) if padded else (c[-2] + grid.offset[0], c[-1] + grid.offset[1])
                for c in cells if c[-3] == depth and tuple(c[:-3]) == lead}
        assert mini.marks.layers["read"].drawn() == want, (depth, depth - front)
        assert mini.label.text().endswith(f"= {depth - front}".replace("-", "−")) or \
            "padding" in mini.label.text()


def test_the_player_steps_through_depth(make_window, qtbot):
    session = Session.default(SPECS["conv3d"])
    window = make_window(session)
    spec = session.spec
    index = (0, 1, 1, 2, 2)
    window.selection.set_selection(Selection("output", index))
    terms = window.explainer.terms
    x, w = window.grids.grids["input"], window.grids.grids["weight"]
    assert x.showing_depths() and w.showing_depths()
    front = depth_pads(spec)[0]
    seen = set()
    for step in range(len(terms)):
        window.selection.set_selection(Selection("output", index, step=step))
        term = terms[step]
        if term.tap is None:  # the bias term
            continue
        c = term.reads["input"][1]
        depth = int(np.clip(term.padded[0] - front, 0, spec.input_size[0] - 1))
        assert x.lead == (0, c, depth), step
        assert w.lead == (1, c, term.tap[0]), step
        current = [m for m in x.depths.minis[: len(x.depths.depths)]
                   if m.label.text().startswith("▶")]
        assert len(current) == 1 and current[0].depth == depth + front
        assert current[0].marks.layers["current"].drawn() == {term.padded[1:]}
        seen.add(depth)
    assert len(seen) >= 2  # the window spans depth: the grid followed


def test_hovering_a_conv1d_border_cell_shows_the_reads_through_it(make_window, qtbot):
    """Reflect padding: the strip's left border cell of channel 1 copies position 1; hovering
    it shows the outputs that read that very cell, hovering a weight tap what it feeds."""
    session = Session.default(SPECS["conv1d"])
    window = make_window(session)
    grid, out = window.grids.grids["input"], window.grids.grids["output"]
    grid.vb.hovered.emit(QPointF(0.5, 1.5))  # plane cell (1, 0): padded position 0
    qtbot.waitUntil(lambda: bool(grid.highlighted("hover")), timeout=2000)
    hover = window.selection.hover
    assert hover.padded == (0,) and hover.index == (0, 1, 1)
    terms = readers(session.spec, "input", hover.index, **session.tensors())
    through = terms.through((0,))
    assert through.any() and not through.all()
    assert set(out.highlighted("hover")) == _rows(terms[through].entries())
    weight = window.grids.grids["weight"]
    weight.vb.hovered.emit(QPointF(2.5, 1.5))  # W[0, 1, 2]
    qtbot.waitUntil(lambda: window.selection.hover.tensor == "weight", timeout=2000)
    terms = readers(session.spec, "weight", (0, 1, 2), **session.tensors())
    qtbot.waitUntil(lambda: set(out.highlighted("hover")) == _rows(terms.entries()),
                    timeout=2000)


@pytest.mark.parametrize("kind", ["conv1d", "conv3d"])
def test_editing_a_cell_recomputes(make_window, qtbot, kind):
    session = Session.default(SPECS[kind])
    window = make_window(session)
    grid = window.grids.grids["input"]
    qtbot.mouseClick(grid.view.viewport(), Qt.MouseButton.LeftButton, pos=cell_pos(grid, 1, 2))
    index = window.selection.selection.index
    assert index == (*grid.lead, 1, 2)
    qtbot.keyClicks(grid.view, "4")
    qtbot.keyClick(grid.editor.line_edit, Qt.Key.Key_Return)
    assert window.document.tensor("input")[index] == 4
    assert_results_match_core(window)


def test_a_click_on_a_depth_slice_selects_its_cell(make_window, qtbot):
    session = Session.default(SPECS["conv3d"])
    window = make_window(session)
    window.selection.set_selection(Selection("output", (0, 0, 2, 1, 1)))
    x = window.grids.grids["input"]
    assert x.showing_depths()
    mini = next(m for m in x.depths.minis if m.label.text().startswith("d = 3"))
    scene = mini.view.vb.mapViewToScene(QPointF(2.5, 1.5))  # padded (1, 2): pixel (0, 1)
    qtbot.mouseClick(mini.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=mini.view.mapFromScene(scene))
    assert window.selection.selection == Selection("input", (0, x.lead[1], 3, 0, 1))
    assert not x.showing_depths() and x.lead[-1] == 3


def test_a_term_under_the_pointer_shows_its_depth_and_leaving_goes_back(make_window, qtbot):
    session = Session.default(SPECS["conv3d"])
    window = make_window(session)
    window.selection.set_selection(Selection("output", (0, 0, 2, 1, 1), step=0))
    terms = window.explainer.terms
    x = window.grids.grids["input"]
    front = depth_pads(session.spec)[0]
    start = x.lead
    last = max(range(len(terms)), key=lambda k: -1 if terms[k].padded is None
               else terms[k].padded[0])
    window.equation.termHovered.emit(last)  # the deepest read
    assert x.lead[-1] == terms[last].padded[0] - front != start[-1]
    window.equation.termHovered.emit(-1)
    assert x.lead == start


def test_conv1d_sums_over_channels_and_samples_show_every_strip(make_window):
    session = Session.default(SPECS["conv1d"])
    window = make_window(session)
    grids = window.grids.grids
    window.selection.set_selection(Selection("grad_input", (1, 1, 0)))
    w = grids["weight"]
    assert w.showing_depths() and w.depths.depths == [0, 1, 2]  # every output channel
    assert [m.label.text() for m in w.depths.minis[:3]] == ["▶ o = 0", "o = 1", "o = 2"]
    window.selection.set_selection(Selection("grad_weight", (1, 1, 1)))
    for name in ("input", "grad_output"):  # every sample
        assert grids[name].showing_depths() and grids[name].depths.depths == [0, 1], name
    assert not w.showing_depths()


@pytest.mark.parametrize("kind, target, index, step", [
    ("conv3d", "output", (0, 0, 1, 1, 1), 9), ("conv3d", "grad_weight", (1, 1, 1, 0, 1), 3),
    ("transposed3d", "output", (0, 0, 1, 2, 2), 0)])
def test_a_diagram_shows_the_depth_of_the_selected_entry_and_of_each_term(kind, target, index,
                                                                         step):
    from core.session import compute_session
    from gui.diagram import build_diagram

    session = Session.default(SPECS[kind])
    results = compute_session(session)
    d = build_diagram(session, results, target, index, step)
    panels = {p.name: p for row in d.rows for p in row[0]}
    entry = panels[target]
    axis = "kd" if target == "grad_weight" else "d"
    assert f"{axis}={index[-3]}" in entry.subtitle
    assert len(entry.marks.get("write", [])) == 1  # the entry outlined on its own slice
    terms = explain_spec(session.spec, target, index, **session.tensors())
    for name in SOURCES:
        if name not in panels or not terms.reading(name).any() or name == "bias":
            continue
        cell = terms.cells(name)[step]
        if name == "input" and not session.spec.transposed:
            cell = terms.padded_cells()[step]
            depth = cell[-3] - depth_pads(session.spec)[0]
        else:
            depth = cell[-3]
        shown = int(panels[name].subtitle.split(f"{'kd' if name == 'weight' else 'd'}=")[1]
                    .split(" ")[0].rstrip(","))
        assert shown == max(depth, 0), name


def test_the_grad_output_note_is_whole_or_hidden_in_a_narrow_column(make_window, qtbot):
    window = make_window(Session.default(SPECS["conv3d"]))
    note = window.grids.grad_note
    for size in ((1600, 1000), (1280, 800), (1000, 700)):
        window.resize(*size)
        qtbot.wait(20)
        text = note.label.fontMetrics().horizontalAdvance(note.label.text())
        assert not note.label.isVisible() or note.label.width() >= text, size


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)])
def test_a_depth_strip_says_why_each_slice_is_shown_and_has_its_colour_scale(make_window, qtbot,
                                                                             size):
    """grad_weight[0,1,1,0,1] of conv3d_basic reads x at d = 1, 2; term 2's kernel window
    also covers d = 0, where nothing is read: each label names its depth and why. The strip
    has a colour bar fitted to every slice shown, and its numbers have the Sum panel's
    digits (or the note says to what they are rounded)."""
    from core.io.presets import load_preset

    window = make_window(load_preset("conv3d_basic"))
    window.resize(*size)
    qtbot.wait(10)
    window.selection.set_selection(Selection("grad_weight", (0, 1, 1, 0, 1), step=2))
    qtbot.wait(10)
    x = window.grids.grids["input"]
    strip = x.depths
    assert x.showing_depths() and strip.depths == [0, 1, 2]
    labels = [m.label.text() for m in strip.minis[:3]]
    assert labels == ["d = 0 · window only", "▶ d = 1 · read", "d = 2 · read"]
    assert "reads nothing" in strip.minis[0].label.toolTip()
    assert strip.bar_view.isVisible()
    shown = x.array[0, 1, :3]  # the three depth slices of sample 0, channel 1
    top = float(np.abs(shown).max())
    lo, hi = strip.colorbar.levels()
    assert lo == -hi and hi >= top  # no slice's colours clip
    assert hi < 2 * top + 1
    # the current term's x[0,1,1,0,3] prints as the Sum panel's term 2 says it: −2.43
    finest = strip.minis[1].view.labels.finest_format()
    assert [m.view.printed_format() for m in strip.minis[:3]] == [finest] * 3
    assert strip.minis[1].view.labels._format_texts(finest)[0][3] == "−2.43"
    assert "x[0,1,1,0,3] = 1 · −2.43" in window.equation.model.data(
        window.equation.model.index(2))
    assert strip.note.isHidden()  # nothing rounded, nothing cropped
    window.selection.set_selection(Selection("output", (0, 0, 0, 1, 1), step=3))
    qtbot.wait(10)
    assert [m.label.text() for m in strip.minis[: len(strip.depths)]] == ["▶ d = 0", "d = 1"]


def test_the_sums_target_strip_never_says_window_only(make_window, qtbot):
    """Review r12 G3: ConvTranspose3d's output[0,0,1,2,3] is the sum's target, painted
    with the kernel's copy over d = 0, 1; its slice read '▶ d = 1 · window only' although
    it holds the selected entry (a read tensor's unread slice still says it: above)."""
    from core.io.presets import load_preset

    window = make_window(load_preset("conv_transpose3d"))
    window.resize(1280, 800)
    qtbot.wait(10)
    window.selection.set_selection(Selection("output", (0, 0, 1, 2, 3), step=0))
    qtbot.wait(10)
    strip = window.grids.grids["output"].depths
    labels = [m.label.text() for m in strip.minis[: len(strip.depths)]]
    assert "▶ d = 1" in labels and not any("window only" in t for t in labels), labels
    qtbot.wait(50)
    # its 4×4 slices get the room (the output's column counts them), side by side: they
    # were stacked in 13 px cells beside the 2×2 input's 65 px ones
    qtbot.wait(50)
    assert strip._across == 2 and min(strip._cell_px(2, 2, strip._bar)) >= 20


def _default_scene_in_3d(make_window, qtbot, size):
    """The default scene switched to 3D at ``size``, output[0,1,1,5,7] at step 4."""
    window = make_window()
    window.resize(*size)
    window.panel.dims.setCurrentIndex(window.panel.dims.findData(3))
    qtbot.wait(10)
    window.selection.set_selection(Selection("output", (0, 1, 1, 5, 7), step=4))
    qtbot.wait(20)
    return window


def test_a_cropped_depth_strip_starts_at_its_crop_and_says_which_cells_it_shows(make_window,
                                                                                 qtbot):
    """Review F8: the default scene switched to 3D (16 × 16 slices, padding 1) and
    output[0,1,1,5,7] selected at 1600×1000: the input's slices zoom to the cells the sum
    reads. The crop's corner is the view's (the numbers' margin before it, not a cut row and
    column under them), the note names the rows and columns on screen as the labels number
    them, and the weight's column numbers have their whole band."""
    window = _default_scene_in_3d(make_window, qtbot, (1600, 1000))
    strip = window.grids.grids["input"].depths
    assert strip.region is not None
    top, left = strip.region[:2]
    for mini in strip.minis[: len(strip.depths)]:
        shown, m = mini.view.vb.viewRect(), mini.view.indices.margin
        assert shown.left() == pytest.approx(left - m, abs=1e-6)
        assert shown.top() == pytest.approx(top - m, abs=1e-6)
    (r0, c0, rows, cols), plane = strip._crop()
    assert plane == (16, 16) and (r0, c0) == (top - 1, left - 1)  # padded → as labelled
    assert f"rows {r0}–{r0 + rows - 1}, cols {c0}–{c0 + cols - 1} of 16×16" in \
        strip.note.text()
    weight = window.grids.grids["weight"].depths.minis[0].view
    cell_h = weight.vb.height() / weight.vb.viewRect().height()
    band = weight.indices.band_px(3, 3)[0]
    assert weight.indices.margin * cell_h >= band - 0.5  # the column numbers whole


def test_four_depth_slices_stay_inside_their_grid_at_1280x800(make_window, qtbot):
    """Review F8b: grad_output's four slices (conv_transpose3d, grad_bias[0]) held the
    strip wider than its grid: the last slice was cut at the window's edge (and the window
    could not be 1280 px wide). Every slice and the colour bar lie inside the grid."""
    from core.io.presets import load_preset

    window = make_window(load_preset("conv_transpose3d"))
    window.resize(1280, 800)
    window.panel.bias.setChecked(True)
    qtbot.wait(10)
    window.selection.set_selection(Selection("grad_bias", (0,), step=10))
    qtbot.wait(20)
    assert window.width() == 1280
    grid = window.grids.grids["grad_output"]
    strip = grid.depths
    assert grid.showing_depths() and len(strip.depths) == 4
    inside = grid.rect()
    for part in [*strip.minis[:4], strip.bar_view]:
        if part.isVisible():
            for corner in (part.rect().topLeft(), part.rect().bottomRight()):
                assert inside.contains(part.mapTo(grid, corner))
    assert strip.bar_view.isVisible() or "colours" in strip.note.text()
    assert strip.colorbar.note.text == "slices"  # (review r13 R12: "strip" said nothing)


def test_the_marker_follows_the_term_and_an_unread_slice_says_where_the_sum_reads(make_window,
                                                                                   qtbot):
    """Review F14: ▶ marks the slice of the current term's cell — a depth padding slice
    too — not the nearest real depth the grid moved to; and a depth picked by hand that the
    sum does not read says which depths it reads."""
    from core.io.presets import load_preset
    from core.session import Session

    spec = load_preset("conv3d_basic").spec.replace(padding=(1, 0, 0),
                                                    padding_mode="replicate")
    window = make_window(Session.default(spec))
    qtbot.wait(10)
    window.selection.set_selection(Selection("output", (0, 0, 0, 1, 1), step=1))
    qtbot.wait(10)
    strip = window.grids.grids["input"].depths
    labels = [m.label.text() for m in strip.minis[: len(strip.depths)]]
    assert labels[0].startswith("▶ d = −1 (padding: copies d = 0)"), labels
    assert not any(label.startswith("▶") for label in labels[1:]), labels
    window.document.replace_session(load_preset("conv3d_basic"))  # no depth padding
    qtbot.wait(10)
    window.selection.set_selection(Selection("output", (0, 0, 1, 1, 1), step=0))
    qtbot.wait(10)
    x = window.grids.grids["input"]
    assert x.depth_hint.isHidden()
    x.selector.spins[-1].setValue(0)  # d = 0 by hand: the sum reads d = 1, 2
    qtbot.wait(10)
    assert not x.showing_depths()
    assert x.depth_hint.isVisible()
    assert x.depth_hint.text() == "output[0,0,1,1,1] reads d = 1, 2, not this slice"


def test_a_long_conv1d_strips_slices_crop_themselves_and_print(make_window, qtbot):
    """strips' note: conv1d_basic with batch 2 and length 64, grad_weight[1,0,1] at step
    70: the input's and grad_output's 'n = 0' / 'n = 1' slices were hairlines; each now
    crops itself around the sum, as the grid's own strip does, and prints its numbers."""
    from core.io.presets import load_preset
    from core.session import Session

    spec = load_preset("conv1d_basic").spec.replace(batch=2, input_size=(64,))
    window = make_window(Session.default(spec))
    window.resize(1280, 800)
    qtbot.wait(10)
    window.selection.set_selection(Selection("grad_weight", (1, 0, 1), step=70))
    qtbot.wait(20)
    for name in ("input", "grad_output"):
        grid = window.grids.grids[name]
        assert grid.showing_depths() and grid.depths.depths == [0, 1], name
        assert grid.depths.region is None  # (the slices crop themselves)
        assert grid.shows_values(), name


def test_the_default_scene_in_3d_prints_its_input_slices_at_1280x800(make_window, qtbot):
    """Review F8 at 1280×800: the three input slices of the default scene switched to 3D
    were bare colour; cropped to the cells read (no context cell when only that lets the
    numbers print) they print, and the note says to what they are rounded, if coarser."""
    window = _default_scene_in_3d(make_window, qtbot, (1280, 800))
    x = window.grids.grids["input"]
    assert x.showing_depths() and x.shows_values()
    strip = x.depths
    finest = strip.minis[0].view.labels.finest_format()
    if any(m.view.printed_format() != finest for m in strip.minis[: len(strip.depths)]):
        assert "rounded to" in strip.note.text()
