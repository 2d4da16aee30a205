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


PADDING_STRINGS = ("valid", "same")

#: The spatial axes' names in messages, per number of spatial dimensions d.
AXES: dict[int, tuple[str, ...]] = {
    1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")
}
DIMS = tuple(AXES)


def _dims(value: Any) -> int:
    if not _is_int(value) or int(value) not in DIMS:
        raise SpecError(
            f"dims must be 1, 2 or 3 (Conv1d, Conv2d, Conv3d), got {value!r}", ("dims",),
            value=value,
        )
    return int(value)


def _ntuple(name: str, value: Any, minimum: int | None, dims: int,
            one_for_all: bool = False) -> tuple[int, ...]:
    """``value`` as a d-tuple of ints: an int is repeated on every axis, as torch does.
    ``one_for_all``: a 1-tuple is too, as torch's convolutions expand stride, padding,
    dilation and output_padding (not kernel_size: its weight would have the wrong rank)."""
    what = {1: "an int or a 1-tuple", 2: "an int or a pair", 3: "an int or a triple"}[dims]
    seq = isinstance(value, Sequence) and not isinstance(value, str)
    if seq and one_for_all and len(value) == 1 and _is_int(value[0]):
        value = value[0]
    if _is_int(value):
        values = (int(value),) * dims
    elif seq and len(value) == dims and all(_is_int(v) for v in value):
        values = tuple(int(v) for v in value)
    else:
        raise SpecError(f"{name} must be {what} of ints, got {value!r}", (name,),
                        dims=dims)
    for v in values:
        if minimum is not None and v < minimum:
            raise SpecError(
                f"{name} must be >= {minimum}, got {value!r}", (name,), minimum=minimum, value=v
            )
    return values


def _pair(name: str, value: Any, minimum: int | None) -> Pair:
    return _ntuple(name, value, minimum, 2)  # type: ignore[return-value]


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
    input_shape: Sequence[int], weight_shape: Sequence[int], groups: int, transposed: bool,
    dims: int | None = None,
) -> tuple[int | None, int, int, tuple[int, ...], tuple[int, ...]]:
    """(batch, in_channels, out_channels, kernel_size, input_size) of a layer given arrays of
    these shapes, with torch's checks: the weight is (out, in/groups, *kernel), or for a
    transposed layer (in, out/groups, *kernel). ``dims``: the number of spatial axes (the
    function's: conv1d's is 1); ``None`` reads it from the weight's rank."""
    input_shape, weight_shape = tuple(input_shape), tuple(weight_shape)
    if dims is None:
        dims = len(weight_shape) - 2 if len(weight_shape) - 2 in DIMS else 2
    axes = "".join(f", {a[0].upper()}" for a in AXES[dims])
    kernel_axes = "".join(f", k{a[0].upper()}" for a in AXES[dims])
    if len(input_shape) not in (dims + 1, dims + 2):
        raise SpecError(
            f"input must be {dims + 1}D (C{axes}) or {dims + 2}D (N, C{axes}), "
            f"got shape {input_shape}",
            ("input",), shape=input_shape,
        )
    layout = ("in_channels, out_channels/groups" if transposed
              else "out_channels, in_channels/groups")
    if len(weight_shape) != dims + 2:
        raise SpecError(
            f"weight must be {dims + 2}D ({layout}{kernel_axes}), got shape {weight_shape}",
            ("weight",), shape=weight_shape,
        )
    batch = input_shape[: len(input_shape) - dims - 1]
    channels, size = input_shape[len(batch)], input_shape[len(batch) + 1:]
    first, per_group, *kernel = weight_shape
    if transposed and first != channels:
        raise SpecError(
            f"input has {channels} channels but weight {weight_shape} expects {first} "
            f"(a transposed weight is ({layout}{kernel_axes}))",
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
    if 0 in size:
        raise SpecError(f"input shape {input_shape} has a zero spatial dimension",
                        ("input",), shape=input_shape)
    out_channels = per_group * groups if transposed else first
    return (batch[0] if batch else None), channels, out_channels, tuple(kernel), tuple(size)


# -- a LayerSpec's own checks (it calls them as it is made) -----------------------------------
def normalised_padding(spec: LayerSpec) -> tuple[int, ...] | str:
    """The spec's padding as given, checked: a string, or one int per axis."""
    if isinstance(spec.padding, str):
        if spec.padding not in PADDING_STRINGS:
            raise SpecError(
                f"padding must be an int, a tuple of {spec.dims}, 'valid' or 'same', "
                f"got {spec.padding!r}",
                ("padding",),
            )
        if spec.padding == "same" and any(s != 1 for s in spec.stride):
            raise SpecError(
                f"padding 'same' is not supported for stride {per_axis(spec.stride)}: "
                "torch needs stride 1",
                ("padding", "stride"), stride=spec.stride,
            )
        return spec.padding
    # F.pad crops where a width is negative, so torch accepts negative padding for every
    # padding_mode but 'zeros' (whose convolution kernel refuses it).
    if (spec.padding_mode != "zeros" and spec.dims > 1 and isinstance(spec.padding, Sequence)
            and len(spec.padding) == 1):
        raise SpecError(
            f"padding {spec.padding!r} under padding_mode {spec.padding_mode!r} pads one "
            f"axis of {spec.dims} (F.pad takes the widths as given): give an int or "
            f"{spec.dims} values", ("padding", "padding_mode"),
        )
    sizes = _ntuple("padding", spec.padding, None, spec.dims,
                    one_for_all=spec.padding_mode == "zeros")
    if spec.padding_mode == "zeros" and min(sizes) < 0:
        raise SpecError(
            f"padding must be >= 0 for padding_mode 'zeros', got {spec.padding!r}",
            ("padding", "padding_mode"), padding=sizes,
        )
    return sizes


def per_axis(values) -> str:
    """A size (or axis letters) as a text names it: the one axis' value (``2``, not
    ``(2,)``), else the tuple ``(2, 1)``."""
    items = [str(v) for v in values]
    return items[0] if len(items) == 1 else f"({', '.join(items)})"


def resolved_pads(spec: LayerSpec) -> tuple[int, ...]:
    """Padding before and after each axis: (before0, after0, before1, after1, ...)."""
    if spec.causal:  # F.pad's (left, right) before the Conv1d
        return (spec.dilation[0] * (spec.kernel_size[0] - 1), 0)
    if spec.padding == "valid":
        return (0,) * 2 * spec.dims
    if spec.padding == "same":
        return tuple(
            p for k, d in zip(spec.kernel_size, spec.dilation, strict=True)
            for p in same_padding(k, d)
        )
    return tuple(p for p in spec.padding for _ in (0, 1))


def check_one_tuple_dilation(spec: LayerSpec) -> None:
    """torch's nn.ConvNd pads 'same' for the other modes itself, zipping the dilation with
    the kernel size: a 1-tuple dilation pads one axis of d (or none). Refused rather than
    computed differently from torch."""
    value = spec.dilation
    if (spec.dims > 1 and spec.padding == "same" and spec.padding_mode != "zeros"
            and isinstance(value, Sequence) and len(value) == 1):
        raise SpecError(
            f"dilation {value!r} with padding 'same' under padding_mode "
            f"{spec.padding_mode!r}: torch's Conv{spec.dims}d pads only one axis of "
            f"{spec.dims} then; give an int or {spec.dims} values",
            ("dilation", "padding", "padding_mode"),
        )


def check_transposed(spec: LayerSpec) -> None:
    if isinstance(spec.padding, str):
        raise SpecError(
            f"padding must be an int or {'a pair' if spec.dims == 2 else 'a tuple'} for a "
            f"transposed convolution, got {spec.padding!r}",
            ("padding",),
        )
    if spec.padding_mode != "zeros":
        raise SpecError(
            f"padding_mode must be 'zeros' for a transposed convolution (as "
            f"ConvTranspose{spec.dims}d), got {spec.padding_mode!r}",
            ("padding_mode",),
        )
    for axis, op, s, d in zip(AXES[spec.dims], spec.output_padding, spec.stride,
                              spec.dilation, strict=True):
        if op >= s and op >= d:
            raise SpecError(
                f"output_padding {op} must be smaller than either the stride {s} or the "
                f"dilation {d} ({axis})",
                ("output_padding", "stride", "dilation"),
                output_padding=op, stride=s, dilation=d,
            )


def check_causal(spec: LayerSpec) -> None:
    """A causal layer is ``F.pad(x, ((k-1)*dilation, 0))`` then an ``nn.Conv1d`` without
    padding: the padding is its own, so the Conv1d's must be 0 and zeros."""
    if spec.dims != 1 or spec.transposed:
        raise SpecError(
            "causal is for a Conv1d (dims 1, not transposed): the left padding of a "
            "TCN-style causal convolution", ("causal", "dims", "transposed"),
        )
    wrong = {}
    if spec.padding not in ((0,), "valid"):
        shown = per_axis(spec.padding) if isinstance(spec.padding, tuple) else repr(spec.padding)
        wrong["padding"] = f"padding 0, not {shown}"
    if spec.padding_mode != "zeros":
        wrong["padding_mode"] = f"padding_mode 'zeros', not {spec.padding_mode!r}"
    pad = (spec.kernel_size[0] - 1) * spec.dilation[0]
    if wrong:  # name and mark only what is wrong (a causal layer's padding (0,) is not)
        raise SpecError(
            f"a causal layer pads (k−1)·dilation = {pad} zeros on the left itself (F.pad): "
            f"its Conv1d needs {' and '.join(wrong.values())} — set "
            f"{'them' if len(wrong) > 1 else 'it'} so, or uncheck causal", ("causal", *wrong),
        )


def check_output_size(spec: LayerSpec) -> None:
    formulas = spec.output_size_formula()
    for axis, size, padding, formula in zip(AXES[spec.dims], spec.output_size, spec.padding,
                                            formulas, strict=True):
        if size < 1:
            raise SpecError(
                f"output {axis} would be {size}: padding {padding} crops more than "
                f"the transposed convolution makes ({formula})",
                ("padding", "input_size", "kernel_size"), size=size,
            )

def check_padding_fits(spec: LayerSpec) -> None:
    for axis, size, before, after in zip(
        AXES[spec.dims], spec.input_size, spec.pads[::2], spec.pads[1::2], strict=True
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
    for axis, padded, extent, k, d in zip(
        AXES[spec.dims], spec.padded_size, spec.kernel_extent, spec.kernel_size,
        spec.dilation, strict=True,
    ):
        if extent > padded:
            raise SpecError(
                f"kernel {axis} extent {extent} (kernel_size {k}, dilation {d}) is larger "
                f"than the padded input {axis} {padded}",
                ("kernel_size", "dilation", "padding", "input_size"),
                extent=extent, padded=padded,
            )
