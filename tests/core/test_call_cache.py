"""The functional API remembers validated specs and layouts by the *value* of a call's
arguments (`core.conv.layer_spec`): a cached call must never let through an argument that
compares equal to a cached one but is refused on its own (``True`` for ``1``, ``1.0`` for
``1``), and the result must not depend on what was cached before."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import core.conv
from core import conv2d, conv2d_input, conv2d_weight

RNG = np.random.default_rng(0)
X = RNG.standard_normal((1, 2, 6, 7))
W = RNG.standard_normal((3, 2, 3, 3))


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("stride", 1, True),
        ("stride", (1, 1), (True, 1)),
        ("padding", 1, 1.0),
        ("padding", (1, 1), (1.0, 1)),
        ("dilation", 1, np.bool_(True)),
        ("groups", 1, True),
    ],
)
def test_an_equal_but_refused_argument_is_refused_after_the_good_one(field, good, bad) -> None:
    conv2d(X, W, **{field: good})  # cached
    with pytest.raises(ValueError, match=field):
        conv2d(X, W, **{field: bad})
    with pytest.raises(ValueError, match=field):
        conv2d_input(X.shape, W, np.zeros((1, 3, 4, 5)), **{field: bad})


def test_lists_numpy_ints_and_tuples_give_torch_s_result() -> None:
    gy = RNG.standard_normal((1, 3, 3, 4))
    want = F.conv2d(torch.from_numpy(X), torch.from_numpy(W), stride=2, padding=1).numpy()
    for stride in (2, (2, 2), [2, 2], np.int64(2), (np.int32(2), 2)):
        np.testing.assert_allclose(conv2d(X, W, stride=stride, padding=[1, 1]), want,
                                   rtol=1e-10, atol=1e-12)
        assert conv2d_weight(X, [3, 2, 3, 3], gy, stride=stride, padding=1).shape == W.shape


def test_the_spec_cache_keeps_to_its_size() -> None:
    for width in range(5, 5 + 2 * core.conv._SPECS_MAX):
        core.conv.layer_spec((1, 1, 4, width), (1, 1, 3, 3), np.dtype("float64"), bias=False,
                             stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros")
    assert len(core.conv._SPECS) <= core.conv._SPECS_MAX
