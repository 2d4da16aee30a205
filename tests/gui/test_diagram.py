"""The diagram figure (`gui.diagram*`): what it shows, its files (PNG, SVG, GIF; from the
command line and the window), no blank margins, and the SVG drawn the same by an
independent renderer (resvg, from PyPI: no system library needed)."""

from __future__ import annotations

import dataclasses
import io
import re

import numpy as np
import pytest
from cli_batch import main_runs
from files_support import data_home_fixture, dialogs_fixture, files_fixture  # noqa: F401
from gui_checks import svg_is_valid
from PIL import Image
from test_cli import ROOT, run_main

from core.explain import explain_spec
from core.io.presets import load_preset
from core.session import compute_session
from gui.diagram import build_diagram
from gui.diagram_export import DiagramFrames
from gui.diagram_layout import PAD
from gui.diagram_paint import png_bytes, svg_bytes, to_image
from gui.gif_export import frame_steps
from gui.selection import Selection

#: Mean |PNG − resvg(SVG)| per channel, 0–255. Drawings that agree measure 0.6–3.4 (text:
#: Qt hints glyphs, resvg does not); the gap grows with the share of text (small figures).
MEAN_LIMIT = 4.0
#: No 8×8 block's average colour may differ by more than this: text differences average out
#: in a block (measured ≤ 43), a wrong fill does not (solid highlight squares: 90–170).
BLOCK_LIMIT = 64.0
WHITE = np.array([255, 255, 255])


def _scene(preset: str):
    session = load_preset(preset)
    return session, compute_session(session)


def _rgb(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.int16)


def _resvg(svg: bytes) -> np.ndarray:
    import resvg_py

    return _rgb(bytes(resvg_py.svg_to_bytes(svg_string=svg.decode(), background="#ffffff")))


def _differences(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean absolute difference, and the largest difference of 8×8 block averages."""
    assert a.shape == b.shape
    h, w = (a.shape[0] // 8) * 8, (a.shape[1] // 8) * 8

    def blocks(x: np.ndarray) -> np.ndarray:
        return x[:h, :w].reshape(h // 8, 8, w // 8, 8, 3).mean(axis=(1, 3))

    return float(np.abs(a - b).mean()), float(np.abs(blocks(a) - blocks(b)).max())


def _margins(rgb: np.ndarray) -> tuple[int, int, int, int]:
    """Rows / columns of pure background at the top, bottom, left and right."""
    ink = np.any(rgb != WHITE, axis=2)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    assert rows.size, "the picture is blank"
    return (int(rows[0]), ink.shape[0] - 1 - int(rows[-1]), int(cols[0]),
            ink.shape[1] - 1 - int(cols[-1]))


CASES = [("reflect_padding", "grad_weight", (0, 0, 1, 1), 3),
         ("default", None, None, None),
         ("complex_small", "output", (0, 0, 0, 0), 0)]


@pytest.mark.parametrize(("preset", "tensor", "index", "step"), CASES)
@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_svg_in_an_independent_renderer_matches_the_png(qapp, preset, tensor, index, step,
                                                        scale):
    session, results = _scene(preset)
    d = build_diagram(session, results, tensor, index, step)
    png, svg = png_bytes(d, scale), svg_bytes(d, scale)
    assert b"<image" not in svg  # cells are rectangles: no bitmap for a renderer to blur
    a, b = _rgb(png), _resvg(svg)
    assert a.shape == b.shape  # the SVG's size is in pixels, as the PNG's
    mean, block = _differences(a, b)
    assert mean < MEAN_LIMIT and block < BLOCK_LIMIT, (mean, block)


def test_the_comparison_catches_solid_highlight_squares(qapp):
    """The bug other renderers showed (translucent fills drawn opaque) fails the test."""
    session, results = _scene("reflect_padding")
    d = build_diagram(session, results, "grad_weight", (0, 0, 1, 1), 3)
    svg = svg_bytes(d)
    solid = re.sub(rb'fill-opacity="0\.\d+"', b'fill-opacity="1"', svg)
    assert solid != svg
    assert _differences(_rgb(png_bytes(d)), _resvg(solid))[1] > BLOCK_LIMIT


@pytest.mark.parametrize(("preset", "tensor", "index", "step"), CASES)
def test_no_blank_margins(qapp, preset, tensor, index, step):
    session, results = _scene(preset)
    for scale in (1.0, 1.5):
        rgb = _rgb(png_bytes(build_diagram(session, results, tensor, index, step), scale))
        assert max(_margins(rgb)) <= PAD * scale + 4, _margins(rgb)


def test_gif_frames_share_a_size_and_have_no_blank_strip(qapp, tmp_path):
    session, results = _scene("reflect_padding")
    frames = DiagramFrames(session, results, "grad_weight", (0, 0, 1, 1))
    assert frames.count == len(explain_spec(session.spec, "grad_weight", (0, 0, 1, 1),
                                            **session.tensors()))
    images = [frames(step) for step in (0, frames.count // 2, frames.count - 1)]
    assert len({(im.width(), im.height()) for im in images}) == 1
    for i, im in enumerate(images):
        assert im.save(str(tmp_path / f"{i}.png"))
        assert max(_margins(_rgb((tmp_path / f"{i}.png").read_bytes()))) <= PAD + 4


def test_the_window_shows_the_legend_and_no_pile_of_arrows(make_window):
    window = make_window(load_preset("reflect_padding"))
    window.selection.set_selection(Selection("grad_weight", (0, 0, 1, 1)))
    assert window.grids.grids["input"].links("explain") == 0
    assert "border cells copy a real pixel" in window.equation.note.text()
    window.selection.set_selection(Selection("grad_weight", (0, 0, 1, 1), step=0))
    assert window.grids.grids["input"].links("current") <= 1


# -- files ----------------------------------------------------------------------------------
def test_cli_writes_png_svg_and_gif(tmp_path):
    entry = ["reflect_padding", "--select", "grad_weight[0,0,1,1]", "--figure", "diagram"]
    for suffix in ("png", "svg", "gif"):
        out = tmp_path / f"fig.{suffix}"
        done = run_main(*entry, "--scale", "1.5", "--screenshot", str(out))
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    with Image.open(tmp_path / "fig.png") as png:
        size = png.size
    assert size[0] > 1000  # 1.5 × the natural ~690 px
    assert svg_is_valid((tmp_path / "fig.svg").read_bytes())
    session = load_preset("reflect_padding")
    count = len(explain_spec(session.spec, "grad_weight", (0, 0, 1, 1), **session.tensors()))
    with Image.open(tmp_path / "fig.gif") as gif:
        assert gif.n_frames == len(frame_steps(count))
        assert gif.size[0] == size[0]  # the whole sum's width: no blank strip


MISTAKES = [(["--figure", "diagram"], "needs --screenshot"),
     (["--figure", "diagram", "--screenshot", "x.bmp"], "writes .png, .svg or .gif"),
     (["--figure", "diagram", "--scale", "0", "--screenshot", "x.png"], "out of range"),
     (["--scale", "2", "--screenshot", "x.png"], "--scale needs --figure diagram"),
     (["--figure", "diagram", "--screenshot", "x.gif"], "add --select"),
     (["--figure", "diagram", "--select", "output[0,0,0,0]", "--step", "1", "--screenshot",
       "x.gif"], "drop --step")]


@pytest.fixture(scope="module")
def mistake_runs() -> dict:
    """Every command line of MISTAKES, run in one child (tests/cli_batch.py)."""
    return {tuple(run.args): run for run in main_runs([(args, ROOT) for args, _ in MISTAKES])}


@pytest.mark.parametrize(("args", "phrase"), MISTAKES)
def test_cli_mistakes_say_why(args, phrase, mistake_runs):
    done = mistake_runs[tuple(args)]
    assert done.returncode == 2 and phrase in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_the_window_exports_the_diagram(window, files, dialogs, tmp_path):
    window.selection.set_selection(Selection("output", (0, 0, 1, 1), step=2))
    for name in ("d.svg", "d.png"):
        dialogs.save.append(str(tmp_path / name))
        files.exports.export_diagram(2.0)
    assert files.prompts.errors == []
    assert svg_is_valid((tmp_path / "d.svg").read_bytes())
    state = files.exports.diagram_state()
    assert (state["tensor"], state["index"], state["step"]) == ("output", (0, 0, 1, 1), 2)
    want = to_image(build_diagram(**state), 2.0)
    with Image.open(tmp_path / "d.png") as png:
        assert png.size == (want.width(), want.height())


def test_a_panel_svg_from_the_window_also_draws_alike(make_window):
    """File › Export figure of a grid (Qt's SVG generator): cosmetic outlines and point-size
    text come out as on screen in resvg too (no solid blocks over highlighted cells)."""
    from gui.figure_export import png_bytes as panel_png
    from gui.figure_export import svg_bytes as panel_svg

    window = make_window(load_preset("reflect_padding"))
    window.selection.set_selection(Selection("grad_weight", (0, 0, 1, 1), step=3))
    grid = window.grids.grids["input"]
    a, b = _rgb(panel_png(grid)), _resvg(panel_svg(grid))
    assert a.shape == b.shape
    mean, block = _differences(a, b)
    assert mean < MEAN_LIMIT and block < BLOCK_LIMIT, (mean, block)


def test_an_empty_batch_and_a_large_plane_still_draw(qapp):
    session, _ = _scene("default")
    empty = session.with_spec(dataclasses.replace(session.spec, batch=0))
    d = build_diagram(empty, compute_session(empty))
    assert all(p.values.size == 0 for p in d.panels() if p.name != "weight" and
               "bias" not in p.name and p.name != "grad_weight")
    assert svg_is_valid(svg_bytes(d)) and _rgb(png_bytes(d)).size
    big = session.with_spec(dataclasses.replace(session.spec, input_size=(64, 64)))
    d = build_diagram(big, compute_session(big), "grad_weight", (0, 0, 1, 1), 5)
    rgb = _rgb(png_bytes(d))
    assert rgb.shape[1] < 2000  # big planes get small cells, a kernel keeps readable ones
    out = d.panel("grad_weight")
    assert out.values.shape == (3, 3)


def test_diagram_cells_too_small_for_a_decimal_show_colours_not_rounded_numbers(qapp):
    """-0.4619 printed as '0' (a whole-number format) read as a structural zero."""
    from gui.diagram_layout import cell_texts
    from gui.widgets.cell_text import value_font

    values = np.array([[-0.4619, 3.25], [0.0, 12.5]])
    font = value_font(9)
    for cell in range(16, 60, 2):
        texts = cell_texts(values, cell, font)
        if texts is not None:
            assert texts[0][0] in ("−0.462", "−0.46", "−0.5") and texts[1][0] == "0", texts
