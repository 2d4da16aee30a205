"""The transposed core against ``torch.nn.ConvTranspose2d`` + autograd over every argument.

`test_matches_torch` draws valid transposed layers (groups, dilation, output_padding up to
what torch allows — past the stride where the dilation permits —, unbatched and empty
batches, real and complex) and compares the output and the three gradients through the
three public functions, `conv2d_bias` and `compute`, on both CPU backends.
`test_accepts_exactly_what_torch_accepts` draws layers of which many are invalid: the core
raises a ValueError naming a field exactly where torch raises. Then the identity the
implementation rests on: a transposed layer's forward pass is a Conv2d's input gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_conv_vs_torch import CPU_BACKENDS, TOL, pair_argument
from torch_reference import TORCH_DTYPES, assert_matches, random_array

from core import (
    LayerSpec,
    SpecError,
    compute,
    conv2d_bias,
    conv2d_input,
    conv_transpose2d,
    conv_transpose2d_input,
    conv_transpose2d_weight,
)
from core.conv_transpose import layer_spec

MANY = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@dataclass(frozen=True)
class Case:
    """One transposed layer, its input's shape and the seed of its tensors."""

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, int]
    stride: Any
    padding: Any
    output_padding: Any
    groups: int
    dilation: Any
    bias: bool
    input_size: tuple[int, int]
    batch: int | None
    dtype: str
    seed: int = 0

    @property
    def layer(self) -> dict[str, Any]:
        """The hyperparameters, as F.conv_transpose2d's keywords."""
        return {"stride": self.stride, "padding": self.padding,
                "output_padding": self.output_padding, "groups": self.groups,
                "dilation": self.dilation}

    @property
    def input_shape(self) -> tuple[int, ...]:
        shape = (self.in_channels, *self.input_size)
        return shape if self.batch is None else (self.batch, *shape)

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        per_group = self.out_channels // self.groups if self.groups > 0 else self.out_channels
        return (self.in_channels, max(per_group, 1), *self.kernel_size)

    def spec(self) -> LayerSpec:
        return LayerSpec(self.in_channels, self.out_channels, self.kernel_size, bias=self.bias,
                         input_size=self.input_size, batch=self.batch, dtype=self.dtype,
                         transposed=True, **self.layer)

    def tensors(self):
        rng = np.random.default_rng(self.seed)
        x = random_array(rng, self.input_shape, self.dtype)
        w = random_array(rng, self.weight_shape, self.dtype)
        b = random_array(rng, (self.out_channels,), self.dtype) if self.bias else None
        return rng, x, w, b


@st.composite
def valid_cases(draw: st.DrawFn, dtypes: tuple[str, ...] = ("float64", "complex128")) -> Case:
    groups = draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    # Below the stride or below the dilation: op >= stride is allowed where the dilation is
    # larger (the Conv2d underneath then has more output positions than the input).
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1))
                           for s, d in zip(stride, dilation, strict=True))
    padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    for axis in (0, 1):  # the output must keep a row and a column after the crop
        full = ((size[axis] - 1) * stride[axis] + dilation[axis] * (kernel[axis] - 1)
                + output_padding[axis] + 1)
        assume(full - 2 * padding[axis] >= 1)
    return Case(
        in_channels=groups * draw(st.integers(1, 2)),
        out_channels=groups * draw(st.integers(1, 2)),
        kernel_size=kernel,
        stride=pair_argument(draw, stride),
        padding=pair_argument(draw, padding),
        output_padding=pair_argument(draw, output_padding),
        groups=groups,
        dilation=pair_argument(draw, dilation),
        bias=draw(st.booleans()),
        input_size=size,
        batch=draw(st.sampled_from([None, 0, 1, 2])),
        dtype=draw(st.sampled_from(dtypes)),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def reference(case: Case, x, w, b, rng) -> dict[str, np.ndarray]:
    """``nn.ConvTranspose2d`` holding ``w`` and ``b``, forward on ``x``, back-propagated
    with a random grad_output by autograd; numpy arrays."""
    layer = torch.nn.ConvTranspose2d(
        case.in_channels, case.out_channels, case.kernel_size, bias=case.bias,
        dtype=TORCH_DTYPES[case.dtype], **case.layer,
    )
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(w))
        if b is not None:
            layer.bias.copy_(torch.tensor(b))
    xt = torch.tensor(x, requires_grad=True)
    y = layer(xt)
    gy = random_array(rng, tuple(y.shape), case.dtype)
    y.backward(torch.tensor(gy))
    return {
        "output": y.detach().numpy(),
        "grad_output": gy,
        # An input that reaches nothing (an empty batch) may keep .grad None.
        "grad_input": np.zeros_like(x) if xt.grad is None else xt.grad.numpy(),
        "grad_weight": layer.weight.grad.numpy(),
        "grad_bias": None if b is None else layer.bias.grad.numpy(),
    }


def check_against_torch(case: Case, backends=CPU_BACKENDS) -> None:
    rng, x, w, b = case.tensors()
    tol = TOL[case.dtype]
    ref = reference(case, x, w, b, rng)
    gy = ref["grad_output"]
    spec = case.spec()
    assert spec.output_shape == ref["output"].shape and spec.weight_shape == w.shape
    s, p, op, g, d = (case.layer[k] for k in
                      ("stride", "padding", "output_padding", "groups", "dilation"))
    for backend in backends:
        # torch's positional order: stride, padding, output_padding, groups, dilation.
        assert_matches(conv_transpose2d(x, w, b, s, p, op, g, d, backend), ref["output"], tol)
        assert_matches(conv_transpose2d_input(x.shape, w, gy, s, p, op, g, d, backend),
                       ref["grad_input"], tol)
        assert_matches(conv_transpose2d_weight(x, w.shape, gy, s, p, op, g, d, backend),
                       ref["grad_weight"], tol)
        if b is not None:
            assert_matches(conv2d_bias(gy), ref["grad_bias"], tol)
        got = compute(spec, x, w, b, gy, backend=backend)
        for name in ("output", "grad_input", "grad_weight"):
            assert_matches(getattr(got, name), ref[name], tol)
            assert not getattr(got, name).flags.writeable
        if b is None:
            assert got.grad_bias is None
        else:
            assert_matches(got.grad_bias, ref["grad_bias"], tol)


@MANY
@given(case=valid_cases(), backend=st.sampled_from(CPU_BACKENDS))
def test_matches_torch(case: Case, backend: str) -> None:
    check_against_torch(case, (backend,))


@settings(MANY, max_examples=60)
@given(case=valid_cases(dtypes=("float32", "complex64")), backend=st.sampled_from(CPU_BACKENDS))
def test_matches_torch_in_single_precision(case: Case, backend: str) -> None:
    check_against_torch(case, (backend,))


@pytest.mark.parametrize("output_padding, stride, dilation", [
    ((1, 2), (1, 1), (2, 3)),  # op >= stride, below the dilation: one and two extra
    ((2, 0), (2, 1), (3, 1)),
])
@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_output_padding_past_the_stride(output_padding, stride, dilation, dtype) -> None:
    """The Conv2d underneath has more output positions than the input (`conv_extra`)."""
    case = Case(4, 2, (3, 2), stride, (1, 0), output_padding, 2, dilation, True, (3, 4), 2,
                dtype, seed=3)
    extra = tuple(o // s for o, s in zip(output_padding, stride, strict=True))
    assert case.spec().conv_extra == extra != (0, 0)
    assert case.spec().as_conv().output_size == (3 + extra[0], 4 + extra[1])
    check_against_torch(case)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("case", [
    Case(4, 6, (3, 2), 2, (1, 0), 1, 2, (1, 2), True, (5, 4), 2, "float64"),
    Case(3, 3, (3, 3), 1, 1, (1, 0), 3, 2, False, (4, 4), None, "complex128"),  # op >= stride
    Case(2, 2, (2, 2), 2, 0, 0, 1, 1, True, (3, 3), 0, "float64"),
], ids=repr)
def test_the_cuda_backend_matches_torch(case: Case) -> None:
    check_against_torch(case, ("cuda",))


# -- acceptance and rejection --------------------------------------------------------------
@st.composite
def any_cases(draw: st.DrawFn) -> Case:
    """Transposed layers of which many are invalid: each field strays out of its range."""
    small = st.integers(-1, 3)
    return Case(
        in_channels=draw(st.integers(1, 4)),
        out_channels=draw(st.integers(1, 4)),
        kernel_size=(draw(st.integers(0, 4)), draw(st.integers(0, 4))),
        stride=draw(st.one_of(small, st.tuples(small, small))),
        padding=draw(st.one_of(st.integers(-1, 4), st.tuples(st.integers(-1, 4),
                                                             st.integers(-1, 4)),
                               st.sampled_from(["valid", "same"]))),
        output_padding=draw(st.one_of(small, st.tuples(small, small))),
        groups=draw(st.integers(-1, 4)),
        dilation=draw(st.one_of(small, st.tuples(small, small))),
        bias=draw(st.booleans()),
        input_size=(draw(st.integers(1, 5)), draw(st.integers(1, 5))),
        batch=draw(st.sampled_from([None, 0, 1, 2])),
        dtype="float64",
    )


def torch_output_shape(case: Case) -> tuple[int, ...] | None:
    """The shape F.conv_transpose2d gives, or None where torch raises. It runs on one sample
    as well: on an empty batch torch skips checks (output_padding's), and a layer is not
    valid because no sample reaches it."""
    x = torch.zeros(case.input_shape, dtype=torch.float64)
    w = torch.zeros(case.weight_shape, dtype=torch.float64)
    b = torch.zeros(case.out_channels, dtype=torch.float64) if case.bias else None
    try:
        one_sample = torch.zeros((1, *case.input_shape[-3:]), dtype=torch.float64)
        F.conv_transpose2d(one_sample, w, b, **case.layer)
        return tuple(F.conv_transpose2d(x, w, b, **case.layer).shape)
    except (RuntimeError, TypeError, ValueError):
        return None


@MANY
@given(case=any_cases())
def test_accepts_exactly_what_torch_accepts(case: Case) -> None:
    expected = torch_output_shape(case)
    x, w = np.zeros(case.input_shape), np.zeros(case.weight_shape)
    b = np.zeros(case.out_channels) if case.bias else None
    if expected is None:
        for call in (
            lambda: conv_transpose2d(x, w, b, **case.layer),
            lambda: conv_transpose2d_input(x.shape, w, np.zeros((1, 1, 1, 1)), **case.layer),
            lambda: conv_transpose2d_weight(x, w.shape, np.zeros((1, 1, 1, 1)), **case.layer),
        ):
            with pytest.raises(ValueError) as caught:
                call()
            if isinstance(caught.value, SpecError):
                assert caught.value.fields, caught.value
        return
    spec = layer_spec(x.shape, w.shape, x.dtype, bias=case.bias, **case.layer)
    assert spec.output_shape == expected
    assert conv_transpose2d(x, w, b, **case.layer).shape == expected
    gy = np.zeros(expected)
    assert conv_transpose2d_input(x.shape, w, gy, **case.layer).shape == x.shape
    assert conv_transpose2d_weight(x, w.shape, gy, **case.layer).shape == w.shape


@pytest.mark.parametrize("changes, fields, words", [
    (dict(padding=-1), ("padding", "padding_mode"), "padding must be >= 0"),
    (dict(padding="same"), ("padding",), "'same'"),
    (dict(stride=2, output_padding=2), ("output_padding", "stride", "dilation"),
     "output_padding 2 must be smaller than either the stride 2 or the dilation 1"),
    (dict(padding=3), ("padding", "input_size", "kernel_size"), "output height would be -2"),
    (dict(groups=2), ("in_channels", "groups"), "in_channels 3 is not divisible by groups 2"),
    (dict(output_padding=-1), ("output_padding",), "output_padding must be >= 0"),
    (dict(dilation=(1, 0)), ("dilation",), "dilation must be >= 1"),
])
def test_refusals_name_the_field_and_the_numbers(changes, fields, words) -> None:
    layer = dict(stride=1, padding=0, output_padding=0, groups=1, dilation=1) | changes
    x, w = np.zeros((1, 3, 2, 2)), np.zeros((3, 2, 3, 3))
    with pytest.raises(Exception):  # noqa: B017 (torch's own error types vary)
        F.conv_transpose2d(torch.tensor(x), torch.tensor(w), **layer)
    with pytest.raises(SpecError, match=words) as caught:
        conv_transpose2d(x, w, **layer)
    assert caught.value.fields == fields


@pytest.mark.parametrize("value", [1.5, (1, 1.0), True, np.True_, "1", None, np.array(1),
                                   (1, 1, 1)], ids=repr)
@pytest.mark.parametrize("name", ["stride", "padding", "output_padding", "dilation"])
def test_arguments_torch_refuses_are_refused_naming_them(name, value) -> None:
    x, w = np.zeros((1, 3, 4, 4)), np.zeros((3, 2, 3, 3))
    with pytest.raises(Exception):  # noqa: B017
        F.conv_transpose2d(torch.tensor(x), torch.tensor(w), **{name: value})
    with pytest.raises(SpecError, match=name) as caught:
        conv_transpose2d(x, w, **{name: value})
    assert name in caught.value.fields


def test_shape_refusals_name_the_tensors() -> None:
    x = np.zeros((1, 3, 4, 4))
    with pytest.raises(SpecError, match=r"input has 3 channels but weight \(2, 2, 3, 3\) "
                                        "expects 2") as caught:
        conv_transpose2d(x, np.zeros((2, 2, 3, 3)))
    assert caught.value.fields == ("input", "weight")
    with pytest.raises(SpecError, match="weight must be 4D") as caught:
        conv_transpose2d(x, np.zeros((3, 2, 3)))
    with pytest.raises(SpecError, match="has a zero dimension"):
        conv_transpose2d(x, np.zeros((3, 0, 3, 3)))
    with pytest.raises(ValueError, match=r"bias shape \(3,\) does not match expected shape "
                                         r"\(2,\)"):
        conv_transpose2d(x, np.zeros((3, 2, 3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"grad_output shape \(1, 2, 5, 5\) does not match "
                                         r"expected shape \(1, 2, 6, 6\)"):
        conv_transpose2d_input(x.shape, np.zeros((3, 2, 3, 3)), np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="weight_size must have 4 entries"):
        conv_transpose2d_weight(x, (3, 2, 3), np.zeros((1, 2, 6, 6)))
    with pytest.raises(ValueError, match="grad_output dtype float32 does not match input"):
        conv_transpose2d_weight(x, (3, 2, 3, 3), np.zeros((1, 2, 6, 6), np.float32))


def test_the_spec_of_a_call_is_the_transposed_layer() -> None:
    spec = layer_spec((2, 4, 5, 6), (4, 3, 3, 2), np.dtype("float32"), bias=True, stride=2,
                      padding=(1, 0), output_padding=1, groups=2, dilation=(1, 2))
    assert spec == LayerSpec(4, 6, (3, 2), stride=2, padding=(1, 0), dilation=(1, 2),
                             groups=2, input_size=(5, 6), batch=2, dtype="float32",
                             transposed=True, output_padding=1)


# -- the identity the implementation rests on ----------------------------------------------
@st.composite
def conv_layers(draw: st.DrawFn) -> tuple[LayerSpec, int]:
    groups = draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    try:
        spec = LayerSpec(
            groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)), kernel,
            stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
            padding=(draw(st.integers(0, 2)), draw(st.integers(0, 2))), dilation=dilation,
            groups=groups, bias=False,
            input_size=tuple(draw(st.integers(max(1, e - 2), e + 4)) for e in extent),
            batch=draw(st.sampled_from([None, 1, 2])),
            dtype=draw(st.sampled_from(["float64", "complex128"])),
        )
    except ValueError:
        assume(False)
        raise
    return spec, draw(st.integers(0, 2**32 - 1))


@settings(MANY, max_examples=100)
@given(layer=conv_layers())
def test_a_transposed_forward_is_a_conv2d_input_gradient(layer) -> None:
    """conv_transpose2d(gy, W) with the output_padding that gives back x's size is
    conv2d_input(x.shape, W, gy) — with W conjugated for complex tensors, since the
    gradient conjugates and the transposed forward does not."""
    spec, seed = layer
    rng = np.random.default_rng(seed)
    w = random_array(rng, spec.weight_shape, spec.dtype)
    gy = random_array(rng, spec.output_shape, spec.dtype)
    arguments = dict(stride=spec.stride, padding=spec.padding, dilation=spec.dilation,
                     groups=spec.groups)
    # What the transposed formula leaves out of the input size: the rows the Conv2d's last
    # window did not reach (always below the stride).
    matching = tuple(
        size + 2 * p - ((o - 1) * s + d * (k - 1) + 1)
        for size, p, o, s, d, k in zip(spec.input_size, spec.padding, spec.output_size,
                                       spec.stride, spec.dilation, spec.kernel_size,
                                       strict=True)
    )
    expected = conv2d_input(spec.input_shape, w, gy, **arguments)
    got = conv_transpose2d(gy, w.conj(), output_padding=matching, **arguments)
    assert_matches(got, expected, 1e-10)
    if spec.dtype == "float64":
        assert_matches(conv_transpose2d(gy, w, output_padding=matching, **arguments),
                       expected, 1e-10)
