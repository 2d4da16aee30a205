"""Conv1d, Conv3d and their transposed forms against torch + autograd, over every argument.

`test_matches_torch` draws valid layers of 1 and of 3 spatial axes — Conv (every
padding_mode, padding strings with torch's asymmetric 'same', negative padding that
crops, groups, dilation, stride; causal Conv1d) and ConvTranspose (output_padding up to
what torch allows) — batched, unbatched and empty, and compares the output and the three
gradients, through the public functions and through `compute`, on both CPU backends, in
float64 and complex128 at 1e-10 (float32 and complex64 at 1e-5 in their own test).
`test_accepts_exactly_what_torch_accepts` draws layers of which many are invalid: the core
raises `SpecError` exactly where torch raises. Then the identity the transposed layers rest
on: a transposed forward pass is a Conv's input gradient.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nd_cases import Case, any_cases, torch_output_shape, torch_run, valid_cases
from torch_reference import assert_matches, random_array

import core
from core import LayerSpec, SpecError, compact, compute

TOL = {"float64": 1e-10, "complex128": 1e-10, "float32": 1e-5, "complex64": 1e-5}
BACKENDS = ("numpy", "torch")
MANY = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def check_against_torch(case: Case, backends: tuple[str, ...] = BACKENDS) -> None:
    """Every public function of the case's kind, and `compute`, on ``backends`` (both CPU
    ones), against torch on the CPU."""
    rng, x, w, b = case.tensors()
    tol = TOL[case.dtype]
    ref = torch_run(case, x, w, b, rng)
    gy = ref.grad_output
    spec = case.spec()
    assert spec.output_shape == ref.output.shape
    assert spec.weight_shape == w.shape
    for backend in backends:
        if not case.causal:  # a causal layer is a spec (its F.pad is no function argument)
            got = case.function()(x, w, b, *case.args, backend)
            assert_matches(got, ref.output, tol)
            got = case.function("_input")(x.shape, w, gy, *case.args, backend)
            assert_matches(got, ref.grad_input, tol)
            got = case.function("_weight")(x, w.shape, gy, *case.args, backend)
            assert_matches(got, ref.grad_weight, tol)
        results = compute(spec, x, w, b, gy, backend=backend)
        for name in ("output", "grad_input", "grad_weight", "grad_bias"):
            expected = getattr(ref, name)
            if expected is None:
                assert getattr(results, name) is None
            else:
                assert_matches(getattr(results, name), expected, tol)
                assert not getattr(results, name).flags.writeable
    if b is not None:
        bias = getattr(core, f"conv{case.dims}d_bias")
        assert_matches(bias(gy), ref.grad_bias, tol)


@MANY
@given(case=valid_cases(dims=1))
def test_conv1d_family_matches_torch(case: Case) -> None:
    check_against_torch(case)


@MANY
@given(case=valid_cases(dims=3))
def test_conv3d_family_matches_torch(case: Case) -> None:
    check_against_torch(case)


@settings(MANY, max_examples=60)
@given(dims=st.sampled_from([1, 3]), data=st.data())
def test_matches_torch_in_single_precision(dims: int, data: st.DataObject) -> None:
    check_against_torch(data.draw(valid_cases(dims, dtypes=("float32", "complex64"))))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@settings(MANY, max_examples=40)
@given(dims=st.sampled_from([1, 3]), data=st.data())
def test_the_cuda_backend_matches_torch(dims: int, data: st.DataObject) -> None:
    check_against_torch(data.draw(valid_cases(dims)), ("cuda",))


# -- acceptance and rejection ------------------------------------------------------------------
def check_acceptance(case: Case) -> None:
    """The spec (torch's module) and the public functions (torch's functions, which take
    no padding_mode for a transposed layer) refuse exactly what torch refuses."""
    expected = torch_output_shape(case)
    if expected is None:
        with pytest.raises(SpecError) as caught:
            case.spec()
        assert caught.value.fields, caught.value  # it names what it refuses
    else:
        assert case.spec().output_shape == expected
    if case.transposed:
        case = dataclasses.replace(case, padding_mode="zeros")
        expected = torch_output_shape(case)
    x, w = np.zeros(case.input_shape), np.zeros(case.weight_shape)
    b = np.zeros(case.out_channels) if case.bias else None
    wrong = np.zeros((1,) * (case.dims + 2))
    if expected is None:
        calls = [
            lambda: case.function()(x, w, b, *case.args),
            lambda: case.function("_input")(x.shape, w, wrong, *case.args),
            lambda: case.function("_weight")(x, w.shape, wrong, *case.args),
        ]
        for call in calls:
            with pytest.raises(SpecError) as caught:
                call()
            assert caught.value.fields, caught.value
        return
    assert case.function()(x, w, b, *case.args).shape == expected
    gy = np.zeros(expected)
    assert case.function("_input")(x.shape, w, gy, *case.args).shape == x.shape
    assert case.function("_weight")(x, w.shape, gy, *case.args).shape == w.shape


@MANY
@given(case=any_cases(dims=1))
def test_conv1d_family_accepts_exactly_what_torch_accepts(case: Case) -> None:
    check_acceptance(case)


@MANY
@given(case=any_cases(dims=3))
def test_conv3d_family_accepts_exactly_what_torch_accepts(case: Case) -> None:
    check_acceptance(case)


# -- the identity: ConvTranspose's forward is Conv's input gradient ---------------------------
@st.composite
def conv_layers(draw: st.DrawFn) -> tuple[LayerSpec, int]:
    case = draw(valid_cases(draw(st.sampled_from([1, 3])), plain=True))
    return case.spec(), case.seed


@settings(MANY, max_examples=100)
@given(layer=conv_layers())
def test_a_transposed_forward_is_a_conv_input_gradient(layer) -> None:
    """conv_transpose{d}d(gy, conj(W)) with the output_padding that gives back x's size is
    conv{d}d_input(x.shape, W, gy)."""
    spec, seed = layer
    rng = np.random.default_rng(seed)
    w = random_array(rng, spec.weight_shape, spec.dtype)
    gy = random_array(rng, spec.output_shape, spec.dtype)
    d = spec.dims
    # What the transposed formula leaves out of the input size: the entries the Conv's last
    # window did not reach (always below the stride).
    matching = tuple(
        size + 2 * p - ((o - 1) * s + dil * (k - 1) + 1)
        for size, p, o, s, dil, k in zip(spec.input_size, spec.padding, spec.output_size,
                                         spec.stride, spec.dilation, spec.kernel_size,
                                         strict=True)
    )
    conv_input = getattr(core, f"conv{d}d_input")
    transpose = getattr(core, f"conv_transpose{d}d")
    expected = conv_input(spec.input_shape, w, gy, spec.stride, spec.padding, spec.dilation,
                          spec.groups)
    got = transpose(gy, w.conj(), None, spec.stride, spec.padding, matching, spec.groups,
                    spec.dilation)
    assert_matches(got, expected, 1e-10)


# -- named cases the properties reach only by chance ----------------------------------------
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("dims", [1, 3])
def test_same_padding_of_an_even_kernel_puts_the_extra_entry_after(dims: int, mode: str) -> None:
    kernel = (4, 2, 3)[:dims]
    case = Case(dims, False, 2, 2, kernel, 1, "same", (1, 3, 1)[:dims], 1, True, mode, 0, False,
                (6, 7, 5)[:dims], 2, "float64", 7)
    assert case.spec().pads == (1, 2, 1, 2, 1, 1)[: 2 * dims]
    assert case.spec().output_shape == (2, 2, *(6, 7, 5)[:dims])
    check_against_torch(case)


def test_a_causal_layer_with_a_dilation_far_beyond_its_kernel() -> None:
    """WaveNet's last layers: dilation 512 over 1000 samples, against F.pad then F.conv1d;
    strided, the windows skip most entries (the compact route)."""
    case = Case(1, False, 3, 4, (2,), 1, 0, 512, 1, True, "zeros", 0, True, (1000,), 2,
                "float64", 9)
    assert case.spec().pads == (512, 0)
    check_against_torch(case)
    strided = dataclasses.replace(case, stride=7, dtype="complex128")
    assert compact.plan(strided.spec()) is not None
    check_against_torch(strided)


@pytest.mark.parametrize(("call", "fields", "words"), [
    (lambda: core.conv1d(np.zeros((1, 2, 5, 5)), np.zeros((3, 2, 3))), ("input",),
     r"input must be 2D \(C, L\) or 3D \(N, C, L\), got shape \(1, 2, 5, 5\)"),
    (lambda: core.conv3d(np.zeros((2, 4, 4, 4)), np.zeros((3, 2, 3, 3))), ("weight",),
     r"weight must be 5D \(out_channels, in_channels/groups, kD, kH, kW\)"),
    (lambda: core.conv1d(np.zeros((1, 2, 5)), np.zeros((3, 2, 7))),
     ("kernel_size", "dilation", "padding", "input_size"),
     "kernel length extent 7 .* larger than the padded input length 5"),
    (lambda: core.conv3d(np.zeros((1, 2, 4, 4, 4)), np.zeros((3, 2, 1, 1, 1)), stride=(1, 0, 1)),
     ("stride",), "stride must be >= 1"),
    (lambda: core.conv1d(np.zeros((1, 2, 5)), np.zeros((3, 2, 2)), padding=5,
                         padding_mode="reflect"),
     ("padding", "padding_mode", "input_size"),
     "padding 5 must be smaller than the input length 5 for padding_mode 'reflect'"),
    (lambda: core.conv1d_input((1, 2, 5, 1), np.zeros((3, 2, 2)), np.zeros((1, 3, 4))),
     ("input_size",), "input_size must have 2 or 3 entries, got 4"),
    (lambda: core.conv3d_weight(np.zeros((1, 2, 3, 3, 3)), (3, 2, 2, 2), np.zeros((1, 3, 2, 2))),
     ("weight_size",), "weight_size must have 5 entries, got 4"),
    (lambda: core.conv1d_bias(np.zeros((1, 3, 4, 4))), ("grad_output",),
     r"grad_output must be 2D or 3D, got shape \(1, 3, 4, 4\)"),
    (lambda: core.conv_transpose3d(np.zeros((1, 2, 2, 2, 2)), np.zeros((2, 1, 3, 3, 3)),
                                   stride=2, output_padding=(0, 2, 0)),
     ("output_padding", "stride", "dilation"),
     r"output_padding 2 must be smaller than either the stride 2 or the dilation 1 \(height\)"),
    (lambda: core.conv_transpose1d(np.zeros((1, 2, 2)), np.zeros((2, 1, 3)), padding=3),
     ("padding", "input_size", "kernel_size"), "output length would be -2"),
    (lambda: LayerSpec(1, 1, 3, padding=1, causal=True, input_size=5, dims=1),
     ("causal", "padding"),
     r"pads \(k−1\)·dilation = 2 zeros .* needs padding 0, not 1 — set it so, or uncheck causal$"),
    (lambda: LayerSpec(1, 1, 3, padding_mode="reflect", causal=True, input_size=5, dims=1),
     ("causal", "padding_mode"), "needs padding_mode 'zeros', not 'reflect' — set it so"),
    (lambda: LayerSpec(1, 1, 3, padding="same", padding_mode="circular", causal=True,
                       input_size=5, dims=1),
     ("causal", "padding", "padding_mode"), "needs padding 0, not 'same' and padding_mode"),
    (lambda: LayerSpec(1, 1, 3, causal=True, input_size=(5, 5)), ("causal", "dims",
                                                                   "transposed"),
     "causal is for a Conv1d"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_refusals_name_the_fields_and_the_numbers(call, fields, words) -> None:
    with pytest.raises(SpecError, match=words) as caught:
        call()
    assert caught.value.fields == fields
