"""Headless export: ``main.py [SESSION] --export DIR`` through `cli_export`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from export_checks import torch_from_folder

import gui.cli.headless
from core.budget import BudgetError, estimate_bytes, format_bytes
from core.io.presets import default_session, load_preset
from core.io.session_io import save_session
from core.session import compute_session
from gui.cli.headless import cli_export, export_headless

ALL = ["grad_bias.npy", "grad_input.npy", "grad_output.npy", "grad_weight.npy", "output.npy",
       "spec.json"]
EDITED = ["bias.npy", "input.npy", "weight.npy"]
ROOT = Path(__file__).resolve().parents[2]


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_default_scene_is_exported(tmp_path):
    export_headless(None, tmp_path / "new" / "dir")
    out = tmp_path / "new" / "dir"
    assert listing(out) == sorted(ALL + EDITED)
    session = default_session()
    np.testing.assert_array_equal(np.load(out / "input.npy"), session.input)
    np.testing.assert_array_equal(np.load(out / "output.npy"), compute_session(session).output)
    assert json.loads((out / "spec.json").read_text()) == {"torch_class": "Conv2d",
                                                           **session.spec.to_dict()}


def test_a_transposed_preset_exports_what_torchs_conv_transpose2d_computes(tmp_path):
    out = tmp_path / "out"
    export_headless("transposed_output_padding", out)
    spec = json.loads((out / "spec.json").read_text())
    assert spec["torch_class"] == "ConvTranspose2d" and spec["output_padding"] == [1, 1]
    assert listing(out) == sorted(n for n in ALL + EDITED if "bias" not in n)
    load, got = torch_from_folder(out)  # nn.ConvTranspose2d built from spec.json alone
    assert tuple(got["output"].shape) == (1, 1, 6, 6)
    for name, value in got.items():
        torch.testing.assert_close(value, load[name], rtol=1e-12, atol=1e-12)


def test_cli_export_of_a_session_without_bias(tmp_path):
    session = load_preset("sobel_edges")
    save_session(tmp_path / "s.npz", session)
    stderr = io.StringIO()
    assert cli_export(str(tmp_path / "s.npz"), str(tmp_path / "out"), stderr) == 0
    assert stderr.getvalue() == ""
    assert listing(tmp_path / "out") == sorted(
        [n for n in ALL if n != "grad_bias.npy"] + ["input.npy", "weight.npy"]
    )
    results = compute_session(session)
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "grad_weight.npy"),
                                  results.grad_weight)


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing", "cannot open {tmp}/missing.npz: no such file"),
        ("truncated", "cannot open {tmp}/s.npz: not a readable .npz archive; truncated"),
        ("out_is_file", "cannot export to {tmp}/taken: it is a file, not a folder"),
    ],
)
def test_cli_export_failures_print_one_line(tmp_path, setup, expected):
    save_session(tmp_path / "s.npz", default_session())
    session, out = tmp_path / "s.npz", tmp_path / "out"
    if setup == "missing":
        session = tmp_path / "missing.npz"
    elif setup == "truncated":
        session.write_bytes(session.read_bytes()[:100])
    else:
        out = tmp_path / "taken"
        out.write_text("a file")
    stderr = io.StringIO()
    assert cli_export(session, out, stderr) == 1
    text = stderr.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert text.startswith("convviz: " + expected.format(tmp=tmp_path)), text
    if setup != "out_is_file":
        assert not out.exists()


@pytest.mark.parametrize("arg", ["depthwise", "resources/presets/depthwise.json"])
def test_cli_export_takes_what_the_app_takes(tmp_path, monkeypatch, arg):
    """A preset name or a preset file, as ``python main.py SESSION`` opens them."""
    monkeypatch.chdir(ROOT)
    stderr = io.StringIO()
    assert cli_export(arg, tmp_path / "out", stderr) == 0, stderr.getvalue()
    session = load_preset("depthwise")
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "weight.npy"), session.weight)
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "grad_input.npy"),
                                  compute_session(session).grad_input)


def test_cli_export_names_the_presets_for_an_unknown_name(tmp_path):
    stderr = io.StringIO()
    assert cli_export("sobel", tmp_path / "out", stderr) == 1
    assert stderr.getvalue().startswith("convviz: 'sobel' is neither a file nor a preset "
                                        "(presets: default, ")
    assert not (tmp_path / "out").exists()


def test_cli_export_unknown_backend(tmp_path):
    stderr = io.StringIO()
    assert cli_export(None, tmp_path, stderr, backend="tpu") == 1
    assert stderr.getvalue().startswith("convviz: backend must be one of")


def test_cli_export_from_a_process_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a session")
    code = ("import sys; from gui.cli.headless import cli_export; "
            "sys.exit(cli_export(sys.argv[1], sys.argv[2], sys.stderr))")
    run = subprocess.run([sys.executable, "-c", code, str(bad), str(tmp_path / "out")],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith(f"convviz: cannot open {bad}: not a .npz session")


def test_cli_export_keeps_dtype_and_unbatched_shape(tmp_path):
    session = load_preset("seed002_pointwise")
    save_session(tmp_path / "s.npz", session)
    assert cli_export(tmp_path / "s.npz", tmp_path / "out", io.StringIO()) == 0
    loaded = np.load(tmp_path / "out" / "input.npy")
    assert loaded.dtype == np.float32 and loaded.shape == (1, 1, 6)
    np.testing.assert_array_equal(loaded, session.input)


def test_file_modules_load_neither_torch_nor_qt():
    modules = ("core.io.atomic, core.io.autosave, core.io.export, gui.cli.headless, "
               "core.io.presets, gui.cli.session_arg, core.io.session_io, core.verify.snippet, "
               "core.io.tensor_import, core.io.untrusted")
    code = f"import {modules}; import sys; print(' '.join(sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert not {"torch", "PySide6", "pyqtgraph"} & set(run.stdout.split())


def test_cli_export_over_the_memory_limit_names_both_and_writes_nothing(tmp_path, monkeypatch):
    save_session(tmp_path / "s.npz", default_session())
    estimate = estimate_bytes(default_session().spec)
    monkeypatch.setenv("CONVVIZ_MEMORY_LIMIT", "3K")
    stderr = io.StringIO()
    assert cli_export(tmp_path / "s.npz", tmp_path / "out", stderr) == 1
    assert stderr.getvalue() == (
        f"convviz: cannot open {tmp_path / 's.npz'}: its layer needs about "
        f"{format_bytes(estimate)}, over the memory limit of 3.0 KiB (set CONVVIZ_MEMORY_LIMIT "
        "to change it)\n")
    assert not (tmp_path / "out").exists()


def test_cli_export_whose_compute_fails_writes_nothing(tmp_path, monkeypatch):
    """A layer that opens but cannot be computed (the core's own budget check, say)."""
    def refuse(session, backend="numpy"):
        raise BudgetError(5 * 2**30, 4 * 2**30)

    monkeypatch.setattr(gui.cli.headless, "compute_session", refuse)
    stderr = io.StringIO()
    assert cli_export(None, tmp_path / "out", stderr) == 1
    assert stderr.getvalue() == ("convviz: this layer needs about 5.0 GiB, over the memory limit "
                                 "of 4.0 GiB (set CONVVIZ_MEMORY_LIMIT to change it)\n")
    assert not (tmp_path / "out").exists()
