"""Session files keep the layer kind; a file written before there were kinds is a Conv2d."""

from __future__ import annotations

import json

import numpy as np

from core.io.presets import load_preset
from core.io.session_io import load_session, save_session


def test_a_transposed_session_round_trips(tmp_path):
    s = load_preset("transposed_output_padding")
    save_session(tmp_path / "t.npz", s)
    back = load_session(tmp_path / "t.npz")
    assert back.spec == s.spec and back.spec.transposed and back.spec.output_padding == (1, 1)
    for name, a in s.tensors().items():
        np.testing.assert_array_equal(back.tensor(name), a)


def test_a_session_without_a_kind_loads_as_conv2d(tmp_path):
    s = load_preset("strided_dilated")
    save_session(tmp_path / "old.npz", s)
    with np.load(tmp_path / "old.npz", allow_pickle=False) as npz:
        stored = json.loads(str(npz["spec"]))
    assert "transposed" not in stored and "output_padding" not in stored  # as before kinds
    back = load_session(tmp_path / "old.npz")
    assert back.spec == s.spec and not back.spec.transposed
