"""A live ``nn.Conv1d/2d/3d`` or ``nn.ConvTranspose1d/2d/3d`` and its tensors as a session:
what ``gui.show`` opens.

Duck-typed: nothing here imports torch (a module passed in means torch is loaded already).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import budget
from ..session import Session
from ..spec import DTYPES, LayerSpec, SpecError
from ..torch_layer import KINDS, Kind


def to_numpy(value: Any, name: str) -> np.ndarray:
    """A torch tensor (any device, requiring grad or not) or array-like as a numpy copy."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu()
        if hasattr(value, "resolve_conj"):
            value = value.resolve_conj()
        value = value.numpy()
    try:
        a = np.array(value, copy=True)
    except (TypeError, ValueError) as e:
        raise SpecError(f"{name} must be a tensor or an array: {e}", (name,)) from None
    if a.dtype.kind not in "fciu":
        raise SpecError(f"{name} must hold numbers, got dtype {a.dtype}", (name,),
                        dtype=a.dtype.name)
    return a


def layer_kind(layer: Any) -> Kind:
    """The kind of ``layer`` (an ``nn.Conv1d/2d/3d`` or ``nn.ConvTranspose1d/2d/3d``, or a
    subclass); a SpecError naming its class for anything else (Linear, a lazy layer…)."""
    for cls in type(layer).__mro__:
        kind = KINDS.get(cls.__name__)
        if kind is not None and bool(getattr(layer, "transposed", False)) == kind.transposed:
            return kind
    raise SpecError(f"layer must be a torch.nn convolution ({', '.join(KINDS)}), got "
                    f"{type(layer).__name__}", ("layer",))


def session_from_module(layer: Any, input: Any, grad_output: Any = None) -> Session:
    """The session of ``layer`` (an ``nn.Conv1d/2d/3d`` or ``nn.ConvTranspose1d/2d/3d``)
    applied to ``input``.

    Hyperparameters (padding_mode, output_padding), weight and bias come from the module
    (a ConvTranspose2d's weight is (in, out/groups, kH, kW)); the input's rank must be the
    layer's ((N,) C and one axis per spatial dimension); its forward is taken as
    ``layer(input)``, without an ``output_size`` argument. The dtype is the weight's
    (float32, float64, complex64 or complex128), and ``input`` and ``grad_output`` are
    converted to it, as ``layer.to(x.dtype)`` users expect of numpy's float64 arrays.
    ``grad_output`` defaults to ones (the gradient of ``output.sum()``).

    Raises
    ------
    ValueError
        For anything but one of those layers, an unsupported dtype, shapes torch
        would reject (naming them), a grad_output whose shape is not the output's, or a
        layer over the memory limit (`budget.BudgetError`).
    """
    kind = layer_kind(layer)
    weight = to_numpy(layer.weight, "layer.weight")
    dtype = weight.dtype.name
    if dtype not in DTYPES:
        raise SpecError(f"layer.weight has dtype {dtype}; ConvViz computes in "
                        f"{', '.join(DTYPES)} (convert with layer.double() or layer.float())",
                        ("layer.weight",), dtype=dtype)
    bias = None if layer.bias is None else to_numpy(layer.bias, "layer.bias")
    x = to_numpy(input, "input")
    spec = LayerSpec.from_arrays(
        x.shape, weight.shape, bias=bias is not None, stride=tuple(layer.stride),
        padding=layer.padding if isinstance(layer.padding, str) else tuple(layer.padding),
        dilation=tuple(layer.dilation), groups=layer.groups, padding_mode=layer.padding_mode,
        dtype=dtype, transposed=kind.transposed,
        output_padding=tuple(getattr(layer, "output_padding", None) or (0,) * kind.dims),
        dims=kind.dims)
    budget.check(spec, what="this layer and input")
    if grad_output is None:
        gy = np.ones(spec.output_shape, dtype=dtype)
    else:
        gy = to_numpy(grad_output, "grad_output")
        if gy.shape != spec.output_shape:
            raise SpecError(f"grad_output has shape {gy.shape} but the layer's output has "
                            f"shape {spec.output_shape}", ("grad_output",), shape=gy.shape,
                            expected=spec.output_shape)
    if np.iscomplexobj(x) and weight.dtype.kind != "c":
        raise SpecError(f"input is complex but the layer is {dtype}", ("input",),
                        dtype=x.dtype.name, expected=dtype)
    return Session(spec=spec, input=x.astype(dtype), weight=weight, bias=bias,
                   grad_output=gy.astype(dtype))
