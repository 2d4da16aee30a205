"""LayerSpec: one immutable description of a convolution layer and the tensors around it.

An ``nn.Conv1d``, ``nn.Conv2d`` or ``nn.Conv3d`` (``dims`` spatial axes), or with
``transposed=True`` their ``nn.ConvTranspose`` forms. Every hyperparameter is normalised
here (ints to d-tuples, padding strings resolved to before/after per axis) and validated
here, once: a refusal is a `SpecError` naming the
fields it concerns and the numbers. The API, the app and saved sessions all share this
object; `shape` gives every tensor's shape (the names are `core.tensors`').
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .spec_args import (
    AXES,
    SpecError,
    _count,
    _dims,
    _ntuple,
    check_causal,
    check_kernel_fits,
    check_one_tuple_dilation,
    check_output_size,
    check_padding_fits,
    check_transposed,
    layer_shapes,
    normalised_padding,
    resolved_pads,
    same_padding,
)
from .tensors import tensor

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
DTYPES = ("float32", "float64", "complex64", "complex128")

Pair = tuple[int, int]
Sizes = tuple[int, ...]  # one int per spatial axis
__all__ = ["AXES", "DTYPES", "PADDING_MODES", "LayerSpec", "SpecError", "same_padding"]


@dataclass(frozen=True)
class LayerSpec:
    """An ``nn.Conv1d/2d/3d`` layer plus the shape of the input it is applied to.

    Parameters
    ----------
    in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
    padding_mode
        As ``torch.nn.Conv{dims}d``: an int stands for the same value on every axis, a tuple
        has one per axis. ``padding`` may also be ``'valid'`` or ``'same'``; a negative
        padding crops, which torch allows for every ``padding_mode`` but 'zeros'.
    input_size : one int per spatial axis ((L,), (H, W) or (D, H, W))
        Spatial size of the input.
    batch : int or None
        Batch size; ``None`` means an unbatched (C, H, W) input. ``0`` is an empty batch.
    dtype : str
        One of ``DTYPES``.
    dims : 1, 2 or 3
        The number of spatial axes: Conv1d, Conv2d or Conv3d. Every tuple has this length.
    causal : bool
        Conv1d only: ``F.pad(x, ((k-1)*dilation, 0))`` before an ``nn.Conv1d`` with no padding
        of its own, the TCN/WaveNet causal convolution (an output sees no later input).
    transposed : bool
        An ``nn.ConvTranspose{dims}d``: the weight is (in_channels, out_channels/groups, *k),
        each input pixel paints a copy of the kernel onto the output, ``padding`` crops
        the result's border (ints only, ``padding_mode`` 'zeros' only).
    output_padding : one int per axis
        Transposed only: entries added at the end of each output axis; each
        smaller than the stride or the dilation of its axis, as torch requires.

    Raises
    ------
    SpecError
        For every configuration torch rejects, naming the fields and the numbers.
    """

    in_channels: int
    out_channels: int
    kernel_size: Sizes
    stride: Sizes = 1  # type: ignore[assignment]  # a d-tuple once made
    padding: Sizes | str = 0  # type: ignore[assignment]
    dilation: Sizes = 1  # type: ignore[assignment]
    groups: int = 1
    bias: bool = True
    padding_mode: str = "zeros"
    input_size: Sizes = 5  # type: ignore[assignment]
    batch: int | None = 1
    dtype: str = "float64"
    transposed: bool = False
    output_padding: Sizes = 0  # type: ignore[assignment]
    dims: int = 2
    causal: bool = False
    #: padding before and after each axis: (before0, after0, before1, after1, ...)
    pads: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "dims", _dims(self.dims))
        d = self.dims
        put(self, "in_channels", _count("in_channels", self.in_channels, 1))
        put(self, "out_channels", _count("out_channels", self.out_channels, 1))
        put(self, "kernel_size", _ntuple("kernel_size", self.kernel_size, 1, d))
        put(self, "stride", _ntuple("stride", self.stride, 1, d, one_for_all=True))
        check_one_tuple_dilation(self)
        put(self, "dilation", _ntuple("dilation", self.dilation, 1, d, one_for_all=True))
        put(self, "groups", _count("groups", self.groups, 1))
        put(self, "input_size", _ntuple("input_size", self.input_size, 1, d))
        if self.batch is not None:
            put(self, "batch", _count("batch", self.batch, 0))
        for name in ("bias", "transposed", "causal"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(
                    f"{name} must be True or False, got {getattr(self, name)!r}", (name,)
                )
        if self.padding_mode not in PADDING_MODES:
            raise SpecError(
                f"padding_mode must be one of {', '.join(PADDING_MODES)}, "
                f"got {self.padding_mode!r}",
                ("padding_mode",),
            )
        if self.dtype not in DTYPES:
            raise SpecError(
                f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}", ("dtype",)
            )
        for name in ("in_channels", "out_channels"):
            if getattr(self, name) % self.groups:
                raise SpecError(
                    f"{name} {getattr(self, name)} is not divisible by groups {self.groups}",
                    (name, "groups"), channels=getattr(self, name), groups=self.groups,
                )
        put(self, "output_padding",
            _ntuple("output_padding", self.output_padding, 0, d, one_for_all=True))
        if self.transposed:
            check_transposed(self)
        elif any(self.output_padding):
            raise SpecError(
                f"output_padding {self.output_padding} is only for a transposed convolution "
                f"(ConvTranspose{d}d); a Conv{d}d has none",
                ("output_padding",),
            )
        put(self, "padding", normalised_padding(self))
        if self.causal:
            check_causal(self)
        put(self, "pads", resolved_pads(self))
        if self.transposed:
            check_output_size(self)
        else:
            check_padding_fits(self)
            check_kernel_fits(self)

    # -- derived shapes ------------------------------------------------------------------
    @property
    def batched(self) -> bool:
        return self.batch is not None

    @cached_property  # read many times per call of the pipeline
    def kernel_extent(self) -> Sizes:
        """Entries of the padded input one kernel window spans, per axis."""
        return tuple(
            d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation, strict=True)
        )

    @property
    def padded_tensor(self) -> str:
        """The tensor ``padding`` applies to: a Conv2d pads its input, a transposed
        convolution crops its output (the full result is the output padded back)."""
        return "output" if self.transposed else "input"

    @cached_property  # read many times per call of the pipeline
    def padded_size(self) -> Sizes:
        """The padded input's size; for a transposed layer, the output's before cropping."""
        sizes = self.output_size if self.transposed else self.input_size
        return tuple(
            n + before + after
            for n, before, after in zip(sizes, self.pads[::2], self.pads[1::2], strict=True)
        )

    @cached_property  # read many times per call of the pipeline
    def output_size(self) -> Sizes:
        if self.transposed:
            return tuple(
                (size - 1) * s - before - after + extent + op
                for size, s, before, after, extent, op in zip(
                    self.input_size, self.stride, self.pads[::2], self.pads[1::2],
                    self.kernel_extent, self.output_padding, strict=True,
                )
            )
        return tuple(
            (padded - extent) // s + 1
            for padded, extent, s in zip(
                self.padded_size, self.kernel_extent, self.stride, strict=True
            )
        )

    @property
    def in_per_group(self) -> int:
        return self.in_channels // self.groups

    @property
    def out_per_group(self) -> int:
        return self.out_channels // self.groups

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self._with_batch((self.in_channels, *self.input_size))

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self._with_batch((self.out_channels, *self.output_size))

    @cached_property  # read many times per call of the pipeline
    def weight_shape(self) -> tuple[int, ...]:
        if self.transposed:  # as ConvTranspose2d: (in, out/groups, kH, kW)
            return (self.in_channels, self.out_per_group, *self.kernel_size)
        return (self.out_channels, self.in_per_group, *self.kernel_size)

    @property
    def bias_shape(self) -> tuple[int] | None:
        return (self.out_channels,) if self.bias else None

    def _with_batch(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return shape if self.batch is None else (self.batch, *shape)

    def shape(self, name: str, padded: bool = False) -> tuple[int, ...] | None:
        """The shape of tensor ``name`` (see `core.tensors`); ``None`` for a bias the layer
        does not have. ``padded``: the padded form of the tensor padding applies to
        (`padded_tensor`, and its gradient), the others as they are."""
        layout = tensor(name).layout
        if layout == "bias":
            return self.bias_shape
        if layout == "weight":
            return self.weight_shape
        full = self.input_shape if layout == "input" else self.output_shape
        if padded and layout == self.padded_tensor:
            return (*full[: -self.dims], *self.padded_size)
        return full

    def lead_axes(self, name: str) -> tuple[str, ...]:
        """The names of tensor ``name``'s leading (non-spatial) axes in the batched form
        (see `core.tensors`): a transposed layer's weight is (in, out/groups, ...), so
        ("c", "o") where a Conv2d's is ("o", "c")."""
        t = tensor(name)
        if self.transposed and t.layout == "weight":
            return t.lead_axes[::-1]
        return t.lead_axes

    def output_size_formula(self) -> tuple[str, ...]:
        """The output-size formula per axis with the numbers filled in, for display."""
        lines = []
        for i, (before, after) in enumerate(zip(self.pads[::2], self.pads[1::2], strict=True)):
            size, k = self.input_size[i], self.kernel_size[i]
            d, s = self.dilation[i], self.stride[i]
            if self.transposed:
                lines.append(
                    f"({size} − 1)·{s} − {before} − {after} + {d}·({k} − 1) + "
                    f"{self.output_padding[i]} + 1 = {self.output_size[i]}"
                )
                continue
            lines.append(
                f"⌊({size} + {before} + {after} − {d}·({k} − 1) − 1) / {s}⌋ + 1 = "
                f"{self.output_size[i]}"
            )
        return tuple(lines)

    # -- torch's own layer -----------------------------------------------------------------
    def as_conv(self) -> LayerSpec:
        """For a transposed layer, the Conv2d whose input gradient is its forward pass.

        ``conv_transpose2d(x, W) == conv2d_input(output_shape, conj(W), x)`` and its
        grad_input is ``conv2d(grad_output, conj(W))``: the Conv2d maps the transposed
        output's size (its input) back to the transposed input's (its output), with the
        same weight, stride, padding, dilation and groups, channels swapped, no bias.
        Where an output_padding reaches the stride (allowed below the dilation) the Conv2d
        has `conv_extra` more output rows/columns than the transposed input: they read
        rows of the output that no input pixel paints, and the transposed input stands for
        them as zeros. A Conv2d spec is its own.
        """
        return self._conv if self.transposed else self

    @cached_property  # asked for several times per call of a transposed layer
    def _conv(self) -> LayerSpec:
        return LayerSpec(
            in_channels=self.out_channels,
            out_channels=self.in_channels,
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            bias=False,
            input_size=self.output_size,
            batch=self.batch,
            dtype=self.dtype,
            dims=self.dims,
        )

    @cached_property
    def conv_extra(self) -> Sizes:
        """Entries per axis `as_conv`'s output has beyond this layer's input (output_padding
        // stride per axis; zeros for a convolution)."""
        if not self.transposed:
            return (0,) * self.dims
        return tuple(
            c - n for n, c in zip(self.input_size, self.as_conv().output_size, strict=True)
        )

    # -- construction and serialisation --------------------------------------------------
    def replace(self, **changes: Any) -> LayerSpec:
        """A copy with some fields changed, validated again."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with torch's keyword names; tuples become lists."""
        padding = self.padding if isinstance(self.padding, str) else list(self.padding)
        data: dict[str, Any] = {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": padding,
            "dilation": list(self.dilation),
            "groups": self.groups,
            "bias": self.bias,
            "padding_mode": self.padding_mode,
            "input_size": list(self.input_size),
            "batch": self.batch,
            "dtype": self.dtype,
        }
        if self.transposed:  # a Conv2d's dict keeps the keys nn.Conv2d has
            data["transposed"] = True
            data["output_padding"] = list(self.output_padding)
        if self.dims != 2:  # files written before Conv1d/Conv3d are 2D and have no key
            data["dims"] = self.dims
        if self.causal:
            data["causal"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerSpec:
        """Inverse of `to_dict`; unknown or missing keys raise `SpecError` naming them."""
        if not isinstance(data, dict):
            raise SpecError(f"a layer spec must be a JSON object, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(data) - names)
        if unknown:
            raise SpecError(f"unknown spec field(s): {', '.join(unknown)}", unknown)
        missing = sorted({"in_channels", "out_channels", "kernel_size"} - set(data))
        if missing:
            raise SpecError(f"spec is missing field(s): {', '.join(missing)}", missing)
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**kwargs)

    @classmethod
    def from_arrays(
        cls,
        input_shape: Sequence[int],
        weight_shape: Sequence[int],
        *,
        bias: bool,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: Any = 1,
        padding_mode: str = "zeros",
        dtype: str = "float64",
        transposed: bool = False,
        output_padding: Any = 0,
        dims: int | None = None,
    ) -> LayerSpec:
        """The spec that ``F.conv2d(input, weight, ...)`` (``transposed``:
        ``F.conv_transpose2d``; ``dims`` 1 or 3: conv1d, conv3d) describes, with torch's
        shape checks. ``dims`` None reads it from the weight's rank."""
        groups = _count("groups", groups, 1)
        if dims is not None:
            dims = _dims(dims)
        batch, channels, out_channels, kernel, size = layer_shapes(
            input_shape, weight_shape, groups, transposed, dims
        )
        return cls(
            in_channels=channels,
            out_channels=out_channels,
            kernel_size=kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
            padding_mode=padding_mode,
            input_size=size,
            batch=batch,
            dtype=dtype,
            transposed=transposed,
            output_padding=output_padding,
            dims=len(kernel),
        )
