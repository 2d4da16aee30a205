"""unfold and fold against torch's ``F.unfold`` and ``F.fold``, and fold as unfold's adjoint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_reference import assert_matches, random_array

from core import fold, unfold
from core.im2col import WideGrid, fold_wide, output_size, unfold_wide, windows


@dataclass(frozen=True)
class Grid:
    """A padded input's shape and the kernel that slides over it."""

    batch: int
    channels: int
    padded_size: tuple[int, int]
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    dtype: str
    seed: int

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, self.channels, *self.padded_size)

    @property
    def positions(self) -> int:
        oh, ow = output_size(self.padded_size, self.kernel_size, self.stride, self.dilation)
        return oh * ow

    @property
    def cols_shape(self) -> tuple[int, int, int]:
        kh, kw = self.kernel_size
        return (self.batch, self.channels * kh * kw, self.positions)

    @property
    def steps(self) -> dict:
        return {"kernel_size": self.kernel_size, "stride": self.stride, "dilation": self.dilation}


@st.composite
def grids(draw: st.DrawFn) -> Grid:
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    return Grid(
        batch=draw(st.integers(0, 2)),
        channels=draw(st.integers(1, 3)),
        padded_size=(extent[0] + draw(st.integers(0, 5)), extent[1] + draw(st.integers(0, 5))),
        kernel_size=kernel,
        stride=(draw(st.integers(1, 4)), draw(st.integers(1, 4))),
        dilation=dilation,
        dtype=draw(st.sampled_from(["float64", "complex128"])),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


@settings(max_examples=100)
@given(grid=grids())
def test_unfold_equals_torch_unfold(grid: Grid) -> None:
    xp = random_array(np.random.default_rng(grid.seed), grid.input_shape, grid.dtype)
    expected = F.unfold(torch.tensor(xp), **grid.steps).numpy()
    assert_matches(unfold(xp, grid.kernel_size, grid.stride, grid.dilation), expected, 0)


@settings(max_examples=100)
@given(grid=grids())
def test_fold_equals_torch_fold(grid: Grid) -> None:
    cols = random_array(np.random.default_rng(grid.seed), grid.cols_shape, grid.dtype)
    expected = F.fold(torch.tensor(cols), grid.padded_size, **grid.steps).numpy()
    got = fold(cols, grid.padded_size, grid.kernel_size, grid.stride, grid.dilation)
    assert_matches(got, expected, 1e-12)


@settings(max_examples=100)
@given(grid=grids())
def test_fold_is_the_adjoint_of_unfold(grid: Grid) -> None:
    rng = np.random.default_rng(grid.seed)
    xp = random_array(rng, grid.input_shape, grid.dtype)
    cols = random_array(rng, grid.cols_shape, grid.dtype)
    steps = (grid.kernel_size, grid.stride, grid.dilation)
    # <unfold(x), c> == <x, fold(c)>, with vdot conjugating its first argument.
    left = np.vdot(unfold(xp, *steps), cols)
    right = np.vdot(xp, fold(cols, grid.padded_size, *steps))
    assert abs(left - right) <= 1e-10 * max(1.0, abs(left))


@settings(max_examples=100)
@given(grid=grids())
def test_windows_are_a_read_only_view_of_the_unfolded_columns(grid: Grid) -> None:
    xp = random_array(np.random.default_rng(grid.seed), grid.input_shape, grid.dtype)
    view = windows(xp, grid.kernel_size, grid.stride, grid.dilation)
    assert not view.flags.writeable
    assert xp.size == 0 or np.shares_memory(view, xp)
    np.testing.assert_array_equal(
        view.reshape(grid.cols_shape), unfold(xp, grid.kernel_size, grid.stride, grid.dilation)
    )


def test_unfold_columns_are_kernel_windows_in_row_major_order() -> None:
    xp = np.arange(2 * 5 * 6, dtype=np.float64).reshape(1, 2, 5, 6)
    cols = unfold(xp, (2, 3), (2, 1), (1, 2))
    assert cols.shape == (1, 2 * 2 * 3, 2 * 2)
    # Output position l = 3 is row 1, column 1 of the 2 x 2 output; its window starts at
    # padded pixel (2, 1) and reads rows 2..3 and columns 1, 3, 5 of each channel.
    np.testing.assert_array_equal(cols[0, :, 3], xp[0, :, 2:4, 1:6:2].reshape(-1))


@settings(max_examples=100)
@given(grid=grids(), data=st.data())
def test_the_wide_layout_holds_unfold_and_fold_in_any_band_of_rows(grid: Grid, data) -> None:
    """`unfold_wide` and `fold_wide` (the numpy pipeline's fast layout) over a band of output
    rows give `unfold`'s columns at the real positions, and `fold` of those columns."""
    rng = np.random.default_rng(grid.seed)
    xp = random_array(rng, grid.input_shape, grid.dtype)
    wide = WideGrid(grid.kernel_size, grid.stride, grid.dilation, grid.padded_size)
    (oh, ow), width = wide.output_size, wide.width
    r0 = data.draw(st.integers(0, oh - 1))
    r1 = data.draw(st.integers(r0 + 1, oh))
    rows = r1 - r0
    k = grid.cols_shape[1]
    phases = wide.split(xp)
    cols = unfold_wide(phases, wide, np.full((grid.batch, k, rows * width), np.nan, xp.dtype),
                       (r0, r1))
    real = cols.reshape(grid.batch, k, rows, width)[..., :ow]
    expected = unfold(xp, *grid.steps.values()).reshape(grid.batch, k, oh, ow)[:, :, r0:r1]
    np.testing.assert_array_equal(real, expected)

    band = np.zeros((grid.batch, k, oh, ow), dtype=xp.dtype)
    band[:, :, r0:r1] = random_array(rng, (grid.batch, k, rows, ow), grid.dtype)
    spread = np.zeros((grid.batch, k, rows, width), dtype=xp.dtype)
    spread[..., :ow] = band[:, :, r0:r1]
    grad_phases = np.zeros_like(phases)
    fold_wide(spread.reshape(grid.batch, k, rows * width), wide, grad_phases, (r0, r1))
    if grid.stride == (1, 1):
        got = grad_phases.reshape(grid.input_shape)
    else:
        got = wide.merge(grad_phases, np.empty(grid.input_shape, dtype=xp.dtype))
    cols_all = band.reshape(grid.batch, k, oh * ow)
    assert_matches(got, fold(cols_all, grid.padded_size, *grid.steps.values()), 1e-12)
