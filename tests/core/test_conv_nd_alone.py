"""Each public function of 1 and 3 spatial axes called alone, as a library user calls it.

`test_conv_nd` reaches the functions together, per layer; here every call stands on its
own, with the pipeline's chunk budget forced small so that even a small batch runs one
sample per chunk (`core.pipeline.CHUNK_BYTES`), on layers drawn with strides and
paddings that make the windows skip cells (the compact route of `core.compact`). Then a
realistic Conv1d (batch 8 × 64 channels × 1024 samples) and a modest Conv3d, once per
function, against torch.
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nd_cases import Case, torch_run, valid_cases
from torch_reference import assert_matches

import core
import core.pipeline
from core import LayerSpec, compact, compute

TOL = {"float64": 1e-10, "complex128": 1e-10, "float32": 1e-5, "complex64": 1e-5}
DTYPES = ("float64", "complex128", "float32", "complex64")


@contextmanager
def small_chunks() -> Iterator[list[int]]:
    """Chunks of one sample; yields the samples of every chunk the pipeline ran (the
    textbook's `chunk` or the fast path's `chunk_wide`)."""
    from core.backends import numpy_fast, numpy_volume

    runs: list[int] = []

    def counting(method):
        def counted(self, ops, part, *args):
            runs.append(part.stop - part.start)
            return method(self, ops, part, *args)
        return counted

    with (mock.patch.object(core.pipeline, "CHUNK_BYTES", 64),
          mock.patch.object(core.pipeline.Pipeline, "chunk",
                            counting(core.pipeline.Pipeline.chunk)),
          mock.patch.object(numpy_fast.FastPipeline, "chunk_wide",
                            counting(numpy_fast.FastPipeline.chunk_wide)),
          mock.patch.object(numpy_volume.VolumePipeline, "chunk_wide",
                            counting(numpy_volume.VolumePipeline.chunk_wide))):
        yield runs


@st.composite
def sparse_cases(draw: st.DrawFn, dims: int) -> Case:
    """`valid_cases` over every dtype, the Conv's stride and, under zeros or replicate, its
    padding sometimes widened: windows that skip entries."""
    case = draw(valid_cases(dims, dtypes=DTYPES))
    if case.transposed or case.causal or isinstance(case.padding, str) or draw(st.booleans()):
        return case
    stride = tuple(draw(st.integers(1, 7)) for _ in range(dims))
    padding = case.padding
    if case.padding_mode in ("zeros", "replicate"):  # grown only: the kernel still fits
        padding = tuple(p + draw(st.integers(0, 5)) for p in np.broadcast_to(padding, dims))
    return dataclasses.replace(case, stride=stride, padding=padding)


def check_each_alone(case: Case) -> None:
    rng, x, w, b = case.tensors()
    tol = TOL[case.dtype]
    ref = torch_run(case, x, w, b, rng)
    gy = ref.grad_output
    if not case.causal:
        assert_matches(case.function()(x, w, b, *case.args), ref.output, tol)
        assert_matches(case.function("_input")(x.shape, w, gy, *case.args), ref.grad_input, tol)
        assert_matches(case.function("_weight")(x, w.shape, gy, *case.args), ref.grad_weight,
                       tol)
    if b is not None:
        assert_matches(getattr(core, f"conv{case.dims}d_bias")(gy), ref.grad_bias, tol)
    got = compute(case.spec(), x, w, b, gy)
    for name in ("output", "grad_input", "grad_weight"):
        assert_matches(getattr(got, name), getattr(ref, name), tol)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dims=st.sampled_from([1, 3]), data=st.data())
def test_each_public_function_alone_in_chunks_of_one_sample(dims, data) -> None:
    case = data.draw(sparse_cases(dims))
    with small_chunks():
        check_each_alone(case)


@pytest.mark.parametrize("dims", [1, 3])
@pytest.mark.parametrize("transposed", [False, True])
def test_the_chunks_really_split_each_call(dims: int, transposed: bool) -> None:
    size = (4, 3, 5) if dims == 3 else (9,)
    output_padding = 1 if transposed else 0
    case = Case(dims, transposed, 2, 4, (2,) * dims, 2, 1, 1, 2, True, "zeros", output_padding,
                False, size, 3, "float64", 4)
    with small_chunks() as runs:
        check_each_alone(case)
    assert len(runs) == 3 * 4 and set(runs) == {1}  # three calls and compute, 3 samples each


def test_a_layer_whose_windows_skip_most_entries_runs_compact() -> None:
    """A stride and padding far beyond the kernel: the small equivalent layer, same sums."""
    case = Case(3, False, 2, 2, (2, 1, 2), (9, 1, 7), (6, 0, 5), 1, 1, True, "replicate", 0,
                False, (5, 3, 4), 2, "float64", 8)
    assert compact.plan(case.spec()) is not None
    check_each_alone(case)


# -- a realistic Conv1d and a modest Conv3d ----------------------------------------------------
SIZES = {1: ((8, 64, 1024), (64, 64, 3)), 3: ((2, 8, 12, 16, 16), (8, 8, 3, 3, 3))}


@pytest.fixture(scope="module", params=[1, 3], ids=["1d", "3d"])
def layer(request) -> dict:
    dims = request.param
    rng = np.random.default_rng(dims)
    x_shape, w_shape = SIZES[dims]
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = rng.standard_normal(w_shape, dtype=np.float32) / 8
    b = rng.standard_normal(w_shape[0], dtype=np.float32)
    gy = rng.standard_normal((x_shape[0], w_shape[0], *x_shape[2:]), dtype=np.float32)
    t = {k: torch.from_numpy(a) for k, a in (("x", x), ("w", w), ("b", b), ("gy", gy))}
    return {"dims": dims, "x": x, "w": w, "b": b, "gy": gy, "t": t}


def test_conv_alone_at_a_real_size(layer) -> None:
    d, t = layer["dims"], layer["t"]
    expected = getattr(F, f"conv{d}d")(t["x"], t["w"], t["b"], padding=1).numpy()
    got = getattr(core, f"conv{d}d")(layer["x"], layer["w"], layer["b"], padding=1)
    assert_matches(got, expected, 1e-5)


def test_conv_input_alone_at_a_real_size(layer) -> None:
    d, t = layer["dims"], layer["t"]
    shape = layer["x"].shape
    expected = getattr(torch.nn.grad, f"conv{d}d_input")(shape, t["w"], t["gy"], padding=1)
    got = getattr(core, f"conv{d}d_input")(shape, layer["w"], layer["gy"], padding=1)
    assert_matches(got, expected.numpy(), 1e-5)


def test_conv_weight_alone_at_a_real_size(layer) -> None:
    d, t = layer["dims"], layer["t"]
    shape = layer["w"].shape
    expected = getattr(torch.nn.grad, f"conv{d}d_weight")(t["x"], shape, t["gy"], padding=1)
    got = getattr(core, f"conv{d}d_weight")(layer["x"], shape, layer["gy"], padding=1)
    assert_matches(got, expected.numpy(), 1e-5)


def test_conv_bias_alone_at_a_real_size(layer) -> None:
    d = layer["dims"]
    expected = layer["t"]["gy"].sum(dim=(0, *range(2, d + 2))).numpy()
    assert_matches(getattr(core, f"conv{d}d_bias")(layer["gy"]), expected, 1e-5)


def test_conv_transpose_alone_at_a_real_size(layer) -> None:
    """The transposed layer of the same weight, stride 2: grad_output becomes its input."""
    d, t = layer["dims"], layer["t"]
    expected = getattr(F, f"conv_transpose{d}d")(t["gy"], t["w"], t["b"], 2, 1, 1).numpy()
    got = getattr(core, f"conv_transpose{d}d")(layer["gy"], layer["w"], layer["b"], 2, 1, 1)
    assert_matches(got, expected, 1e-5)


def test_conv_transpose_gradients_alone_at_a_real_size(layer) -> None:
    d, t = layer["dims"], layer["t"]
    x = t["gy"].clone().requires_grad_(True)
    w = t["w"].clone().requires_grad_(True)
    y = getattr(F, f"conv_transpose{d}d")(x, w, None, 2, 1, 1)
    g = torch.ones_like(y).normal_(generator=torch.Generator().manual_seed(d))
    y.backward(g)
    args = (2, 1, 1)
    gx = getattr(core, f"conv_transpose{d}d_input")(x.shape, layer["w"], g.numpy(), *args)
    gw = getattr(core, f"conv_transpose{d}d_weight")(layer["gy"], w.shape, g.numpy(), *args)
    assert_matches(gx, x.grad.numpy(), 1e-5)
    assert_matches(gw, w.grad.numpy(), 1e-5)


def test_compute_at_a_real_size(layer) -> None:
    d, t = layer["dims"], layer["t"]
    spec = LayerSpec.from_arrays(layer["x"].shape, layer["w"].shape, bias=True, padding=1,
                                 dtype="float32", dims=d)
    x, w, b = (t[k].clone().requires_grad_(True) for k in ("x", "w", "b"))
    y = getattr(F, f"conv{d}d")(x, w, b, padding=1)
    y.backward(t["gy"])
    got = compute(spec, layer["x"], layer["w"], layer["b"], layer["gy"])
    assert_matches(got.output, y.detach().numpy(), 1e-5)
    assert_matches(got.grad_input, x.grad.numpy(), 1e-5)
    assert_matches(got.grad_weight, w.grad.numpy(), 1e-5)
    assert_matches(got.grad_bias, b.grad.numpy(), 1e-5)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_numpy_runs_the_fast_path_where_it_serves(dims: int) -> None:
    """conv._run's one routing: 2-D and 1-D layers on numpy_fast, a 3-D one there only at
    stride 1 with planes not much larger than the output (`numpy_fast.serves`; not this
    one), else the textbook pipeline with the numpy backend."""
    from core.backends import numpy_fast

    spec = LayerSpec(2, 3, 2, padding=1, input_size=(5,) * dims, batch=2, dims=dims)
    rng = np.random.default_rng(dims)
    x, w, gy = (rng.standard_normal(s) for s in (spec.input_shape, spec.weight_shape,
                                                  spec.output_shape))
    b = rng.standard_normal(spec.bias_shape)
    with (mock.patch.object(numpy_fast, "run", wraps=numpy_fast.run) as fast,
          mock.patch.object(core.pipeline, "run", wraps=core.pipeline.run) as textbook):
        compute(spec, x, w, b, gy)
    assert numpy_fast.serves(spec) == (dims != 3)
    assert (fast.call_count, textbook.call_count) == ((1, 0) if dims != 3 else (0, 1))
    if dims == 3:
        assert type(textbook.call_args.args[1]).__name__ == "NumpyBackend"
