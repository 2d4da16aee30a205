"""What a layer's arguments must be, before they make a `LayerSpec`: ints, pairs, counts
and the shapes of the arrays a layer is given — and `SpecError`, what a refusal raises.

Kept apart from `core.spec` so that the spec holds the layer and this the checks every
entry point (the spec, the public functions, imports) shares, with torch's rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .spec import LayerSpec

Pair = tuple[int, int]


class SpecError(ValueError):
    """A layer, argument or tensor that torch would refuse.

    ``fields`` names the spec fields (or function arguments) the refusal concerns, so that
    an editor can mark them; ``numbers`` holds the values the message quotes.
    """

    def __init__(self, message: str, fields: Sequence[str] = (), **numbers: Any) -> None:
        super().__init__(message)
        self.fields: tuple[str, ...] = tuple(fields)
        self.numbers: dict[str, Any] = numbers


def _is_int(value: Any) -> bool:
    # bool is an int subclass, and numpy integers are not ints: accept the second, refuse the
    # first (numpy's bool too, as torch does); a 0-d array is not an int either.
    return (
        not isinstance(value, (bool, np.bool_, np.ndarray))
        and hasattr(value, "__index__")
    )


def _pair(name: str, value: Any, minimum: int | None) -> Pair:
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        if not all(_is_int(v) for v in value):
            raise SpecError(f"{name} must be an int or a pair of ints, got {value!r}", (name,))
        pair = (int(value[0]), int(value[1]))
    else:
        raise SpecError(f"{name} must be an int or a pair of ints, got {value!r}", (name,))
    for v in pair:
        if minimum is not None and v < minimum:
            raise SpecError(
                f"{name} must be >= {minimum}, got {value!r}", (name,), minimum=minimum, value=v
            )
    return pair


def _count(name: str, value: Any, minimum: int) -> int:
    if not _is_int(value):
        raise SpecError(f"{name} must be an int, got {value!r}", (name,))
    if int(value) < minimum:
        raise SpecError(
            f"{name} must be >= {minimum}, got {value}", (name,), minimum=minimum, value=int(value)
        )
    return int(value)


def same_padding(kernel: int, dilation: int) -> tuple[int, int]:
    """Padding before/after that keeps the size at stride 1; the odd one goes after, as torch."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def layer_shapes(
    input_shape: Sequence[int], weight_shape: Sequence[int], groups: int, transposed: bool
) -> tuple[int | None, int, int, Pair, Pair]:
    """(batch, in_channels, out_channels, kernel_size, input_size) of a layer given arrays of
    these shapes, with torch's checks: the weight is (out, in/groups, kH, kW), or for a
    transposed layer (in, out/groups, kH, kW)."""
    input_shape, weight_shape = tuple(input_shape), tuple(weight_shape)
    if len(input_shape) not in (3, 4):
        raise SpecError(
            f"input must be 3D (C, H, W) or 4D (N, C, H, W), got shape {input_shape}",
            ("input",), shape=input_shape,
        )
    layout = ("in_channels, out_channels/groups" if transposed
              else "out_channels, in_channels/groups")
    if len(weight_shape) != 4:
        raise SpecError(
            f"weight must be 4D ({layout}, kH, kW), got shape {weight_shape}",
            ("weight",), shape=weight_shape,
        )
    *batch, channels, height, width = input_shape
    first, per_group, kh, kw = weight_shape
    if transposed and first != channels:
        raise SpecError(
            f"input has {channels} channels but weight {weight_shape} expects {first} "
            f"(a transposed weight is ({layout}, kH, kW))",
            ("input", "weight"), channels=channels, expected=first,
        )
    if not transposed and per_group * groups != channels:
        raise SpecError(
            f"input has {channels} channels but weight {weight_shape} with groups {groups} "
            f"expects {per_group * groups}",
            ("input", "weight", "groups"),
            channels=channels, weight_shape=weight_shape, groups=groups,
            expected=per_group * groups,
        )
    if 0 in weight_shape:
        raise SpecError(f"weight shape {weight_shape} has a zero dimension", ("weight",),
                        shape=weight_shape)
    if height == 0 or width == 0:
        raise SpecError(f"input shape {input_shape} has a zero spatial dimension",
                        ("input",), shape=input_shape)
    out_channels = per_group * groups if transposed else first
    return (batch[0] if batch else None), channels, out_channels, (kh, kw), (height, width)


# -- a LayerSpec's own checks (it calls them as it is made) -----------------------------------
def check_transposed(spec: LayerSpec) -> None:
    if isinstance(spec.padding, str):
        raise SpecError(
            f"padding must be an int or a pair for a transposed convolution, "
            f"got {spec.padding!r}",
            ("padding",),
        )
    if spec.padding_mode != "zeros":
        raise SpecError(
            f"padding_mode must be 'zeros' for a transposed convolution (as "
            f"ConvTranspose2d), got {spec.padding_mode!r}",
            ("padding_mode",),
        )
    for axis, op, s, d in zip(("height", "width"), spec.output_padding, spec.stride,
                              spec.dilation, strict=True):
        if op >= s and op >= d:
            raise SpecError(
                f"output_padding {op} must be smaller than either the stride {s} or the "
                f"dilation {d} ({axis})",
                ("output_padding", "stride", "dilation"),
                output_padding=op, stride=s, dilation=d,
            )

def check_output_size(spec: LayerSpec) -> None:
    formulas = spec.output_size_formula()
    for axis, size, formula in zip(("height", "width"), spec.output_size, formulas,
                                   strict=True):
        if size < 1:
            raise SpecError(
                f"output {axis} would be {size}: padding {spec.padding} crops more than "
                f"the transposed convolution makes ({formula})",
                ("padding", "input_size", "kernel_size"), size=size,
            )

def check_padding_fits(spec: LayerSpec) -> None:
    top, bottom, left, right = spec.pads
    for axis, size, before, after in (
        ("height", spec.input_size[0], top, bottom),
        ("width", spec.input_size[1], left, right),
    ):
        largest = max(before, after)
        if spec.padding_mode == "reflect" and largest >= size:
            raise SpecError(
                f"padding {largest} must be smaller than the input {axis} {size} "
                "for padding_mode 'reflect'",
                ("padding", "padding_mode", "input_size"), padding=largest, size=size,
            )
        if spec.padding_mode == "circular" and largest > size:
            raise SpecError(
                f"padding {largest} must be at most the input {axis} {size} "
                "for padding_mode 'circular'",
                ("padding", "padding_mode", "input_size"), padding=largest, size=size,
            )

def check_kernel_fits(spec: LayerSpec) -> None:
    for axis, padded, extent, k, d in (
        ("height", spec.padded_size[0], spec.kernel_extent[0], spec.kernel_size[0],
         spec.dilation[0]),
        ("width", spec.padded_size[1], spec.kernel_extent[1], spec.kernel_size[1],
         spec.dilation[1]),
    ):
        if extent > padded:
            raise SpecError(
                f"kernel {axis} extent {extent} (kernel_size {k}, dilation {d}) is larger "
                f"than the padded input {axis} {padded}",
                ("kernel_size", "dilation", "padding", "input_size"),
                extent=extent, padded=padded,
            )
