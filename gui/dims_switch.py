"""Switching a layer between Conv1d, Conv2d and Conv3d (and their transposed forms): the
layer the switch makes from the current one, its tensors, and what it kept and reset.

Qt-free, so that the Layer panel (which proposes the switched layer) and the document
(which makes it one undo step) share one rule:

* channels, groups, bias, batch, dtype, padding_mode, a padding string and the kind
  (Conv / ConvTranspose) are kept;
* fewer axes keep the last ones (2D → 1D: the length is the width, the kernel its width;
  3D → 2D: height and width);
* more axes keep the old ones last and add the first ones, with the first old axis'
  kernel, stride, padding and dilation: a depth of `DEPTH` entries (2D → 3D), a height
  equal to the width (1D → 2D: a square; 1D → 3D both); where that layer is refused (a
  kernel longer than the depth, a padding 'reflect' refuses, the memory budget) the added
  axes take kernel 1, stride 1, no padding and `DEPTH` entries;
* causal goes (it is a Conv1d's); a switch to 1D starts without it.

A tensor whose shape changes (its rank always does) is reset: input and weight to
`core.session.Session.default`'s random values, grad_output to ones; the bias keeps its
values.
"""

from __future__ import annotations

from typing import Any

from core import budget
from core.session import Session
from core.spec import LayerSpec, SpecError
from core.torch_layer import layer_class

#: The size of a depth (or height) axis a switch adds when the copied one does not fit.
DEPTH = 3
_SIZES = ("kernel_size", "stride", "padding", "dilation", "output_padding", "input_size")
_PLAIN = {"kernel_size": 1, "stride": 1, "padding": 0, "dilation": 1, "output_padding": 0,
          "input_size": DEPTH}


def _axis(spec: LayerSpec, index: int, dims: int, plain: bool) -> dict[str, Any]:
    """Axis ``index`` of the switched layer, per size field (an int; a padding string as it
    is): an old axis (the last ones are kept), or an added one (see the module docstring)."""
    added = dims - spec.dims
    out: dict[str, Any] = {}
    for name in _SIZES:
        values = getattr(spec, name)
        if spec.causal and name == "padding":
            values = (0,)  # F.pad's is not kept: the switched layer is not causal
        if isinstance(values, str):
            out[name] = values
        elif index >= added:
            out[name] = values[index - added]
        elif plain:
            out[name] = _PLAIN[name]
        elif name == "input_size" and dims == 3 and index == 0:
            out[name] = DEPTH  # a small depth; a height added from 1D is the width (a square)
        else:
            out[name] = values[0]
    return out


def _fits(spec: LayerSpec, axis: dict[str, Any]) -> bool:
    """Whether one added axis is valid on its own (as the only axis of a 1D layer)."""
    try:
        spec.replace(dims=1, causal=False, **axis)
    except SpecError:
        return False
    return True


def switch_dims(spec: LayerSpec, dims: int) -> LayerSpec:
    """``spec`` with ``dims`` spatial axes (see the module docstring).

    Raises `core.spec.SpecError` (a `core.budget.BudgetError` among them) when no such layer
    is valid or fits in memory: the first candidate's refusal.
    """
    if dims == spec.dims:
        return spec
    axes = []
    for i in range(dims):
        axis = _axis(spec, i, dims, plain=False)
        axes.append(axis if i >= dims - spec.dims or _fits(spec, axis)
                    else _axis(spec, i, dims, plain=True))
    candidates = [axes, [_axis(spec, i, dims, plain=True) for i in range(dims)]]
    first_error: SpecError | None = None
    for axes in candidates:
        changes = {name: tuple(a[name] for a in axes) for name in _SIZES}
        if isinstance(spec.padding, str):
            changes["padding"] = spec.padding
        try:
            switched = spec.replace(dims=dims, causal=False, **changes)
            budget.check(switched)
        except SpecError as exc:  # a BudgetError too
            first_error = first_error or exc
            continue
        return switched
    assert first_error is not None
    raise first_error


def switched_session(old: Session, spec: LayerSpec) -> Session:
    """The session after a switch to ``spec`` (another number of axes than ``old``'s):
    the bias kept, every other tensor reset (see the module docstring)."""
    fresh = Session.default(spec)
    bias = fresh.bias
    if spec.bias and old.bias is not None and old.bias.shape == spec.shape("bias"):
        bias = old.bias.astype(spec.dtype)
    return Session(spec=spec, input=fresh.input, weight=fresh.weight,
                   grad_output=fresh.grad_output, bias=bias)


def switch_note(old: Session, new: Session) -> str:
    """What a switch of the number of axes kept and reset, in words (the status bar's: short,
    the new shapes are in the Layer panel). Every tensor but the bias changes rank."""
    said = (f"Switched to {layer_class(new.spec)}: input and weight reset to random, "
            "grad_output to ones")
    if new.bias is not None and old.bias is not None and new.bias.shape == old.bias.shape:
        said += "; bias kept"
    if old.spec.causal:
        said += "; causal dropped (a Conv1d's)"
    return said
