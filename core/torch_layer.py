"""The torch layer a `LayerSpec` describes: its class, its constructor's arguments, the call.

One description for the places that spell the layer out: the Layer panel's one-line call,
the "Copy as PyTorch code" script, the exported ``spec.json`` and the cross-check, which
builds the layer in torch (``getattr(torch.nn, layer_class(spec))(**layer_arguments(spec),
dtype=...)``). A causal Conv1d is the TCN/WaveNet form: ``F.pad(x, ((k-1)*dilation, 0))``
(`causal_pad`, `pad_call`) before an ``nn.Conv1d`` with ``padding=0``. torch itself is not
imported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .spec import LayerSpec

#: The constructor's defaults (per axis: an int stands for every axis): a short call leaves
#: these arguments out.
_DEFAULTS: dict[str, Any] = {
    "stride": 1,
    "padding": 0,
    "output_padding": 0,
    "dilation": 1,
    "groups": 1,
    "bias": True,
    "padding_mode": "zeros",
}
#: How a full call breaks into lines: the channels and the kernel, the geometry, the rest.
_LINES = (
    ("in_channels", "out_channels", "kernel_size"),
    ("stride", "padding", "output_padding", "dilation", "groups"),
    ("bias", "padding_mode", "dtype"),
)


@dataclass(frozen=True)
class Kind:
    """One of torch's convolution classes: its number of spatial axes and whether it is
    transposed (``name``: ``Conv1d`` … ``ConvTranspose3d``)."""

    dims: int
    transposed: bool

    @property
    def name(self) -> str:
        return f"Conv{'Transpose' if self.transposed else ''}{self.dims}d"


#: Every layer kind by torch's class name: Conv1d, Conv2d, Conv3d, ConvTranspose1d, 2d, 3d.
KINDS: dict[str, Kind] = {
    k.name: k for k in (Kind(d, t) for t in (False, True) for d in (1, 2, 3))
}


def kinds(dims: int = 2) -> dict[str, bool]:
    """The two kinds of ``dims`` spatial axes by class name, and whether each is transposed
    (``{"Conv2d": False, "ConvTranspose2d": True}``): the choice a weight of one rank
    leaves open (a state_dict does not say which)."""
    return {name: k.transposed for name, k in KINDS.items() if k.dims == dims}


def kind_name(transposed: bool, dims: int = 2) -> str:
    """The ``torch.nn`` class of a layer with ``dims`` spatial axes that is (or is not)
    transposed."""
    return Kind(dims, transposed).name


def layer_class(spec: LayerSpec) -> str:
    """The ``torch.nn`` class: ``Conv{d}d``, or ``ConvTranspose{d}d`` for a transposed spec
    (a causal layer is an ``nn.Conv1d`` after `causal_pad`)."""
    return kind_name(spec.transposed, spec.dims)


def causal_pad(spec: LayerSpec) -> tuple[int, int] | None:
    """``F.pad``'s (left, right) before a causal layer: ((k-1)*dilation, 0); None when the
    layer is not causal (its padding is the constructor's own)."""
    if not spec.causal:
        return None
    return (spec.dilation[0] * (spec.kernel_size[0] - 1), 0)


def pad_call(spec: LayerSpec, x: str = "x", *, named: bool = False) -> str | None:
    """The ``F.pad`` call a causal layer applies to ``x`` first, torch's formula with the
    numbers in: ``F.pad(x, ((3 - 1) * 2, 0))`` for kernel 3, dilation 2 (``named``:
    ``F.pad(x, ((k - 1) * dilation, 0))``, for a script that sets ``k`` and ``dilation``);
    None when the layer is not causal."""
    if not spec.causal:
        return None
    k, dilation = ("k", "dilation") if named else (spec.kernel_size[0], spec.dilation[0])
    return f"F.pad({x}, (({k} - 1) * {dilation}, 0))"


def layer_arguments(spec: LayerSpec) -> dict[str, Any]:
    """The constructor's keyword arguments for ``spec`` (all of them but dtype and device);
    a causal layer's padding is 0 (`causal_pad` pads before it)."""
    args: dict[str, Any] = {
        "in_channels": spec.in_channels,
        "out_channels": spec.out_channels,
        "kernel_size": spec.kernel_size,
        "stride": spec.stride,
        "padding": (0,) if spec.causal else spec.padding,
    }
    if spec.transposed:
        args["output_padding"] = spec.output_padding
    args.update(dilation=spec.dilation, groups=spec.groups, bias=spec.bias,
                padding_mode=spec.padding_mode)
    return args


def _short(value: Any) -> str:
    if isinstance(value, tuple) and len(set(value)) == 1:
        value = value[0]
    return repr(value)


def _is_default(name: str, value: Any) -> bool:
    default = _DEFAULTS[name]
    if isinstance(value, tuple):
        return all(v == default for v in value)
    return value == default


def layer_call(spec: LayerSpec, dtype: str, *, full: bool = False) -> str:
    """The constructor call as Python text; ``dtype`` is the text of its dtype argument.

    Short (the default): ``nn.Conv2d(3, 4, kernel_size=3, padding=1, dtype=torch.float64)``,
    the channels by position and only the arguments that differ from torch's defaults, a
    tuple of equal values as one int (a causal layer says ``padding=0``: the padding is
    `pad_call`'s). ``full``: every argument by name, one line per group::

        nn.Conv2d(
            in_channels=3, out_channels=4, kernel_size=(3, 3),
            stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1,
            bias=True, padding_mode='zeros', dtype=dtype,
        )
    """
    args = layer_arguments(spec)
    head = f"nn.{layer_class(spec)}("
    if full:
        texts = {name: f"{name}={value!r}" for name, value in args.items()}
        if spec.causal:  # the padding is F.pad's: say plainly that the layer has none
            texts["padding"] = "padding=0"
        texts["dtype"] = f"dtype={dtype}"
        lines = [", ".join(texts[n] for n in names if n in texts) for names in _LINES]
        return head + "".join(f"\n    {line}," for line in lines) + "\n)"
    parts = [str(args.pop("in_channels")), str(args.pop("out_channels")),
             f"kernel_size={_short(args.pop('kernel_size'))}"]
    parts += [f"{name}={_short(value)}" for name, value in args.items()
              if not _is_default(name, value) or (name == "padding" and spec.causal)]
    parts.append(f"dtype={dtype}")
    return f"{head}{', '.join(parts)})"
