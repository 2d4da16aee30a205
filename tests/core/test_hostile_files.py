"""Hostile files: declared sizes are checked before anything is decompressed or allocated,
JSON depth and length are capped before parsing, and only the loaders' own errors escape.

Every file is built here, small on disk: a zip whose central directory declares gigabytes
for a kilobyte of deflated data, a 128-byte ``.npy`` whose header claims terabytes, JSON
nested 49,000 levels deep, and a few hundred random corruptions of valid files.
"""

from __future__ import annotations

import io
import json
import re
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hostile_files import (
    DEEP,
    HUGE,
    TIB_SHAPE,
    hostile_files,
    lying_zip,
    npy_bytes,
    npy_header,
    session_members,
    zip_bomb,
)

from core.budget import BudgetError
from core.io.presets import MAX_PRESET_BYTES, PresetError, load_preset, load_preset_file
from core.io.session_io import SessionError, load_session, save_session
from core.io.tensor_import import TensorFileError, import_npy, read_npy
from core.session import Session
from core.spec import LayerSpec
from gui.cli.headless import cli_export


def measured(load, *args):
    """``load(*args)``'s exception, the seconds and the peak bytes numpy/Python allocated."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError) as info:
            load(*args)
        return info.value, time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# -- a zip bomb ----------------------------------------------------------------------------
def test_a_zip_bomb_session_is_refused_by_its_declared_sizes(tmp_path):
    bomb = tmp_path / "bomb.npz"
    zip_bomb(bomb)
    assert bomb.stat().st_size < 64 * 2**10
    with zipfile.ZipFile(bomb) as z:
        assert z.getinfo("input.npy").file_size > 4 * 10**9
    error, seconds, peak = measured(load_session, bomb)
    assert isinstance(error, SessionError) and isinstance(error.__cause__, BudgetError)
    assert error.fields == error.__cause__.fields == ("input_size",)  # the size fields
    assert error.numbers == {"estimate": error.__cause__.estimate, "limit": 4 * 2**30}
    assert str(error) == f"cannot open {bomb}: {error.__cause__}"
    assert str(error.__cause__).startswith("its layer needs about ")
    assert "over the memory limit of 4.0 GiB (set CONVVIZ_MEMORY_LIMIT" in str(error)
    assert seconds < 5 and peak < 32 * 2**20  # nothing decompressed: not 26 s and 4 GB


def test_a_member_declaring_more_than_the_spec_needs_is_refused_unread(tmp_path):
    """The layer is small; the zip says the input entry holds 4 GB (deflated: a megabyte)."""
    spec = {**HUGE, "input_size": [4, 4]}
    small = npy_bytes(np.ones((1, 1, 4, 4), "f4"))
    path = tmp_path / "liar.npz"
    lying_zip(path, session_members(spec, {"weight": npy_bytes(np.ones((1, 1, 1, 1), "f4")),
                                           "input": small + bytes(2**20),
                                           "grad_output": small}),
              {"input.npy": 4 * 10**9})
    error, seconds, peak = measured(load_session, path)
    assert isinstance(error, SessionError)
    assert str(error) == (f"cannot open {path}: entry 'input' is corrupt: shape (1, 1, 4, 4) of "
                          f"float32 needs 64 bytes but it holds {4 * 10**9 - 128}")
    assert peak < 8 * 2**20


def test_a_header_claiming_a_shape_the_spec_does_not_have_is_refused_unread(tmp_path):
    spec = {**HUGE, "input_size": [4, 4]}
    shape = (1, 1, 30000, 30000)
    path = tmp_path / "liar.npz"
    lying_zip(path, session_members(spec, {"weight": npy_bytes(np.ones((1, 1, 1, 1), "f4")),
                                           "input": npy_header(shape) + bytes(2**16),
                                           "grad_output": npy_bytes(np.ones((1, 1, 4, 4), "f4"))}),
              {"input.npy": len(npy_header(shape)) + 4 * 30000 * 30000})
    error, _, peak = measured(load_session, path)
    assert str(error) == (f"cannot open {path}: tensor 'input' has shape (1, 1, 30000, 30000) "
                          f"but the spec needs (1, 1, 4, 4)")
    assert peak < 8 * 2**20


def test_a_session_over_a_lowered_limit_is_refused_with_the_budget_message(tmp_path, monkeypatch):
    session = Session.default(LayerSpec(in_channels=2, out_channels=2, kernel_size=3,
                                        input_size=(16, 16)))
    save_session(tmp_path / "s.npz", session)
    monkeypatch.setenv("CONVVIZ_MEMORY_LIMIT", "4K")
    with pytest.raises(SessionError, match=r"its layer needs about [0-9.]+ KiB, over the memory "
                                           r"limit of 4\.0 KiB"):
        load_session(tmp_path / "s.npz")
    with pytest.raises(PresetError, match=r"^preset default\.json: its layer needs about [0-9.]+ "
                                          r"KiB, over the memory limit of 4\.0 KiB"):
        load_preset("default")


# -- a .npy claiming terabytes -------------------------------------------------------------
def test_a_128_byte_npy_claiming_terabytes_is_refused_by_its_header(tmp_path):
    path = tmp_path / "liar.npy"
    path.write_bytes(npy_header(TIB_SHAPE))
    assert path.stat().st_size == 128
    error, seconds, peak = measured(read_npy, path)
    assert isinstance(error, TensorFileError)
    assert str(error) == (f"cannot read {path}: its header declares shape {TIB_SHAPE} of float32, "
                          "3.5 TiB, over the memory limit of 4.0 GiB (set CONVVIZ_MEMORY_LIMIT "
                          "to change it)")
    assert peak < 2**20
    session = Session.default(LayerSpec(in_channels=1, out_channels=1, kernel_size=1,
                                        input_size=(2, 2)))
    with pytest.raises(TensorFileError, match="3.5 TiB"):
        import_npy(path, "input", session)


def test_a_npy_whose_data_is_shorter_than_its_header_says(tmp_path):
    path = tmp_path / "short.npy"
    path.write_bytes(npy_header((1, 1, 4, 4)) + bytes(60))
    with pytest.raises(TensorFileError, match=r"declares shape \(1, 1, 4, 4\) of float32 \(64 "
                                              r"bytes\) but the file holds 60 bytes of data"):
        read_npy(path)


def test_an_import_that_needs_a_layer_over_the_limit_is_refused(tmp_path, monkeypatch):
    session = Session.default(LayerSpec(in_channels=1, out_channels=1, kernel_size=1,
                                        input_size=(2, 2)))
    np.save(tmp_path / "big.npy", np.ones((1, 1, 64, 64)))
    monkeypatch.setenv("CONVVIZ_MEMORY_LIMIT", "64K")
    imp = import_npy(tmp_path / "big.npy", "input", session)
    assert imp.proposal is None and not imp.fits
    assert re.fullmatch(r"input of shape \(1, 1, 64, 64\) does not fit the layer, which needs "
                        r"\(1, 1, 2, 2\); the layer that fits it needs about [0-9.]+ KiB, over "
                        r"the memory limit of 64\.0 KiB \(set CONVVIZ_MEMORY_LIMIT to change it\)",
                        imp.refusal), imp.refusal


def test_a_session_given_a_lone_npy_is_refused_unread(tmp_path):
    path = tmp_path / "liar.npz"
    path.write_bytes(npy_header(TIB_SHAPE))
    error, _, peak = measured(load_session, path)
    assert str(error) == f"cannot open {path}: this is a single .npy array, not a .npz session"
    assert peak < 2**20


# -- JSON nested 49,000 deep ----------------------------------------------------------------
def test_a_session_spec_nested_49000_deep(tmp_path):
    path = tmp_path / "deep.npz"
    np.savez(path, format=np.array(1), spec=np.array(DEEP))
    with pytest.raises(SessionError) as info:
        load_session(path)
    assert str(info.value) == (f"cannot open {path}: the spec is nested 49000 levels deep (at "
                               "most 32 are read)")


def test_a_preset_nested_49000_deep(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"format": 1, "spec": ' + DEEP + "}")
    with pytest.raises(PresetError) as info:
        load_preset_file(path)
    assert str(info.value) == ("preset deep.json: cannot read it: nested 49001 levels deep (at "
                               "most 32 are read)")


def test_brackets_inside_strings_do_not_count(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"format": 1, "name": "[" * 100 + '\\"{', "spec": HUGE | {
        "input_size": [4, 4]}}))
    assert load_preset_file(path).spec.input_size == (4, 4)


def test_a_preset_over_the_size_cap_is_refused_unread(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b'{"format": 1}' + b" " * MAX_PRESET_BYTES)
    with pytest.raises(PresetError, match=f"preset big.json: cannot read it: "
                                          f"{MAX_PRESET_BYTES + 13} bytes; a preset may have at "
                                          f"most {MAX_PRESET_BYTES}"):
        load_preset_file(path)


def test_integers_longer_than_python_converts(tmp_path):
    path = tmp_path / "long.json"
    path.write_text('{"format": 1, "seed": ' + "7" * 5000 + "}")
    with pytest.raises(PresetError, match="cannot read it: not valid JSON"):
        load_preset_file(path)


# -- --export with each -------------------------------------------------------------------
def test_export_of_each_hostile_file_fails_in_one_line(tmp_path):
    for path, phrase in hostile_files(tmp_path).values():
        stderr = io.StringIO()
        assert cli_export(path, tmp_path / "out", stderr) == 1
        line = stderr.getvalue()
        assert line.count("\n") == 1 and line.startswith("convviz: ") and phrase in line, line
        assert not (tmp_path / "out").exists()


# -- fuzz: only the loaders' own errors escape ---------------------------------------------
def mutations(data: bytes, rng: np.random.Generator, count: int):
    """``count`` corruptions of ``data``: bytes overwritten, cut off, dropped or repeated."""
    for _ in range(count):
        raw = bytearray(data)
        kind = rng.integers(4)
        if kind == 0:
            for at in rng.integers(len(raw), size=rng.integers(1, 9)):
                raw[at] = rng.integers(256)
        elif kind == 1:
            del raw[rng.integers(len(raw)):]
        elif kind == 2:
            at = rng.integers(len(raw))
            del raw[at: at + rng.integers(1, 64)]
        else:
            at = rng.integers(len(raw))
            raw[at:at] = raw[at: at + rng.integers(1, 64)]
        yield bytes(raw)


def _session_bytes(tmp_path: Path, compressed: bool) -> bytes:
    session = Session.default(LayerSpec(in_channels=2, out_channels=3, kernel_size=3,
                                        input_size=(4, 5), padding=1, bias=True), seed=1)
    save_session(tmp_path / "s.npz", session)
    if not compressed:
        return (tmp_path / "s.npz").read_bytes()
    with np.load(tmp_path / "s.npz") as z:
        np.savez_compressed(tmp_path / "c.npz", **{k: z[k] for k in z.files})
    return (tmp_path / "c.npz").read_bytes()


@pytest.mark.parametrize("compressed", [False, True])
def test_corrupt_sessions_raise_only_session_errors(tmp_path, compressed):
    rng = np.random.default_rng(10 + compressed)
    path = tmp_path / "fuzz.npz"
    for data in mutations(_session_bytes(tmp_path, compressed), rng, 200):
        path.write_bytes(data)
        try:
            load_session(path)
        except SessionError as e:
            assert str(e).startswith(f"cannot open {path}: ")


def test_corrupt_presets_raise_only_preset_errors(tmp_path):
    rng = np.random.default_rng(12)
    source = Path(__file__).resolve().parents[2] / "resources" / "presets"
    path = tmp_path / "fuzz.json"
    for name in ("default", "sobel_edges", "depthwise"):
        for data in mutations((source / f"{name}.json").read_bytes(), rng, 70):
            path.write_bytes(data)
            try:
                load_preset_file(path)
            except PresetError as e:
                assert str(e).startswith("preset fuzz.json: ")
