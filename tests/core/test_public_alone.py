"""Each public function called alone, as a library user calls it, on the chunked, threaded path.

`test_conv_vs_torch` reaches the chunked, threaded pipeline mostly through `compute`; here
the chunk budget, the band size and the worker count are forced small so that every call —
`conv2d`, `conv2d_input`, `conv2d_weight`, `conv2d_bias`, `compute` — splits even a small
batch over several workers and bands, and each is compared with torch on its own. Layers
are drawn over every argument, with strides, paddings and dilations that make the windows
skip cells (the compact route of `core.compact`). Then the real-size layer that crashed
(8,64,56,56)→64 k3 p1, once per function, and the argument checks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from test_conv_vs_torch import TOL, Case, valid_cases
from torch_reference import assert_matches, random_array, reference

import core.pipeline
from core import LayerSpec, compute, conv2d, conv2d_bias, conv2d_input, conv2d_weight
from core.backends import blas, numpy_fast
from core.im2col_steps import im2col_steps

DTYPES = ("float64", "complex128", "float32", "complex64")


@contextmanager
def small_chunks() -> Iterator[list[int]]:
    """Chunks of one sample, bands of one row, three workers; yields the workers' runs.

    ``blas.available`` is forced on: where numpy's BLAS cannot be limited per thread the
    workers only share its threads, which changes the speed, not the results.
    """
    runs: list[int] = []
    run_alone = numpy_fast.FastPipeline.run_alone

    def counted(self, parts):
        runs.append(len(parts))
        return run_alone(self, parts)

    with (
        mock.patch.object(core.pipeline, "CHUNK_BYTES", 64),
        mock.patch.multiple(numpy_fast, MIN_BAND=1, MIN_BAND_TAPS=1, THREADS=3),
        mock.patch.object(blas, "available", lambda: True),
        mock.patch.object(numpy_fast.FastPipeline, "run_alone", counted),
    ):
        yield runs


@st.composite
def sparse_cases(draw: st.DrawFn) -> Case:
    """`valid_cases` over every dtype, with the stride, and under zeros or replicate the
    padding, sometimes widened past the kernel: windows that skip rows and columns."""
    case = draw(valid_cases(dtypes=DTYPES))
    if isinstance(case.padding, str) or not draw(st.booleans()):
        return case
    stride = (draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    padding = case.padding
    if case.padding_mode in ("zeros", "replicate"):  # grown only: the kernel still fits
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        padding = (ph + draw(st.integers(0, 7)), pw + draw(st.integers(0, 7)))
    return dataclasses.replace(case, stride=stride, padding=padding)


def check_each_alone(case: Case) -> None:
    rng, x, w, b = case.tensors()
    tol = TOL[case.dtype]
    ref = reference(x, w, b, lambda shape: random_array(rng, shape, case.dtype), **case.layer)
    gy = ref.grad_output
    assert_matches(conv2d(x, w, b, **case.layer), ref.output, tol)
    assert_matches(conv2d_input(x.shape, w, gy, **case.layer), ref.grad_input, tol)
    assert_matches(conv2d_weight(x, w.shape, gy, **case.layer), ref.grad_weight, tol)
    if b is not None:
        assert_matches(conv2d_bias(gy), ref.grad_bias, tol)
    got = compute(case.spec(), x, w, b, gy)
    for name in ("output", "grad_input", "grad_weight"):
        assert_matches(getattr(got, name), getattr(ref, name), tol)


@settings(max_examples=min(60, settings.default.max_examples))
@given(case=sparse_cases())
def test_each_public_function_alone_on_the_threaded_path(case: Case) -> None:
    with small_chunks():
        check_each_alone(case)


@pytest.mark.parametrize("batch", [3, 0, None])
def test_the_workers_really_split_each_call(batch: int | None) -> None:
    """The forced settings do reach the threaded path (or, for no sample, stay off it)."""
    case = Case(2, 4, (3, 3), 2, 1, 1, 2, True, "zeros", (5, 6), batch, "float64", 1)
    with small_chunks() as runs:
        check_each_alone(case)
    if batch == 3:
        assert len(runs) >= 4 * 3  # three workers for each of the four calls
    else:
        assert runs == []


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("batch", [1, None])
def test_one_sample_s_bands_are_shared_by_the_workers(batch: int | None, dtype: str) -> None:
    """One sample in several bands of rows: conv2d's and conv2d_weight's bands run on the
    workers (`FastPipeline.run_bands`), and give torch's results, grad_weight summed across
    them."""
    case = Case(2, 4, (3, 3), 1, 1, 1, 2, True, "zeros", (7, 9), batch, dtype, 2)
    shared: list[int] = []
    run_bands = numpy_fast.FastPipeline.run_bands

    def counted(self, bands):
        shared.append(len(bands))
        return run_bands(self, bands)

    with small_chunks(), mock.patch.object(numpy_fast.FastPipeline, "run_bands", counted):
        check_each_alone(case)
    assert len(shared) >= 2 * 3 and sum(shared) >= 2 * 7  # conv2d and conv2d_weight, 7 rows


# -- the real size that crashed ------------------------------------------------------------
@pytest.fixture(scope="module")
def real_layer() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 64, 56, 56), dtype=np.float32)
    w = rng.standard_normal((64, 64, 3, 3), dtype=np.float32) / 24
    gy = rng.standard_normal((8, 64, 56, 56), dtype=np.float32)
    t = {k: torch.from_numpy(a) for k, a in (("x", x), ("w", w), ("gy", gy))}
    return {"x": x, "w": w, "gy": gy, **{f"{k}_t": v for k, v in t.items()}}


def test_conv2d_alone_at_the_real_size(real_layer) -> None:
    r = real_layer
    expected = F.conv2d(r["x_t"], r["w_t"], padding=1).numpy()
    assert_matches(conv2d(r["x"], r["w"], padding=1), expected, 1e-5)


def test_conv2d_input_alone_at_the_real_size(real_layer) -> None:
    r = real_layer
    expected = torch.nn.grad.conv2d_input(r["x"].shape, r["w_t"], r["gy_t"], padding=1).numpy()
    assert_matches(conv2d_input(r["x"].shape, r["w"], r["gy"], padding=1), expected, 1e-5)


def test_conv2d_weight_alone_at_the_real_size(real_layer) -> None:
    r = real_layer
    expected = torch.nn.grad.conv2d_weight(r["x_t"], r["w"].shape, r["gy_t"], padding=1).numpy()
    assert_matches(conv2d_weight(r["x"], r["w"].shape, r["gy"], padding=1), expected, 1e-5)


def test_compute_at_the_real_size(real_layer) -> None:
    r = real_layer
    spec = LayerSpec.from_arrays(r["x"].shape, r["w"].shape, bias=False, padding=1,
                                 dtype="float32")
    got = compute(spec, r["x"], r["w"], None, r["gy"])
    ref = reference(r["x"], r["w"], None, r["gy"], padding=1)
    for name in ("output", "grad_input", "grad_weight"):
        assert_matches(getattr(got, name), getattr(ref, name), 1e-5)


# -- argument checks as strict as torch's ------------------------------------------------
W = np.ones((2, 3, 3, 3))
GY = np.ones((1, 2, 3, 3))
X = np.ones((1, 3, 5, 5))


@pytest.mark.parametrize(
    "size", [(1, 3, 5.7, 5), (1.0, 3, 5, 5), "1355", "5", None, 5, (True, 3, 5, 5),
             np.array([1, 3, 5, 5]), (1, 3, 5, 5, 1), (1, 3), {1: 3}],
    ids=repr,
)
def test_sizes_torch_refuses_are_refused_naming_the_argument(size) -> None:
    """torch raises for each of these; we say which argument and what it got."""
    with pytest.raises(Exception):  # noqa: B017 (torch's own error types vary)
        torch.nn.grad.conv2d_input(size, torch.tensor(W), torch.tensor(GY))
    with pytest.raises(ValueError, match="input_size") as info:
        conv2d_input(size, W, GY)
    assert repr(size)[:8] in str(info.value) or str(len(size)) in str(info.value)
    weight_size = size
    if isinstance(size, tuple):  # the same fault in a weight's size
        weight_size = tuple(
            (2, 3, 3, 3)[i] if type(v) is int and i < 4 else v for i, v in enumerate(size)
        )
    with pytest.raises(ValueError, match="weight_size"):
        conv2d_weight(X, weight_size, GY)


@pytest.mark.parametrize("size", [(1, 3, 5, 5), [1, 3, 5, 5], torch.Size([1, 3, 5, 5]),
                                  (np.int64(1), np.int32(3), 5, np.uint8(5))], ids=repr)
def test_sizes_torch_accepts_are_accepted(size) -> None:
    expected = torch.nn.grad.conv2d_input(size, torch.tensor(W), torch.tensor(GY)).numpy()
    assert_matches(conv2d_input(size, W, GY), expected, 1e-10)
    n, c, _, width = list(size)
    weight_size = type(size)([n * 2, c, width - 2, width - 2])  # (2, 3, 3, 3), same types
    expected_w = torch.nn.grad.conv2d_weight(torch.tensor(X), weight_size, torch.tensor(GY))
    assert_matches(conv2d_weight(X, weight_size, GY), expected_w.numpy(), 1e-10)


def test_dtype_messages_name_the_argument_they_compare_with() -> None:
    with pytest.raises(ValueError, match="grad_output dtype float32 does not match weight dtype"):
        conv2d_input(X.shape, W, GY.astype(np.float32))
    with pytest.raises(ValueError, match="grad_output dtype float32 does not match input dtype"):
        conv2d_weight(X, W.shape, GY.astype(np.float32))
    spec = LayerSpec.from_arrays(X.shape, W.shape, bias=False)
    with pytest.raises(ValueError, match="weight dtype float32 does not match the spec's"):
        compute(spec, X, W.astype(np.float32), None, GY)


@pytest.mark.parametrize("value", [1.5, (1, 1.0), True, np.True_, "1", None, np.array(2)],
                         ids=repr)
def test_hyperparameters_torch_refuses_are_refused(value) -> None:
    with pytest.raises(Exception):  # noqa: B017
        F.conv2d(torch.tensor(X), torch.tensor(W), stride=value)
    for name in ("stride", "dilation", "padding"):
        with pytest.raises(ValueError, match=name):
            conv2d(X, W, **{name: value})


@pytest.mark.parametrize("bias", [np.ones((2, 1)), np.ones(3), np.ones(())], ids=repr)
def test_a_bias_of_the_wrong_shape_is_refused(bias) -> None:
    with pytest.raises(RuntimeError):
        F.conv2d(torch.tensor(X), torch.tensor(W), torch.tensor(bias))
    with pytest.raises(ValueError, match="bias shape"):
        conv2d(X, W, bias)


def test_compute_refuses_a_bias_the_spec_does_not_have_and_a_spec_that_is_not_one() -> None:
    spec = LayerSpec.from_arrays(X.shape, W.shape, bias=False)
    with pytest.raises(ValueError, match="bias tensor was given but the spec has bias off"):
        compute(spec, X, W, np.ones(2), GY)
    with pytest.raises(ValueError, match="spec must be a LayerSpec, got dict"):
        compute(spec.to_dict(), X, W, None, GY)


def test_im2col_steps_refuse_arrays_that_are_not_the_spec_s() -> None:
    spec = LayerSpec(3, 2, (3, 3), input_size=(5, 5), batch=2, bias=True)
    x, w, b, gy = (np.ones(shape) for shape in (spec.input_shape, spec.weight_shape,
                                                spec.bias_shape, spec.output_shape))
    assert im2col_steps(spec, x, w, b, gy, sample=1).output.shape == (2, 3, 3)
    with pytest.raises(ValueError, match=r"input shape \(1, 3, 5, 5\) does not match"):
        im2col_steps(spec, x[:1], w, b, gy)
    with pytest.raises(ValueError, match="weight dtype float32 does not match the spec's float64"):
        im2col_steps(spec, x, w.astype(np.float32), b, gy)
    with pytest.raises(ValueError, match="bias is on in the spec but no bias tensor"):
        im2col_steps(spec, x, w, None, gy)
    for sample in (2, -1, 1.0, True):
        with pytest.raises(ValueError, match="sample"):
            im2col_steps(spec, x, w, b, gy, sample=sample)
