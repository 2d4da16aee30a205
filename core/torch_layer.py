"""The torch layer a `LayerSpec` describes: its class, its constructor's arguments, the call.

One description for the three places that spell the layer out: the Layer panel's one-line
call, the "Copy as PyTorch code" script and the cross-check, which builds the layer in torch
(``getattr(torch.nn, layer_class(spec))(**layer_arguments(spec), dtype=...)``). torch itself
is not imported here.
"""

from __future__ import annotations

from typing import Any

from .spec import LayerSpec

#: The constructor's defaults: a short call leaves these arguments out.
_DEFAULTS: dict[str, Any] = {
    "stride": (1, 1),
    "padding": (0, 0),
    "output_padding": (0, 0),
    "dilation": (1, 1),
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


#: The layer kinds by torch's class name, and whether each is transposed.
KINDS = {"Conv2d": False, "ConvTranspose2d": True}


def kind_name(transposed: bool) -> str:
    """The ``torch.nn`` class of a layer that is (or is not) transposed."""
    return next(name for name, t in KINDS.items() if t == transposed)


def layer_class(spec: LayerSpec) -> str:
    """The ``torch.nn`` class: ``Conv2d``, or ``ConvTranspose2d`` for a transposed spec."""
    return kind_name(spec.transposed)


def layer_arguments(spec: LayerSpec) -> dict[str, Any]:
    """The constructor's keyword arguments for ``spec`` (all of them but dtype and device)."""
    args: dict[str, Any] = {
        "in_channels": spec.in_channels,
        "out_channels": spec.out_channels,
        "kernel_size": spec.kernel_size,
        "stride": spec.stride,
        "padding": spec.padding,
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


def layer_call(spec: LayerSpec, dtype: str, *, full: bool = False) -> str:
    """The constructor call as Python text; ``dtype`` is the text of its dtype argument.

    Short (the default): ``nn.Conv2d(3, 4, kernel_size=3, padding=1, dtype=torch.float64)``,
    the channels by position and only the arguments that differ from torch's defaults, an
    equal pair as one int. ``full``: every argument by name, one line per group::

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
        texts["dtype"] = f"dtype={dtype}"
        lines = [", ".join(texts[n] for n in names if n in texts) for names in _LINES]
        return head + "".join(f"\n    {line}," for line in lines) + "\n)"
    parts = [str(args.pop("in_channels")), str(args.pop("out_channels")),
             f"kernel_size={_short(args.pop('kernel_size'))}"]
    parts += [f"{name}={_short(value)}" for name, value in args.items()
              if value != _DEFAULTS[name]]
    parts.append(f"dtype={dtype}")
    return f"{head}{', '.join(parts)})"
