"""The core against ``torch.nn.Conv2d`` + autograd over the whole space of layers.

`test_matches_torch` draws valid layers over every hyperparameter and compares the output
and all three gradients, through the four public functions and through `compute`, on both
CPU backends. `test_accepts_exactly_what_torch_accepts` draws layers that may be invalid
and checks that the core raises ValueError exactly when torch raises anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_reference import (
    assert_matches,
    build_conv,
    quiet_torch,
    random_array,
    reference,
)

from core import LayerSpec, compute, conv2d, conv2d_bias, conv2d_input, conv2d_weight

TOL = {"float64": 1e-10, "complex128": 1e-10, "float32": 1e-5, "complex64": 1e-5}
CPU_BACKENDS = ("numpy", "torch")
MODES = ("zeros", "reflect", "replicate", "circular")


@dataclass(frozen=True)
class Case:
    """One layer, the shape of its input and the seed of its tensors."""

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, int]
    stride: Any
    padding: Any
    dilation: Any
    groups: int
    bias: bool
    padding_mode: str
    input_size: tuple[int, int]
    batch: int | None
    dtype: str
    seed: int

    @property
    def layer(self) -> dict[str, Any]:
        """The hyperparameters both torch and the core take, as keywords."""
        return {
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "groups": self.groups,
            "padding_mode": self.padding_mode,
        }

    @property
    def input_shape(self) -> tuple[int, ...]:
        shape = (self.in_channels, *self.input_size)
        return shape if self.batch is None else (self.batch, *shape)

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    def spec(self) -> LayerSpec:
        return LayerSpec(
            in_channels=self.in_channels,
            out_channels=self.out_channels,
            kernel_size=self.kernel_size,
            bias=self.bias,
            input_size=self.input_size,
            batch=self.batch,
            dtype=self.dtype,
            **self.layer,
        )

    def tensors(self) -> tuple[np.random.Generator, np.ndarray, np.ndarray, np.ndarray | None]:
        rng = np.random.default_rng(self.seed)
        x = random_array(rng, self.input_shape, self.dtype)
        w = random_array(rng, self.weight_shape, self.dtype)
        b = random_array(rng, (self.out_channels,), self.dtype) if self.bias else None
        return rng, x, w, b


def torch_pads(kernel: int, dilation: int, padding: Any, axis: int) -> tuple[int, int]:
    """Padding before/after on one axis, worked out as ``nn.Conv2d`` documents it."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = dilation * (kernel - 1)
        return total // 2, total - total // 2
    p = padding if isinstance(padding, int) else padding[axis]
    return p, p


def pair_argument(draw: st.DrawFn, pair: tuple[int, int]) -> Any:
    """A pair as torch takes it: an int when both are equal (sometimes), else a tuple."""
    if pair[0] == pair[1] and draw(st.booleans()):
        return pair[0]
    return pair


@st.composite
def valid_cases(draw: st.DrawFn, dtypes: tuple[str, ...] = ("float64", "complex128")) -> Case:
    groups = draw(st.integers(1, 3))
    depthwise = draw(st.booleans())
    in_per_group = 1 if depthwise else draw(st.integers(1, 2))
    out_per_group = draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    mode = draw(st.sampled_from(MODES))
    # torch crops where a non-zeros padding_mode is given a negative padding.
    side = st.integers(0 if mode == "zeros" else -2, 3)
    padding = draw(st.one_of(side, st.tuples(side, side), st.sampled_from(["valid", "same"])))
    stride = (1, 1) if padding == "same" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = []
    for axis in (0, 1):
        before, after = torch_pads(kernel[axis], dilation[axis], padding, axis)
        extent = dilation[axis] * (kernel[axis] - 1) + 1
        low = max(1, extent - before - after)
        if mode == "reflect":
            low = max(low, max(before, after) + 1)
        if mode == "circular":
            low = max(low, before, after)
        size.append(low + draw(st.integers(0, 3)))
    return Case(
        in_channels=groups * in_per_group,
        out_channels=groups * out_per_group,
        kernel_size=kernel,
        stride=pair_argument(draw, stride),
        padding=padding,
        dilation=pair_argument(draw, dilation),
        groups=groups,
        bias=draw(st.booleans()),
        padding_mode=mode,
        input_size=(size[0], size[1]),
        batch=draw(st.sampled_from([None, 0, 1, 2])),
        dtype=draw(st.sampled_from(dtypes)),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def check_against_torch(case: Case) -> None:
    """Output and gradients of every entry point and backend equal torch's."""
    rng, x, w, b = case.tensors()
    tol = TOL[case.dtype]
    ref = reference(x, w, b, lambda shape: random_array(rng, shape, case.dtype), **case.layer)
    gy = ref.grad_output
    spec = case.spec()
    assert spec.output_shape == ref.output.shape
    assert spec.weight_shape == w.shape
    s, p, d, g, mode = (
        case.layer[k] for k in ("stride", "padding", "dilation", "groups", "padding_mode")
    )
    for backend in CPU_BACKENDS:
        # torch's positional order: stride, padding, dilation, groups.
        assert_matches(conv2d(x, w, b, s, p, d, g, mode, backend), ref.output, tol)
        assert_matches(conv2d_input(x.shape, w, gy, s, p, d, g, mode, backend), ref.grad_input, tol)
        assert_matches(
            conv2d_weight(x, w.shape, gy, s, p, d, g, mode, backend), ref.grad_weight, tol
        )
        if b is not None:
            assert_matches(conv2d_bias(gy), ref.grad_bias, tol)

        got = compute(spec, x, w, b, gy, backend=backend)
        assert_matches(got.output, ref.output, tol)
        assert_matches(got.grad_input, ref.grad_input, tol)
        assert_matches(got.grad_weight, ref.grad_weight, tol)
        if b is None:
            assert got.grad_bias is None
        else:
            assert_matches(got.grad_bias, ref.grad_bias, tol)
        for a in (got.output, got.grad_input, got.grad_weight):
            assert not a.flags.writeable


@settings(max_examples=300)  # the main property: every layer, dtype, entry point
@given(case=valid_cases())
def test_matches_torch(case: Case) -> None:
    check_against_torch(case)


@settings(max_examples=100)
@given(case=valid_cases(dtypes=("float32", "complex64")))
def test_matches_torch_in_single_precision(case: Case) -> None:
    check_against_torch(case)


# -- acceptance and rejection --------------------------------------------------------------
@st.composite
def any_cases(draw: st.DrawFn) -> Case:
    """Layers of which many are invalid: each field strays a little out of its range."""
    small = st.integers(-1, 3)
    padding = draw(
        st.one_of(
            st.integers(-2, 4),
            st.tuples(st.integers(-2, 4), st.integers(-2, 4)),
            st.sampled_from(["valid", "same", "full"]),
        )
    )
    return Case(
        in_channels=draw(st.integers(1, 4)),
        out_channels=draw(st.integers(1, 4)),
        kernel_size=(draw(st.integers(0, 4)), draw(st.integers(0, 4))),
        stride=draw(st.one_of(small, st.tuples(small, small))),
        padding=padding,
        dilation=draw(st.one_of(small, st.tuples(small, small))),
        groups=draw(st.integers(-1, 4)),
        bias=draw(st.booleans()),
        padding_mode=draw(st.sampled_from([*MODES, "mirror"])),
        input_size=(draw(st.integers(1, 6)), draw(st.integers(1, 6))),
        batch=draw(st.sampled_from([None, 0, 1, 2])),
        dtype="float64",
        seed=0,
    )


def torch_output_shape(case: Case) -> tuple[int, ...] | None:
    """The shape ``nn.Conv2d`` gives the case's input, or None where torch raises.

    The layer is also run on one sample: on an empty batch torch skips some of its checks
    (it takes dilation 0), and a layer is not valid because no sample reaches it.
    """
    one_sample = (1, *case.input_shape[-3:])
    try:
        with quiet_torch():
            conv = torch.nn.Conv2d(
                case.in_channels,
                case.out_channels,
                case.kernel_size,
                bias=case.bias,
                dtype=torch.float64,
                **case.layer,
            )
            conv(torch.zeros(one_sample, dtype=torch.float64))
            return tuple(conv(torch.zeros(case.input_shape, dtype=torch.float64)).shape)
    except Exception:
        return None


def functional_weight_shape(case: Case) -> tuple[int, int, int, int]:
    """The weight a caller of the functional API would pass for the case's layer."""
    per_group = case.in_channels // case.groups if case.groups > 0 else case.in_channels
    return (case.out_channels, max(per_group, 1), *case.kernel_size)


@settings(max_examples=300)  # most draws stray out of range one field at a time
@given(case=any_cases())
def test_accepts_exactly_what_torch_accepts(case: Case) -> None:
    expected = torch_output_shape(case)
    x = np.zeros(case.input_shape)
    w = np.zeros(functional_weight_shape(case))
    b = np.zeros(case.out_channels) if case.bias else None
    if expected is None:
        with pytest.raises(ValueError):
            case.spec()
        with pytest.raises(ValueError):
            conv2d(x, w, b, **case.layer)
        with pytest.raises(ValueError):
            conv2d_weight(x, w.shape, np.zeros((1, 1, 1, 1)), **case.layer)
        return
    spec = case.spec()
    assert spec.output_shape == expected
    assert conv2d(x, w, b, **case.layer).shape == expected
    gy = np.zeros(expected)
    assert conv2d_input(x.shape, w, gy, **case.layer).shape == x.shape
    assert conv2d_weight(x, w.shape, gy, **case.layer).shape == w.shape


# -- named cases the properties cover only by chance -------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_same_padding_with_even_kernel_puts_the_extra_row_bottom_right(mode: str) -> None:
    case = Case(2, 2, (4, 2), 1, "same", (1, 3), 1, True, mode, (5, 6), 2, "float64", 7)
    spec = case.spec()
    assert spec.pads == (1, 2, 1, 2)
    assert spec.output_shape == (2, 2, 5, 6)
    check_against_torch(case)


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_complex_grad_input_where_torch_nn_grad_has_no_kernel(backend: str) -> None:
    rng = np.random.default_rng(3)
    w = random_array(rng, (2, 3, 2, 2), "complex128")
    gy = random_array(rng, (1, 2, 3, 3), "complex128")
    x = random_array(rng, (1, 3, 4, 4), "complex128")
    ref = reference(x, w, None, gy)
    assert_matches(conv2d_input(x.shape, w, gy, backend=backend), ref.grad_input, 1e-10)
    assert_matches(conv2d_weight(x, w.shape, gy, backend=backend), ref.grad_weight, 1e-10)


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_read_only_arrays_are_accepted_and_left_alone(backend: str) -> None:
    case = Case(2, 4, (3, 3), 1, 1, 1, 2, True, "reflect", (5, 5), 2, "float64", 11)
    rng, x, w, b = case.tensors()
    gy = random_array(rng, case.spec().output_shape, case.dtype)
    ref = reference(x, w, b, gy, **case.layer)
    copies = [a.copy() for a in (x, w, b, gy)]
    for a in (x, w, b, gy):
        a.flags.writeable = False
    assert_matches(conv2d(x, w, b, **case.layer, backend=backend), ref.output, 1e-10)
    assert_matches(
        conv2d_input(x.shape, w, gy, **case.layer, backend=backend), ref.grad_input, 1e-10
    )
    assert_matches(
        conv2d_weight(x, w.shape, gy, **case.layer, backend=backend), ref.grad_weight, 1e-10
    )
    got = compute(case.spec(), x, w, b, gy, backend=backend)
    assert_matches(got.grad_bias, ref.grad_bias, 1e-10)
    for a, before in zip((x, w, b, gy), copies, strict=True):
        np.testing.assert_array_equal(a, before)


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [-1, (-1, 2), (2, -1)])
def test_negative_padding_crops_like_torch(backend: str, mode: str, padding: Any) -> None:
    """torch crops where a non-zeros padding_mode is given a negative padding."""
    rng = np.random.default_rng(5)
    x = random_array(rng, (2, 2, 5, 6), "float64")
    w = random_array(rng, (3, 2, 2, 2), "float64")
    b = random_array(rng, (3,), "float64")
    layer = {"padding": padding, "padding_mode": mode}
    ref = reference(x, w, b, lambda shape: random_array(rng, shape, "float64"), **layer)
    gy = ref.grad_output
    assert_matches(conv2d(x, w, b, **layer, backend=backend), ref.output, 1e-10)
    assert_matches(conv2d_input(x.shape, w, gy, **layer, backend=backend), ref.grad_input, 1e-10)
    assert_matches(conv2d_weight(x, w.shape, gy, **layer, backend=backend), ref.grad_weight, 1e-10)


def test_negative_padding_is_rejected_with_zeros_mode_like_torch() -> None:
    w = np.zeros((1, 1, 1, 1))
    with pytest.raises(RuntimeError):
        build_conv(w, None, padding=-1)(torch.zeros(1, 1, 4, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="padding"):
        conv2d(np.zeros((1, 1, 4, 4)), w, padding=-1)


def assert_same_non_finite(actual: np.ndarray, expected: np.ndarray, tol: float) -> None:
    """nan, +inf and -inf in the same places; the finite entries equal within ``tol``."""
    for where in (np.isnan, np.isposinf, np.isneginf):
        np.testing.assert_array_equal(where(actual), where(expected), err_msg=where.__name__)
    finite = np.isfinite(expected)
    scale = max(1.0, float(np.abs(expected[finite]).max(initial=0.0)))
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=tol, atol=tol * scale)


NON_FINITE_LAYERS = [
    {"stride": (1, 2)},
    {"padding": 1},
    {"stride": 2, "padding": 2, "dilation": (1, 2)},
    {"padding": 1, "padding_mode": "reflect", "groups": 2},
    {"padding": "same", "padding_mode": "circular", "groups": 4},
]


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layer", NON_FINITE_LAYERS)
def test_inf_and_nan_propagate_as_in_torch_without_warnings(
    backend: str, dtype: str, layer: dict[str, Any]
) -> None:
    """Warnings are errors in this suite: numpy must not warn where torch computes quietly.

    An infinite weight goes only into the layer without padding: where a tap reads zero
    padding, torch's float64 CPU kernel multiplies inf by the zero (nan, as we do) while its
    float32 kernel (oneDNN) skips the padded cell, so torch has no one answer there.
    """
    rng = np.random.default_rng(8)
    groups = layer.get("groups", 1)
    x = random_array(rng, (2, 4, 7, 8), dtype)
    w = random_array(rng, (4, 4 // groups, 3, 3), dtype)
    b = random_array(rng, (4,), dtype)
    x[0, 1, 3, 4], x[1, 2, 0, 7], x[1, 0, 6, 0] = np.inf, -np.inf, np.nan
    if layer.get("padding", 0) == 0:
        w[1, 0, 2, 1] = np.inf
    ref = reference(x, w, b, lambda shape: random_array(rng, shape, dtype), **layer)
    gy = ref.grad_output.copy()
    gy[0, 2, 1, 1] = np.nan
    ref = reference(x, w, b, gy, **layer)
    tol = TOL[dtype]
    assert_same_non_finite(conv2d(x, w, b, **layer, backend=backend), ref.output, tol)
    got_dx = conv2d_input(x.shape, w, gy, **layer, backend=backend)
    assert_same_non_finite(got_dx, ref.grad_input, tol)
    got_dw = conv2d_weight(x, w.shape, gy, **layer, backend=backend)
    assert_same_non_finite(got_dw, ref.grad_weight, tol)
    spec = LayerSpec.from_arrays(x.shape, w.shape, bias=True, dtype=dtype, **layer)
    got = compute(spec, x, w, b, gy, backend=backend)
    for name in ("output", "grad_input", "grad_weight", "grad_bias"):
        assert_same_non_finite(getattr(got, name), getattr(ref, name), tol)
