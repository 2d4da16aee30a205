"""The numpy fast path for one and three spatial axes against torch + autograd.

A Conv1d runs as a Conv2d of height 1 (`numpy_fast.as_2d`) or, a long one at stride 1, as a
Conv3d of depth and height 1 (`numpy_fast.as_3d`); a stride-1 Conv3d in the wide layout of
`numpy_volume` — each only where it applies and pays, so the random layers of `test_conv_nd`
(tiny, to stay fast) mostly miss it. Here the settings are forced so that every layer it can
take does: any ratio of unused columns, chunks of one sample, slabs of one depth, bands of
one row or (``min_band``) runs of one column, three workers (BLAS limited per thread or not:
the results are the same). Exact to torch as the textbook pipeline (float64 and complex128
to 1e-10, float32 to 1e-5), also where an inf or nan reaches the unused positions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nd_cases import Case, valid_cases
from test_conv_nd import MANY, check_against_torch

import core
import core.pipeline
from core import compact
from core.backends import blas, numpy_fast, numpy_volume


@contextmanager
def forced(min_band: int = 1) -> Iterator[list[int]]:
    """Every layer the fast path can take goes there; yields its runs' dims. A row splits
    into runs of columns where it has at least 2 × ``min_band`` (so a huge one keeps rows
    whole and a Conv1d on the 2-D path)."""
    runs: list[int] = []
    run = numpy_fast.run

    def counted(spec, **kwargs):
        runs.append(spec.dims)
        return run(spec, **kwargs)

    with (
        mock.patch.object(core.pipeline, "CHUNK_BYTES", 64),
        mock.patch.multiple(numpy_fast, WIDE_MAX_RATIO=1e9, MIN_BAND=min_band,
                            MIN_BAND_TAPS=1, THREADS=3),
        mock.patch.object(blas, "available", lambda: True),
        mock.patch.object(numpy_fast, "run", counted),
    ):
        yield runs


def fast_case(case: Case) -> bool:
    """Whether `core.compute` hands the case to the fast path (under `forced`)."""
    spec = case.spec()
    if spec.transposed or spec.batch == 0:
        return False
    small = compact.plan(spec)
    return numpy_fast.serves(spec if small is None else small.spec)


WHOLE_ROWS = 10**6  # a `min_band` that splits no row


def check_forced(case: Case, stride_one: bool, min_band: int) -> None:
    """The case (at stride 1 if asked) against torch with the fast path forced, which
    must have run it wherever it serves it."""
    if stride_one and not case.transposed:
        case = dataclasses.replace(case, stride=1)
    with forced(min_band) as runs:
        check_against_torch(case)
        if fast_case(case):
            assert case.dims in runs


@settings(MANY, max_examples=120)
@given(case=valid_cases(dims=1), stride_one=st.booleans(),
       min_band=st.sampled_from([1, WHOLE_ROWS]))
def test_conv1d_on_the_fast_path_matches_torch(case: Case, stride_one: bool,
                                               min_band: int) -> None:
    check_forced(case, stride_one, min_band)


@settings(MANY, max_examples=120)
@given(case=valid_cases(dims=3), stride_one=st.booleans(),
       min_band=st.sampled_from([1, WHOLE_ROWS]))
def test_conv3d_on_the_fast_path_matches_torch(case: Case, stride_one: bool,
                                               min_band: int) -> None:
    check_forced(case, stride_one, min_band)


def test_the_fast_path_takes_the_benchmark_layers() -> None:
    """Unforced: the issue 14 benchmark's Conv1d and Conv3d take the fast path."""
    conv1d = core.LayerSpec.from_arrays((8, 64, 4096), (64, 64, 9), bias=False, padding=4,
                                        dims=1, dtype="float32")
    conv3d = core.LayerSpec.from_arrays((2, 16, 16, 64, 64), (32, 16, 3, 3, 3), bias=False,
                                        padding=1, dims=3, dtype="float32")
    assert numpy_fast.serves(conv1d) and numpy_fast.as_3d(conv1d).dims == 3  # runs of a row
    assert numpy_fast.serves(conv3d) and numpy_volume.applies(conv3d)
    short = dataclasses.replace(conv1d, input_size=(512,))  # its row fits: the 2-D path
    assert numpy_fast.as_3d(short) is None and numpy_fast.as_2d(short).dims == 2
    depthwise = dataclasses.replace(conv1d, groups=64)  # tap by tap on the 2-D path
    assert numpy_fast.as_3d(depthwise) is None and numpy_fast.as_2d(depthwise).dims == 2
    causal = dataclasses.replace(conv1d, padding=0, causal=True)
    assert not numpy_fast.serves(causal)  # one-sided padding: the textbook pipeline
    strided = dataclasses.replace(conv3d, stride=2)
    assert not numpy_fast.serves(strided)


@pytest.mark.parametrize(("dims", "min_band"), [(1, 1), (3, 1), (3, WHOLE_ROWS)])
@pytest.mark.parametrize("where", ["input", "weight"])
def test_an_inf_gives_torch_s_nans_on_the_fast_path(dims: int, where: str,
                                                    min_band: int) -> None:
    """In whole rows, an inf in the input reaches the unused positions' sums (grad_weight
    is redone exactly) and one in the weight sends grad_input to the textbook pipeline;
    runs of real columns (``min_band=1``: a Conv1d's one row, a Conv3d's rows) have no
    unused positions and keep their results."""
    size = (9,) if dims == 1 else (3, 4, 5)
    case = Case(dims, False, 2, 3, (3,) * dims, 1, 1, 1, 1, True, "zeros", 0, False, size, 2,
                "float64")
    rng, x, w, b = case.tensors()
    if where == "input":
        x[(1, 0, *[s // 2 for s in size])] = np.inf
    else:
        w[(0, 1, *[1] * dims)] = np.inf
    import torch

    xt, wt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    conv = getattr(torch.nn.functional, f"conv{dims}d")
    y = conv(xt, wt, torch.from_numpy(b), padding=1)
    gy = rng.standard_normal(tuple(y.shape))
    y.backward(torch.from_numpy(gy))
    with forced(min_band) as runs:
        volume = numpy_fast.as_3d(case.spec())
        unused = volume is not None and numpy_volume.computes_unused(volume, numpy_fast.tuning())
        got = core.compute(case.spec(), x, w, b, gy)
    assert runs == [dims]
    assert unused == (min_band == WHOLE_ROWS)
    for mine, theirs in ((got.output, y), (got.grad_input, xt.grad), (got.grad_weight, wt.grad)):
        theirs = theirs.detach().numpy()
        np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs))
        np.testing.assert_array_equal(np.isinf(mine), np.isinf(theirs))
        finite = np.isfinite(theirs)
        np.testing.assert_allclose(mine[finite], theirs[finite], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dims", [1, 3])
def test_a_long_row_runs_in_runs_of_columns(dims: int) -> None:
    """A row whose im2col matrix does not fit a slab splits into equal runs of its real
    columns (the Conv1d benchmark's row of 4096 into three), here on a small layer with
    reflect padding: the same numbers as torch, through every public function."""
    size = (50,) if dims == 1 else (5, 6, 50)
    case = Case(dims, False, 2, 3, (3,) * dims, 1, 1, 2, 1, True, "reflect", 0, False, size,
                2, "float64")
    with forced(min_band=8) as runs:
        volume = numpy_fast.as_3d(case.spec())
        slabs = numpy_volume.plan(volume, numpy_fast.tuning())[2]
        od, oh, ow = volume.output_size  # ow = 50 - 2·dilation + 2·padding = 48
        assert [(s[4], s[5]) for s in slabs] == [(c, c + 8) for c in range(0, 48, 8)] * od * oh
        check_against_torch(case)
    assert set(runs) == {dims}
