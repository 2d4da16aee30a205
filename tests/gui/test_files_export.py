"""Exports through the app's actions: results as .npy / .npz (torch reproduces them), one
tensor from a grid, importing a .npy (fits, reshape the layer, refusal), figures as PNG and
SVG, and "Copy as PyTorch code" (the clipboard's script runs and its asserts pass)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from export_checks import torch_from_folder
from files_support import data_home_fixture, dialogs_fixture, edit_cell, files_fixture  # noqa: F401
from gui_checks import svg_is_valid
from PySide6.QtGui import QGuiApplication

from core.io.presets import load_preset
from core.io.session_io import load_session

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ("output", "grad_input", "grad_weight", "grad_bias")


@pytest.mark.parametrize("preset", ["default", "strided_dilated", "sobel_edges"])
def test_npy_export_reproduces_the_gradients_in_torch(window, files, dialogs, tmp_path, preset):
    window.document.replace_session(load_preset(preset))
    edit_cell(window, "grad_output", 2.5)  # not just ones
    folder = tmp_path / "export"
    dialogs.folder.append(str(folder))
    files.exports.export_npy_action.trigger()
    assert files.prompts.errors == []
    spec = window.document.spec
    names = {"input", "weight", "grad_output", "output", "grad_input", "grad_weight"}
    if spec.bias:
        names |= {"bias", "grad_bias"}
    assert {p.stem for p in folder.glob("*.npy")} == names
    assert (folder / "spec.json").is_file()
    _, want = torch_from_folder(folder)
    latest = window.engine.latest.results
    for name, tensor in want.items():
        np.testing.assert_allclose(np.load(folder / f"{name}.npy"), tensor.numpy(), rtol=1e-10,
                                   atol=1e-10, err_msg=name)
        np.testing.assert_array_equal(np.load(folder / f"{name}.npy"), getattr(latest, name))


def test_npz_export_holds_every_tensor_and_opens_as_a_session(window, files, dialogs, tmp_path):
    dialogs.save.append(str(tmp_path / "all"))
    files.exports.export_npz_action.trigger()
    path = tmp_path / "all.npz"
    with np.load(path, allow_pickle=False) as z:
        for name in RESULTS:
            np.testing.assert_array_equal(z[name], getattr(window.engine.latest.results, name))
        assert json.loads(str(z["spec"]))["groups"] == window.document.spec.groups
    assert load_session(path).spec == window.document.spec


def test_export_into_an_unwritable_place_says_why(window, files, dialogs, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    dialogs.folder.append(str(blocker / "sub"))
    files.exports.export_npy_action.trigger()
    title, text, detail = files.prompts.errors[0]
    assert title == "Cannot export the results" and str(blocker / "sub") in detail


@pytest.mark.parametrize("name", ["weight", "grad_weight", "output"])
def test_one_tensor_is_exported_from_its_grid(window, files, dialogs, tmp_path, name):
    dialogs.save.append(str(tmp_path / f"{name}.npy"))
    files.exports.export_tensor(name)
    want = (window.document.tensor(name) if name == "weight"
            else getattr(window.engine.latest.results, name))
    np.testing.assert_array_equal(np.load(tmp_path / f"{name}.npy"), want)


def test_exporting_a_missing_bias_says_so(window, files, dialogs):
    window.document.replace_session(load_preset("sobel_edges"))  # bias=False
    files.exports.export_tensor("grad_bias")
    assert "no grad_bias" in files.prompts.last_error
    assert dialogs.asked == []


def test_import_that_fits_replaces_the_tensor_undoably(window, files, dialogs, tmp_path):
    w = np.arange(np.prod(window.document.spec.weight_shape), dtype=np.float32)
    path = tmp_path / "w.npy"
    np.save(path, w.reshape(window.document.spec.weight_shape))
    dialogs.open.append(str(path))
    window.imports.import_tensor("weight")
    got = window.document.tensor("weight")
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got.ravel(), w)
    window.document.undo_stack.undo()
    assert not np.array_equal(window.document.tensor("weight").ravel(), w)


def test_import_that_needs_a_new_layer_asks_and_reshapes(window, files, tmp_path):
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 7))
    path = tmp_path / "x.npy"
    np.save(path, x)
    before = window.document.session
    files.prompts.answers.append(False)
    assert not window.imports.import_tensor_from("input", path)
    assert window.document.session is before
    title, text, detail = files.prompts.questions[0]
    assert "input_size (16, 16) → (9, 7)" in detail and "batch 1 → 2" in detail
    assert window.imports.import_tensor_from("input", path)  # answers yes
    assert window.document.spec.input_shape == (2, 3, 9, 7)
    np.testing.assert_array_equal(window.document.tensor("input"), x)
    assert window.engine.latest.session is window.document.session


@pytest.mark.parametrize(
    "array, phrase",
    [
        (np.zeros((4, 3, 3)), "cannot have 3 dimensions in a Conv2d"),
        (np.zeros((4, 2, 3, 3), dtype=np.int64), "a float or complex array is needed"),
        (np.array([{"a": 1}], dtype=object), "pickled Python objects"),
    ],
)
def test_import_refusals_say_why(window, files, tmp_path, array, phrase):
    path = tmp_path / "bad.npy"
    np.save(path, array, allow_pickle=True)
    before = window.document.session
    assert not window.imports.import_tensor_from("weight", path)
    assert phrase in files.prompts.last_error
    assert window.document.session is before


def test_figures_as_png_and_svg(window, files, dialogs, tmp_path):
    files.exports.add_panel("input grid", window.grids.grids["input"])  # as the window offers them
    files.exports.add_panel("layer settings", window.panel)
    files.exports.figure_menu.aboutToShow.emit()
    labels = [a.text() for a in files.exports.figure_menu.actions() if a.data() is not None]
    assert labels[0] == "Whole &window…"
    assert {"input grid…", "grad_weight grid…", "layer settings…"} <= set(labels)
    dialogs.save.append(str(tmp_path / "window.png"))
    files.exports.export_figure()
    png = (tmp_path / "window.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    dialogs.save.append(str(tmp_path / "grid"))  # no suffix: the chosen filter decides
    files.exports.export_figure("input grid")
    assert (tmp_path / "grid.png").is_file()
    for label in ("input grid", "layer settings"):
        out = tmp_path / f"{label.split()[0]}.svg"
        dialogs.save.append(str(out))
        files.exports.export_figure(label)
        data = out.read_bytes()
        assert b"<svg" in data and svg_is_valid(data), label
    assert files.prompts.errors == []


def test_an_svg_heatmap_keeps_its_cells_sharp(window):
    """Review r13 S4: a heatmap is embedded at one pixel a cell, and renderers stretch it
    smoothly (librsvg ignores image-rendering): a 3 × 3 weight came out as one blur. Each
    is now embedded enlarged without smoothing, its pixels blocks of one colour; and the
    numbers keep the screen's width."""
    import base64
    import re

    import numpy as np
    from PySide6.QtGui import QImage

    from gui.figure_export import SHARP_SIDE, svg_bytes

    weight = window.grids.grids["weight"]
    svg = svg_bytes(weight)
    images = re.findall(rb'<image ([^>]*?)xlink:href="data:image/png;base64,([^"]+)"', svg)
    sizes = []
    for attributes, data in images:
        image = QImage.fromData(base64.b64decode(data), "PNG")
        width = float(re.search(rb'width="([0-9.]+)"', attributes).group(1))
        sizes.append((image.width(), width))
    heatmap = [(px, w) for px, w in sizes if w == weight.array.shape[-1]]
    assert heatmap, sizes  # the 3-wide weight slice, one unit a cell
    for px, w in heatmap:
        assert px >= SHARP_SIDE // 2 and px % w == 0  # whole blocks a cell
    image = QImage.fromData(base64.b64decode(images[[s for s, _ in sizes].index(
        heatmap[0][0])][1]), "PNG").convertToFormat(QImage.Format.Format_RGB32)
    block = image.width() // int(heatmap[0][1])
    pixels = np.frombuffer(image.constBits(), np.uint32).reshape(image.height(), -1)
    assert len(np.unique(pixels[:block, :block])) == 1  # a cell is one colour throughout
    # the cells' numbers: the plain face squeezed as the screen's condensed one (an SVG has
    # no stretch: they ran together), each number drawn once
    squeezed = re.findall(rb'transform="matrix\(0\.75,0,0,1,[^"]*"[^>]*>\s*<text[^>]*>([^<]*)<',
                          svg)
    numbers = [float(t.decode().replace("−", "-")) for t in squeezed]
    values = window.document.session.weight[0, 0].ravel()  # the slice on screen, o = c = 0
    assert len(numbers) == values.size
    np.testing.assert_allclose(sorted(numbers), sorted(values), atol=0.006)


def test_figure_into_a_missing_folder_says_why(window, files, dialogs, tmp_path):
    dialogs.save.append(str(tmp_path / "nope" / "x.png"))
    files.exports.export_figure()
    assert "does not exist" in files.prompts.last_error


def _run_snippet(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "snippet.py"
    script.write_text(code)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, env=env, cwd=tmp_path)


@pytest.mark.parametrize("preset", ["default", "reflect_padding"])
def test_copied_pytorch_code_runs_and_its_asserts_pass(window, files, tmp_path, preset):
    window.document.replace_session(load_preset(preset))
    edit_cell(window, "grad_output", -0.75)
    files.exports.copy_pytorch_code()
    code = QGuiApplication.clipboard().text()
    assert code == files.exports.last_snippet and "assert_close" in code
    done = _run_snippet(code, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "torch agrees with ConvViz" in done.stdout


def test_pytorch_code_is_built_off_the_ui_thread(window, files, qtbot):
    files.synchronous = False
    edit_cell(window, "weight", 0.5)
    session = window.document.session
    with qtbot.waitSignal(files.exports.snippetCopied, timeout=30_000) as blocker:
        files.exports.copy_pytorch_code()
        files.exports.copy_pytorch_code()  # the newer request wins; the first result is dropped
    assert blocker.args[0] == QGuiApplication.clipboard().text()
    assert window.document.session is session
    assert "conv.weight.copy_" in blocker.args[0]
