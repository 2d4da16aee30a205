"""Huge padding, stride and dilation in the window: the input grid draws the real pixels and
a few border cells, marker rows/columns stand for the padding not drawn, and selecting,
hovering, the im2col tab and a figure cost the input and output, not the padded size."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from core.explain import explain_spec
from core.session import Session
from core.spec import LayerSpec
from gui.figure_export import export_figure
from gui.padded_frame import frame
from gui.selection import Selection

E6 = 10**6
CASES = {
    "zeros pad+stride": dict(padding=E6, stride=E6),
    "replicate pad+stride": dict(padding=E6, stride=E6, padding_mode="replicate"),
    "dilation+pad": dict(padding=E6, dilation=E6),
    "stride alone": dict(stride=E6),
}


def _spec(**kw) -> LayerSpec:
    return LayerSpec(in_channels=2, out_channels=2, kernel_size=3, input_size=(5, 5), batch=1,
                     **kw)


def _drawn_mask(layer) -> set[tuple[int, int]]:
    rows, cols = layer._rect.height(), layer._rect.width()
    flat = np.flatnonzero(layer._mask)
    return {(int(i // cols), int(i % cols)) for i in flat} if rows else set()


@pytest.mark.parametrize("case", list(CASES))
def test_huge_layer_opens_selects_hovers_and_exports(make_window, qtbot, tmp_path, case):
    spec = _spec(**CASES[case])
    start = time.monotonic()
    tracemalloc.start()
    try:
        window = make_window(Session.default(spec))
        window.resize(1280, 800)
        oh, ow = spec.output_size
        entry = (0, 0, oh // 2, ow // 2)  # the middle window: it reads real pixels
        window.selection.set_selection(Selection("output", entry))
        terms = window.explainer.terms
        expected = explain_spec(spec, "output", entry)
        assert len(terms) == len(expected) > 0  # the Sum lists every term
        grid = window.grids.grids["input"]
        cut = frame(spec)
        reads = expected.reading("input")
        padded = {(int(n), int(c), int(ph), int(pw)) for n, c, ph, pw in
                  zip(expected.n[reads], expected.c[reads], expected.ph[reads],
                      expected.pw[reads], strict=True)}
        assert set(grid.highlighted("read")) == padded  # true indices, none dropped
        on_slice = np.array([p[2:] for p in padded if p[:2] == grid.lead])
        drawn = on_slice if cut is None else cut.to_drawn(on_slice)
        assert _drawn_mask(grid.marks.layers["read"]) == {tuple(map(int, d)) for d in drawn}
        shape = grid.image.image.shape
        assert shape[0] <= 5 + 2 * 8 + 2 and shape[1] <= 5 + 2 * 8 + 2
        if cut is not None:
            assert "1000000" in grid.cut_note.text() and grid.cut_note.isVisible()
            # a marker cell: the readout says what it stands for, in padded coordinates
            grid.vb.hovered.emit(QPointF(0.5, 0.5))
            assert "not drawn" in grid.readout.text() and "999998" in grid.readout.text()
            # a drawn border cell next to the image: its padded coordinates
            r, c = cut.offset[0] - 1, cut.offset[1] + 1
            grid.vb.hovered.emit(QPointF(c + 0.5, r + 0.5))
            assert f"({E6 - 1}, {E6 + 1})" in grid.readout.text()
            grid.vb.hovered.emit(None)
        window.tabs.setCurrentWidget(window.im2col)
        qtbot.wait(10)
        assert window.im2col.shown("cols") is not None
        window.im2col.show_page("grad_cols")
        window.selection.set_selection(Selection("grad_input", (0, 0, 2, 2)))
        qtbot.wait(10)
        gi = explain_spec(spec, "grad_input", (0, 0, 2, 2))
        cells = np.stack([gi.ph, gi.pw], axis=1)
        read, _ = window.im2col.marked("grad_padded", "grad_cols")
        if cut is not None:  # col2im's grid: its drawn frame, blank, the reads on it
            assert np.isnan(window.im2col.shown("grad_padded", "grad_cols")).all()
            assert read.shape == cut.shape and "not drawn" in window.im2col.caption.text()
            cells = cut.to_drawn(cells)
        assert {tuple(map(int, c)) for c in np.argwhere(read)} == \
            {tuple(map(int, c)) for c in cells}
        window.tabs.setCurrentWidget(window.grids)
        export_figure(window, tmp_path / "figure.png")
        assert (tmp_path / "figure.png").stat().st_size > 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - start < 20, "a huge padding must cost the input and output"
    assert peak < 200 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_the_frame_maps_every_padded_cell_onto_a_drawn_cell():
    spec = _spec(padding=E6, stride=E6, padding_mode="replicate")
    cut = frame(spec)
    rows = cut.rows
    p = np.array([0, E6 - 3, E6 - 2, E6 - 1, E6, E6 + 4, E6 + 5, E6 + 6, E6 + 7, 2 * E6 + 4])
    assert rows.drawn(p).tolist() == [0, 0, 1, 2, 3, 7, 8, 9, 10, 10]
    assert rows.padded(np.arange(rows.length)).tolist() == [
        -1, E6 - 2, E6 - 1, E6, E6 + 1, E6 + 2, E6 + 3, E6 + 4, E6 + 5, E6 + 6, -1]
    assert frame(_spec(padding=8)) is None  # a small padding is drawn whole
    # values at the drawn border: what the padding mode copies there (core's map)
    image = np.arange(25.0).reshape(5, 5)
    plane, marker = cut.plane(image)
    assert marker[0].all() and marker[:, -1].all() and not marker[1:-1, 1:-1].any()
    assert plane[1:-1, 1:-1].tolist() == np.pad(image, 2, mode="edge").tolist()


def test_reads_in_the_undrawn_padding_land_on_the_marker(make_window):
    spec = _spec(padding=E6, stride=E6, padding_mode="replicate")
    window = make_window(Session.default(spec))
    window.selection.set_selection(Selection("output", (0, 0, 0, 0)))  # reads padded (0..2)²
    grid = window.grids.grids["input"]
    expected = explain_spec(spec, "output", (0, 0, 0, 0))
    assert len(window.explainer.terms) == len(expected) == 2 * 9 + 1  # and the bias
    assert {c[2:] for c in grid.highlighted("read")} == {(r, c) for r in range(3)
                                                          for c in range(3)}
    assert _drawn_mask(grid.marks.layers["read"]) == {(0, 0)}  # the corner marker
    assert _drawn_mask(grid.marks.layers["source"]) == {(3, 3)}  # all copy pixel (0, 0)
