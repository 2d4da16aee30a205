"""LayerSpec and the API's argument checks: ValueErrors that name the field and the numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch_reference import build_conv, quiet_torch

from core import LayerSpec, SpecError, compute, conv2d, conv2d_bias, conv2d_input, conv2d_weight


def message(excinfo: pytest.ExceptionInfo[ValueError]) -> str:
    return str(excinfo.value)


def assert_names(excinfo: pytest.ExceptionInfo[ValueError], *words: str) -> None:
    """The message mentions every one of ``words`` (a field, its value, a limit)."""
    missing = [w for w in words if w not in message(excinfo)]
    assert not missing, f"{message(excinfo)!r} does not mention {missing}"


def assert_fields(excinfo: pytest.ExceptionInfo[ValueError], *fields: str, **numbers) -> None:
    """A `SpecError` naming exactly ``fields`` (what an editor marks), with ``numbers``."""
    assert isinstance(excinfo.value, SpecError), type(excinfo.value)
    assert excinfo.value.fields == fields
    for key, value in numbers.items():
        assert excinfo.value.numbers[key] == value, (key, excinfo.value.numbers)


# -- normalisation -------------------------------------------------------------------------
def test_ints_become_pairs_and_padding_resolves_to_four_sides() -> None:
    spec = LayerSpec(4, 6, 3, stride=2, padding=1, dilation=(2, 1), groups=2, input_size=7)
    assert spec.kernel_size == (3, 3)
    assert spec.stride == (2, 2)
    assert spec.padding == (1, 1)
    assert spec.dilation == (2, 1)
    assert spec.input_size == (7, 7)
    assert spec.pads == (1, 1, 1, 1)
    assert spec.weight_shape == (6, 2, 3, 3)
    assert spec.bias_shape == (6,)


def test_numpy_integers_are_ints_and_bools_are_not() -> None:
    spec = LayerSpec(np.int64(2), 3, (np.int32(1), 2))
    assert spec.in_channels == 2 and type(spec.in_channels) is int
    assert spec.kernel_size == (1, 2)
    with pytest.raises(ValueError) as excinfo:
        LayerSpec(2, 3, True)
    assert_names(excinfo, "kernel_size", "True")


@pytest.mark.parametrize(
    ("kwargs", "x_shape"),
    [
        ({"kernel_size": 3, "stride": 2, "padding": 1}, (2, 4, 9, 7)),
        ({"kernel_size": (2, 3), "padding": "same", "dilation": (3, 1)}, (4, 6, 5)),
        ({"kernel_size": (1, 3), "stride": (3, 1), "padding": "valid"}, (0, 4, 8, 6)),
        (
            {"kernel_size": 2, "padding": (2, 0), "padding_mode": "reflect", "groups": 2},
            (1, 4, 3, 5),
        ),
    ],
)
def test_shapes_agree_with_torch(kwargs: dict, x_shape: tuple[int, ...]) -> None:
    batch = x_shape[0] if len(x_shape) == 4 else None
    spec = LayerSpec(4, 6, input_size=x_shape[-2:], batch=batch, **kwargs)
    with quiet_torch():
        conv = torch.nn.Conv2d(4, 6, dtype=torch.float64, **kwargs)
        y = conv(torch.zeros(x_shape, dtype=torch.float64))
    assert spec.input_shape == x_shape
    assert spec.output_shape == tuple(y.shape)
    assert spec.weight_shape == tuple(conv.weight.shape)


def test_frozen_hashable_and_replace_validates_again() -> None:
    spec = LayerSpec(2, 2, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.groups = 2  # type: ignore[misc]
    assert hash(spec) == hash(LayerSpec(2, 2, (3, 3)))
    assert spec == LayerSpec(2, 2, (3, 3), stride=1, padding=0)
    assert spec.replace(groups=2).groups == 2
    with pytest.raises(ValueError) as excinfo:
        spec.replace(out_channels=3, groups=2)
    assert_names(excinfo, "out_channels 3", "groups 2")


def test_dict_round_trip() -> None:
    for spec in (
        LayerSpec(
            3,
            6,
            (2, 3),
            stride=(1, 2),
            padding=(1, 0),
            dilation=2,
            groups=3,
            bias=False,
            padding_mode="circular",
            input_size=(6, 7),
            batch=None,
            dtype="complex64",
        ),
        LayerSpec(1, 1, 4, padding="same", batch=0),
    ):
        data = spec.to_dict()
        assert LayerSpec.from_dict(data) == spec
        assert LayerSpec.from_dict(data).pads == spec.pads


def test_from_dict_names_unknown_and_missing_fields() -> None:
    with pytest.raises(ValueError) as excinfo:
        LayerSpec.from_dict({"in_channels": 1, "out_channels": 1, "kernel_size": 1, "colour": 3})
    assert_names(excinfo, "colour")
    assert_fields(excinfo, "colour")
    with pytest.raises(ValueError) as excinfo:
        LayerSpec.from_dict({"in_channels": 1})
    assert_names(excinfo, "out_channels", "kernel_size")
    assert_fields(excinfo, "kernel_size", "out_channels")
    with pytest.raises(SpecError, match="JSON object, got list"):
        LayerSpec.from_dict([1, 2])


# -- the spec's messages -----------------------------------------------------------------
def test_in_channels_not_divisible_by_groups() -> None:
    with pytest.raises(ValueError, match=r"^in_channels 3 is not divisible by groups 2$"):
        LayerSpec(3, 4, 3, groups=2)


def test_out_channels_not_divisible_by_groups() -> None:
    with pytest.raises(ValueError) as excinfo:
        LayerSpec(4, 3, 3, groups=2)
    assert_names(excinfo, "out_channels 3", "groups 2")


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"stride": 0}, ("stride", "0")),
        ({"dilation": (1, -2)}, ("dilation", "-2")),
        ({"kernel_size": (3, 0)}, ("kernel_size", "0")),
        ({"groups": 0}, ("groups", "0")),
        ({"in_channels": 0}, ("in_channels", "0")),
        ({"padding": (1, 2, 3)}, ("padding", "(1, 2, 3)")),
        ({"padding": "full"}, ("padding", "'full'")),
        ({"padding": -1}, ("padding", "-1", "zeros")),
        ({"padding_mode": "mirror"}, ("padding_mode", "'mirror'", "reflect")),
        ({"dtype": "int32"}, ("dtype", "'int32'", "float64")),
        ({"batch": -1}, ("batch", "-1")),
    ],
)
def test_bad_field_is_named_with_its_value(kwargs: dict, words: tuple[str, ...]) -> None:
    layer = {"in_channels": 2, "out_channels": 2, "kernel_size": 3} | kwargs
    with pytest.raises(ValueError) as excinfo:
        LayerSpec(**layer)
    assert_names(excinfo, *words)
    assert isinstance(excinfo.value, SpecError) and words[0] in excinfo.value.fields


def test_same_padding_with_stride_is_rejected_like_torch() -> None:
    with pytest.raises(ValueError):
        torch.nn.Conv2d(2, 2, 3, stride=(1, 2), padding="same")
    with pytest.raises(ValueError) as excinfo:
        LayerSpec(2, 2, 3, stride=(1, 2), padding="same")
    assert_names(excinfo, "'same'", "stride", "(1, 2)")


def test_reflect_padding_must_be_smaller_than_the_input() -> None:
    with pytest.raises(ValueError) as excinfo:
        LayerSpec(1, 1, 3, padding=(3, 1), padding_mode="reflect", input_size=(3, 8))
    assert_names(excinfo, "padding 3", "height 3", "reflect")
    # 'same' pads an even kernel unevenly; the larger side is the one that counts.
    with pytest.raises(ValueError) as excinfo:
        LayerSpec(1, 1, (1, 4), padding="same", padding_mode="reflect", input_size=(5, 2))
    assert_names(excinfo, "padding 2", "width 2", "reflect")


def test_circular_padding_may_equal_the_input_but_not_exceed_it() -> None:
    assert LayerSpec(1, 1, 1, padding=3, padding_mode="circular", input_size=3).output_size == (
        9,
        9,
    )
    with pytest.raises(ValueError) as excinfo:
        LayerSpec(1, 1, 1, padding=(0, 4), padding_mode="circular", input_size=3)
    assert_names(excinfo, "padding 4", "width 3", "circular")


def test_kernel_larger_than_the_padded_input() -> None:
    with pytest.raises(ValueError) as excinfo:
        LayerSpec(1, 1, 3, dilation=2, padding=(0, 1), input_size=(4, 9))
    assert_names(excinfo, "kernel", "height", "extent 5", "kernel_size 3", "dilation 2", "4")


# -- the API's messages ----------------------------------------------------------------------
X = np.zeros((1, 2, 5, 5))
W = np.zeros((3, 2, 3, 3))


def test_weight_dtype_must_match_the_input() -> None:
    with pytest.raises(ValueError) as excinfo:
        conv2d(X, W.astype(np.float32))
    assert_names(excinfo, "weight", "float32", "float64")
    assert_fields(excinfo, "weight", dtype="float32", expected="float64")
    with pytest.raises(ValueError) as excinfo:
        conv2d(X, W, np.zeros(3, dtype=np.complex128))
    assert_names(excinfo, "bias", "complex128", "float64")
    assert_fields(excinfo, "bias", dtype="complex128")
    with pytest.raises(ValueError) as excinfo:
        conv2d_input(X.shape, W, np.zeros((1, 3, 3, 3), dtype=np.float32))
    assert_names(excinfo, "grad_output", "float32", "float64")
    assert_fields(excinfo, "grad_output", dtype="float32")


def test_unsupported_dtype_is_named() -> None:
    with pytest.raises(ValueError) as excinfo:
        conv2d(X.astype(np.int64), W.astype(np.int64))
    assert_names(excinfo, "input", "int64")
    assert_fields(excinfo, "input", dtype="int64")
    with pytest.raises(ValueError) as excinfo:
        conv2d_bias(np.zeros((1, 3, 2, 2), dtype=np.float16))
    assert_names(excinfo, "grad_output", "float16")
    assert_fields(excinfo, "grad_output", dtype="float16")


def test_wrong_grad_output_shape_names_both_shapes() -> None:
    wrong = np.zeros((1, 3, 2, 2))
    for call in (
        lambda: conv2d_input(X.shape, W, wrong),
        lambda: conv2d_weight(X, W.shape, wrong),
    ):
        with pytest.raises(ValueError) as excinfo:
            call()
        assert_names(excinfo, "grad_output", "(1, 3, 2, 2)", "(1, 3, 3, 3)")
        assert_fields(excinfo, "grad_output", shape=(1, 3, 2, 2), expected=(1, 3, 3, 3))


@pytest.mark.parametrize(("call", "field", "words"), [
    (lambda: conv2d_input([1, 2.0, 5, 5], W, np.zeros((1, 3, 3, 3))), "input_size", ("2.0",)),
    (lambda: conv2d_input((2, 5, 5, 5, 5), W, np.zeros((1, 3, 3, 3))), "input_size",
     ("3 or 4", "5")),
    (lambda: conv2d_weight(X, (3, 2, 3), np.zeros((1, 3, 3, 3))), "weight_size", ("4", "3")),
])
def test_sizes_must_be_tuples_of_ints_of_a_length(call, field, words) -> None:
    with pytest.raises(ValueError) as excinfo:
        call()
    assert_names(excinfo, field, *words)
    assert_fields(excinfo, field)


def test_grad_bias_needs_3d_or_4d() -> None:
    with pytest.raises(ValueError) as excinfo:
        conv2d_bias(np.zeros((3, 4)))
    assert_names(excinfo, "grad_output", "(3, 4)")
    assert_fields(excinfo, "grad_output", shape=(3, 4))


def test_input_channels_must_match_the_weight() -> None:
    with pytest.raises(RuntimeError):
        build_conv(W, None)(torch.zeros(1, 4, 5, 5, dtype=torch.float64))
    with pytest.raises(ValueError) as excinfo:
        conv2d(np.zeros((1, 4, 5, 5)), W)
    assert_names(excinfo, "4 channels", "(3, 2, 3, 3)", "expects 2")
    assert_fields(excinfo, "input", "weight", "groups", channels=4, expected=2)


def test_input_and_weight_dimensions() -> None:
    with pytest.raises(ValueError) as excinfo:
        conv2d(np.zeros((1, 1, 2, 5, 5)), W)
    assert_names(excinfo, "input", "(1, 1, 2, 5, 5)")
    assert_fields(excinfo, "input", shape=(1, 1, 2, 5, 5))
    with pytest.raises(ValueError) as excinfo:
        conv2d(X, np.zeros((3, 2, 3)))
    assert_names(excinfo, "weight", "(3, 2, 3)")
    assert_fields(excinfo, "weight", shape=(3, 2, 3))
    with pytest.raises(ValueError) as excinfo:
        conv2d(X, np.zeros((0, 2, 3, 3)))
    assert_names(excinfo, "weight", "(0, 2, 3, 3)", "zero")
    assert_fields(excinfo, "weight", shape=(0, 2, 3, 3))
    with pytest.raises(ValueError) as excinfo:
        conv2d(np.zeros((1, 2, 0, 5)), W)
    assert_names(excinfo, "input", "(1, 2, 0, 5)", "zero")
    assert_fields(excinfo, "input", shape=(1, 2, 0, 5))


def test_bias_shape_is_checked() -> None:
    with pytest.raises(ValueError) as excinfo:
        conv2d(X, W, np.zeros(4))
    assert_names(excinfo, "bias", "(4,)", "(3,)")
    assert_fields(excinfo, "bias", shape=(4,), expected=(3,))


def test_compute_checks_arrays_against_the_spec() -> None:
    spec = LayerSpec(2, 3, 3, input_size=5, batch=1)
    gy = np.zeros(spec.output_shape)
    with pytest.raises(ValueError) as excinfo:
        compute(spec, np.zeros((1, 2, 6, 5)), W, np.zeros(3), gy)
    assert_names(excinfo, "input", "(1, 2, 6, 5)", "(1, 2, 5, 5)")
    assert_fields(excinfo, "input", shape=(1, 2, 6, 5), expected=(1, 2, 5, 5))
    with pytest.raises(ValueError) as excinfo:
        compute(spec, X, W, None, gy)
    assert_names(excinfo, "bias")
    assert_fields(excinfo, "bias")
    with pytest.raises(ValueError) as excinfo:
        compute(spec.replace(bias=False), X, W, np.zeros(3), gy)
    assert_names(excinfo, "bias", "off")
    assert_fields(excinfo, "bias")
    with pytest.raises(ValueError) as excinfo:
        compute(spec, X.astype(np.float32), W, np.zeros(3), gy)
    assert_names(excinfo, "input", "float32", "float64")
    assert_fields(excinfo, "input", dtype="float32", expected="float64")
    with pytest.raises(ValueError) as excinfo:
        compute(spec.to_dict(), X, W, np.zeros(3), gy)
    assert_names(excinfo, "spec", "LayerSpec", "dict")
    assert_fields(excinfo, "spec")


def test_unknown_backend_is_named() -> None:
    with pytest.raises(ValueError) as excinfo:
        conv2d(X, W, backend="jax")
    assert_names(excinfo, "backend", "'jax'", "numpy", "torch", "cuda")
    assert_fields(excinfo, "backend")


def test_cuda_backend_runs_or_says_why_not() -> None:
    if torch.cuda.is_available():
        assert conv2d(X, W, backend="cuda").shape == (1, 3, 3, 3)
        return
    with pytest.raises(ValueError) as excinfo:
        conv2d(X, W, backend="cuda")
    assert_names(excinfo, "cuda", "CUDA")


@pytest.mark.parametrize("dims", [2, 3])
def test_a_one_tuple_expands_where_torch_expands_it(dims):
    """torch's convolutions expand a 1-tuple stride, dilation, output_padding and (under
    'zeros') padding to every axis; not kernel_size, nor padding under another mode."""
    conv = getattr(torch.nn, f"Conv{dims}d")
    transposed = getattr(torch.nn, f"ConvTranspose{dims}d")
    x = torch.zeros((1, 2) + (6,) * dims, dtype=torch.float64)
    got = LayerSpec(2, 3, 3, stride=(2,), padding=(1,), dilation=(1,), input_size=6,
                    dims=dims)
    ref = conv(2, 3, 3, stride=(2,), padding=(1,), dilation=(1,)).double()(x)
    assert got.output_shape == tuple(ref.shape)
    got = LayerSpec(2, 3, 3, stride=(2,), padding=(1,), output_padding=(1,), input_size=6,
                    dims=dims, transposed=True)
    ref = transposed(2, 3, 3, stride=(2,), padding=(1,), output_padding=(1,)).double()(x)
    assert got.output_shape == tuple(ref.shape)
    for layer, kwargs in ((conv, {"kernel_size": (3,)}),
                          (conv, {"kernel_size": 3, "padding": (1,), "padding_mode": "reflect"})):
        with pytest.raises((RuntimeError, ValueError)):
            layer(2, 3, **kwargs).double()(x)
        with pytest.raises(SpecError) as caught:
            LayerSpec(2, 3, input_size=6, dims=dims, **kwargs)
        assert set(caught.value.fields) & {"kernel_size", "padding"}


def test_a_one_tuple_dilation_with_same_under_another_mode_is_refused_as_torch_misreads_it():
    """nn.Conv3d zips a 1-tuple dilation with the kernel size to pad 'same' for the other
    modes: it pads one axis (here none), so its output is not 'same'."""
    layer = torch.nn.Conv3d(1, 1, (1, 1, 2), padding="same", dilation=(2,),
                            padding_mode="reflect").double()
    assert layer(torch.zeros(1, 1, 3, 3, 4, dtype=torch.float64)).shape[-1] != 4
    with pytest.raises(SpecError) as caught:
        LayerSpec(1, 1, (1, 1, 2), padding="same", dilation=(2,), padding_mode="reflect",
                  input_size=(3, 3, 4), dims=3)
    assert set(caught.value.fields) == {"dilation", "padding", "padding_mode"}
    assert LayerSpec(1, 1, (1, 1, 2), padding="same", dilation=(2,), input_size=(3, 3, 4),
                     dims=3).output_size == (3, 3, 4)  # 'zeros': torch expands it


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"padding": "same", "stride": 2, "input_size": 10}, "stride 2:"),
    ({"padding": 6, "input_size": 4, "transposed": True}, "padding 6 crops"),
])
def test_a_conv1d_refusal_names_its_sizes_as_ints_not_one_tuples(kwargs, named) -> None:
    """A 1D layer's sizes are one per axis internally; its messages print the number."""
    with pytest.raises(SpecError) as caught:
        LayerSpec(2, 2, 3, dims=1, **kwargs)
    assert named in str(caught.value) and "(2,)" not in str(caught.value)
    assert "(6,)" not in str(caught.value)
