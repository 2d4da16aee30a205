"""unfold, fold, pad and pad_adjoint over 1 and 3 spatial axes, against torch.

``unfold`` against torch's windows (``Tensor.unfold`` axis by axis, every dilation-th entry
a tap), ``fold`` as its adjoint, both equal on the torch backend; ``pad`` against
``F.pad`` (negative widths crop) and ``pad_adjoint`` against F.pad's autograd.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_reference import assert_matches, random_array

from core import LayerSpec, fold, pad, pad_adjoint, unfold
from core.backends import get_backend

TORCH_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
              "circular": "circular"}


@st.composite
def grids(draw: st.DrawFn):
    """A padded input of 1 or 3 axes, a kernel that fits, stride and dilation."""
    dims = draw(st.sampled_from([1, 3]))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    padded = tuple(d * (k - 1) + 1 + draw(st.integers(0, 3))
                   for k, d in zip(kernel, dilation, strict=True))
    lead = (draw(st.integers(0, 2)), draw(st.integers(1, 2)))
    dtype = draw(st.sampled_from(["float64", "complex128"]))
    return lead, padded, kernel, stride, dilation, dtype, draw(st.integers(0, 2**32 - 1))


def torch_unfold(x: np.ndarray, kernel, stride, dilation) -> np.ndarray:
    t = torch.tensor(x)
    dims = len(kernel)
    for axis, (k, s, d) in enumerate(zip(kernel, stride, dilation, strict=True)):
        t = t.unfold(2 + axis, d * (k - 1) + 1, s)[..., ::d]
    # (N, C, *out, *k) → (N, C, *k, *out) → (N, C·prod(k), prod(out))
    t = t.permute(0, 1, *range(2 + dims, 2 + 2 * dims), *range(2, 2 + dims))
    out = t.shape[2 + dims:]
    return t.reshape(t.shape[0], t.shape[1] * math.prod(kernel), math.prod(out)).numpy()


@settings(max_examples=100)
@given(grid=grids())
def test_unfold_is_torchs_windows_and_fold_its_adjoint(grid) -> None:
    lead, padded, kernel, stride, dilation, dtype, seed = grid
    rng = np.random.default_rng(seed)
    x = random_array(rng, (*lead, *padded), dtype)
    cols = unfold(x, kernel, stride, dilation)
    np.testing.assert_array_equal(cols, torch_unfold(x, kernel, stride, dilation))
    c = random_array(rng, cols.shape, dtype)
    folded = fold(c, padded, kernel, stride, dilation)
    assert folded.shape == x.shape
    # <unfold(x), c> = <x, fold(c)>
    np.testing.assert_allclose(np.vdot(cols, c), np.vdot(x, folded), rtol=1e-10, atol=1e-10)


@settings(max_examples=60)
@given(grid=grids())
def test_the_torch_backend_unfolds_and_folds_alike(grid) -> None:
    lead, padded, kernel, stride, dilation, dtype, seed = grid
    spec = LayerSpec(lead[1], 1, kernel, stride=stride, dilation=dilation, input_size=padded,
                     batch=lead[0], dims=len(kernel), dtype=dtype)
    rng = np.random.default_rng(seed)
    x = random_array(rng, (*lead, *padded), dtype)
    ops = get_backend("torch")
    cols = unfold(x, kernel, stride, dilation)
    np.testing.assert_array_equal(ops.to_numpy(ops.unfold(ops.asarray(x), spec)), cols)
    c = random_array(rng, cols.shape, dtype)
    expected = fold(c, padded, kernel, stride, dilation)
    assert_matches(ops.to_numpy(ops.fold(ops.asarray(c), spec)), expected, 1e-12)


@st.composite
def padded_inputs(draw: st.DrawFn):
    dims = draw(st.sampled_from([1, 3]))
    mode = draw(st.sampled_from(list(TORCH_MODE)))
    size = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    pads = []
    for n in size:
        most = {"zeros": 3, "reflect": n - 1, "replicate": 3, "circular": n}[mode]
        if mode != "zeros" and n > 2 and draw(st.booleans()):  # both sides cropped
            crop = st.integers(-((n - 1) // 2), 0)
            pads += [draw(crop), draw(crop)]
        else:
            pads += [draw(st.integers(0, most)), draw(st.integers(0, most))]
    shape = (draw(st.integers(0, 2)), draw(st.integers(1, 2)), *size)
    dtype = draw(st.sampled_from(["float64", "complex128"]))
    x = random_array(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), shape, dtype)
    return x, tuple(pads), mode


def torch_widths(pads: tuple[int, ...]) -> list[int]:
    """F.pad's order: the last axis first."""
    dims = len(pads) // 2
    return [p for axis in reversed(range(dims)) for p in pads[2 * axis:2 * axis + 2]]


@settings(max_examples=100)
@given(case=padded_inputs(), seed=st.integers(0, 2**32 - 1))
def test_pad_and_its_adjoint_are_torchs(case, seed: int) -> None:
    x, pads, mode = case
    xt = torch.tensor(x, requires_grad=True)
    padded = F.pad(xt, torch_widths(pads), mode=TORCH_MODE[mode])
    assert_matches(pad(x, pads, mode), padded.detach().numpy(), 0)
    g = random_array(np.random.default_rng(seed), tuple(padded.shape), x.dtype.name)
    padded.backward(torch.tensor(g))
    expected = np.zeros_like(x) if xt.grad is None else xt.grad.numpy()
    assert_matches(pad_adjoint(g, pads, mode), expected, 1e-12)
