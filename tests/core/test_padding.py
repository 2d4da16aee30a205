"""pad, pad_adjoint and pad_index against torch's ``F.pad`` and its autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_reference import assert_matches, random_array

from core import SpecError, pad, pad_adjoint, pad_index

TORCH_MODE = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}
MODES = tuple(TORCH_MODE)


def torch_pad(x: torch.Tensor, pads: tuple[int, int, int, int], mode: str) -> torch.Tensor:
    top, bottom, left, right = pads
    return F.pad(x, (left, right, top, bottom), mode=TORCH_MODE[mode])


def legal_sides(mode: str, size: int) -> st.SearchStrategy[tuple[int, int]]:
    """Widths before/after torch's F.pad takes for ``mode`` on an axis of ``size``.

    Negative widths crop (not under 'zeros', which a convolution never crops); an axis is
    cropped on both sides or padded on both, as a convolution's padding is.
    """
    most = {"zeros": 4, "reflect": size - 1, "replicate": 4, "circular": size}[mode]
    grow = st.tuples(st.integers(0, most), st.integers(0, most))
    if mode == "zeros":
        return grow
    crop = st.integers(-((size - 1) // 2), 0)
    return st.one_of(grow, st.tuples(crop, crop))


@st.composite
def padded_inputs(draw: st.DrawFn) -> tuple[np.ndarray, tuple[int, int, int, int], str]:
    mode = draw(st.sampled_from(MODES))
    height, width = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    pads = (*draw(legal_sides(mode, height)), *draw(legal_sides(mode, width)))
    shape = (draw(st.integers(0, 2)), draw(st.integers(1, 2)), height, width)
    dtype = draw(st.sampled_from(["float64", "complex128"]))
    x = random_array(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), shape, dtype)
    return x, pads, mode


@settings(max_examples=100)
@given(case=padded_inputs())
def test_pad_equals_torch_pad(case: tuple) -> None:
    x, pads, mode = case
    assert_matches(pad(x, pads, mode), torch_pad(torch.tensor(x), pads, mode).numpy(), 0)


@settings(max_examples=100)
@given(case=padded_inputs(), seed=st.integers(0, 2**32 - 1))
def test_pad_adjoint_is_the_vector_jacobian_product_of_torch_pad(case: tuple, seed: int) -> None:
    x, pads, mode = case
    xt = torch.tensor(x, requires_grad=True)
    padded = torch_pad(xt, pads, mode)
    g = random_array(np.random.default_rng(seed), tuple(padded.shape), x.dtype.name)
    padded.backward(torch.tensor(g))
    expected = np.zeros_like(x) if xt.grad is None else xt.grad.numpy()
    assert_matches(pad_adjoint(g, pads, mode), expected, 1e-12)


@settings(max_examples=100)
@given(case=padded_inputs())
def test_pad_index_says_which_pixel_each_padded_cell_copies(case: tuple) -> None:
    x, pads, mode = case
    top, bottom, left, right = pads
    height, width = x.shape[-2:]
    rows = pad_index(height, top, bottom, mode)
    cols = pad_index(width, left, right, mode)
    padded = pad(x, pads, mode)
    assert padded.shape[-2:] == (rows.size, cols.size)
    copied = x[..., np.maximum(rows, 0)[:, None], np.maximum(cols, 0)[None, :]]
    border = (rows[:, None] < 0) | (cols[None, :] < 0)
    np.testing.assert_array_equal(padded, np.where(border, 0, copied))


@settings(max_examples=100)
@given(data=st.data())
def test_pad_index_equals_torch_padding_a_ramp(data: st.DataObject) -> None:
    mode = data.draw(st.sampled_from(MODES))
    size = data.draw(st.integers(1, 6))
    before, after = data.draw(legal_sides(mode, size))
    ramp = torch.arange(1, size + 1, dtype=torch.float64).reshape(1, 1, 1, size)
    # Pixel i holds i + 1, so a zeros border reads 0 and comes back as index -1.
    padded = torch_pad(ramp, (0, 0, before, after), mode).flatten().numpy()
    np.testing.assert_array_equal(pad_index(size, before, after, mode), padded.astype(int) - 1)


def test_pad_without_widths_returns_the_input_itself() -> None:
    x = np.ones((1, 1, 3, 3))
    assert pad(x, (0, 0, 0, 0), "reflect") is x


def test_replicate_adjoint_piles_the_border_onto_the_edge() -> None:
    g = np.ones((1, 1, 1, 6))
    folded = pad_adjoint(g, (0, 0, 2, 1), "replicate")
    np.testing.assert_array_equal(folded, [[[[3.0, 1.0, 2.0]]]])


def test_cropping_one_side_while_padding_the_other_is_refused() -> None:
    with pytest.raises(SpecError, match=r"\(0, 0, -1, 2\)") as info:
        pad(np.ones((1, 1, 3, 3)), (0, 0, -1, 2), "reflect")
    assert info.value.fields == ("pads",) and info.value.numbers == {"pads": (0, 0, -1, 2)}
    with pytest.raises(SpecError, match=r"\(1, -1, 0, 0\)"):
        pad_adjoint(np.ones((1, 1, 3, 3)), (1, -1, 0, 0), "circular")


def test_unknown_mode_is_named() -> None:
    with pytest.raises(SpecError, match="'mirror'") as info:
        pad_index(4, 1, 1, "mirror")
    assert info.value.fields == ("padding_mode",)
