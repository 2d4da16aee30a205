"""core.session_delta: a change's record holds only what the other side cannot supply, and
rebuilds that side bit for bit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.session import Session
from core.session_delta import apply, compact, diff, outside, same_bits
from core.spec import LayerSpec

BASE = LayerSpec(in_channels=3, out_channels=4, kernel_size=(3, 3), padding=(1, 1),
                 input_size=(9, 9), batch=2)


def _session(spec: LayerSpec = BASE) -> Session:
    s = Session.default(spec, seed=3)
    x = np.array(s.input, copy=True)
    x[0, 0, 0, :3] = [np.nan, -0.0, np.inf]  # values an exact undo must keep exactly
    return s.with_tensor("input", x)


def _assert_same(a: Session, b: Session) -> None:
    assert a.spec == b.spec
    assert a.tensors().keys() == b.tensors().keys()
    for name, x in a.tensors().items():
        assert same_bits(x, b.tensor(name)), name


CHANGES = {
    "grow input": dict(input_size=(12, 11)),
    "shrink input": dict(input_size=(5, 7)),
    "more channels": dict(in_channels=5),
    "fewer out channels": dict(out_channels=2),
    "bias off": dict(bias=False),
    "stride": dict(stride=(2, 2)),
    "unbatched": dict(batch=None),
    "float32": dict(dtype="float32"),
    "complex": dict(dtype="complex128"),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=list(CHANGES))
def test_a_layer_change_round_trips_bit_for_bit(change):
    old = _session()
    new = old.with_spec(dataclasses.replace(old.spec, **change))
    _assert_same(apply(new, diff(new, old)), old)
    _assert_same(apply(old, diff(old, new)), new)


def test_a_delta_keeps_only_what_the_change_dropped():
    old = _session()
    shrunk = old.with_spec(dataclasses.replace(old.spec, input_size=(5, 9)))
    back = diff(shrunk, old)
    dropped_input = 2 * 3 * (9 - 5) * 9
    assert back.tensors["input"].nbytes == dropped_input * 8
    assert back.tensors["weight"].nbytes == 0 and back.tensors["bias"].nbytes == 0
    # growing drops nothing; the new cells are one repeated value (0 or 1) each
    fwd = diff(shrunk, old)
    assert fwd.nbytes == back.nbytes
    grown_back = diff(old, shrunk)
    assert grown_back.tensors["input"].nbytes == 0
    assert grown_back.tensors["grad_output"].nbytes == 0


def test_an_untouched_tensor_is_shared_not_copied():
    old = _session()
    new = old.with_spec(dataclasses.replace(old.spec, stride=(2, 2)))
    assert new.input is old.input and new.weight is old.weight
    assert apply(old, diff(old, new)).input is old.input


def test_a_lossy_dtype_change_keeps_the_whole_old_tensor():
    old = Session.default(dataclasses.replace(BASE, dtype="complex128"), seed=1)
    real = old.with_spec(dataclasses.replace(old.spec, dtype="float64"))
    back = diff(real, old)
    assert back.tensors["input"].nbytes == old.input.nbytes
    _assert_same(apply(real, back), old)


def test_outside_covers_the_rest_of_the_box_once():
    shape, overlap = (3, 4, 5), (2, 4, 1)
    seen = np.zeros(shape, int)
    seen[:2, :4, :1] += 1
    for box in outside(shape, overlap):
        seen[box] += 1
    assert np.all(seen == 1)


def test_compact_keeps_one_value_only_when_all_are_equal():
    assert compact(np.zeros((4, 5))).size == 1
    varied = np.arange(6.0)
    assert compact(varied) is varied
