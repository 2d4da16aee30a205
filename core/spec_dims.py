"""A layer with another number of spatial axes (Conv1d ⇄ Conv2d ⇄ Conv3d, and their transposed
forms): one rule, two callers.

`spec_with_dims` is the rule. Channels, groups, bias, batch, dtype, padding_mode, a padding
string and the kind (Conv / ConvTranspose) are kept; every per-axis field (kernel, stride,
padding, dilation, output_padding, input size) keeps its last axes (2D → 1D: the length is
the width; 3D → 2D: height and width), or keeps the old axes last and adds the first ones as
copies of the first old axis (2D (H, W) → 3D (H, H, W)). Causal goes: it is a Conv1d's, and
another number of axes is never 1D when the old one was. A checkpoint import uses it as it
is (`core.io.checkpoint_import.session_with_layer`: the kernel comes from the file).

`switch_dims` is the Layer panel's 1D/2D/3D switch: the same rule with two differences, so
that the switched layer is small and valid:

* an added depth is `DEPTH` entries, not a copy (2D → 3D: (DEPTH, H, W); 1D → 3D:
  (DEPTH, W, W)); an added height from 1D is the width (a square);
* where an added axis is refused on its own (a kernel longer than the depth, a padding
  'reflect' refuses), it takes kernel 1, stride 1, no padding, dilation 1 and `DEPTH`
  entries; where the whole layer is refused (the memory budget too), every added axis does.

`switched_session` gives the tensors of a switched layer: every tensor changes rank, so
input and weight are reset to `core.session.Session.default`'s random values and
grad_output to ones; the bias keeps its values. (What the switch kept and reset, in words,
is the gui's: `gui.dims_switch.switch_note`.)
"""

from __future__ import annotations

from typing import Any

from . import budget
from .session import Session
from .spec import LayerSpec, SpecError

#: The size of a depth axis `switch_dims` adds, and of any added axis that does not fit.
DEPTH = 3
_PER_AXIS = ("kernel_size", "stride", "padding", "dilation", "output_padding", "input_size")
_PLAIN = {"kernel_size": 1, "stride": 1, "padding": 0, "dilation": 1, "output_padding": 0,
          "input_size": DEPTH}


def _per_axis(value: tuple[int, ...], dims: int) -> tuple[int, ...]:
    # the last axes stay (a width stays a length); an added axis copies the first
    return value[-dims:] if dims <= len(value) else (value[0],) * (dims - len(value)) + value


def _mapped(spec: LayerSpec, dims: int) -> dict[str, Any]:
    """Every per-axis field of ``spec`` with ``dims`` axes (the rule); a padding string as
    it is."""
    return {name: value if isinstance(value := getattr(spec, name), str)
            else _per_axis(value, dims) for name in _PER_AXIS}


def spec_with_dims(spec: LayerSpec, dims: int) -> LayerSpec:
    """``spec`` with ``dims`` spatial axes by the rule of the module docstring: every
    per-axis field keeps its last axes (a 2D (H, W) becomes a 1D (W,)), or gains copies of
    its first (a 3D (H, H, W)); padding 'same'/'valid' stays; causal goes. The same spec
    when its dims already are ``dims``.

    Raises
    ------
    SpecError
        When the layer with ``dims`` axes is invalid (e.g. output_padding no longer fits).
    """
    if spec.dims == dims:
        return spec
    return spec.replace(dims=dims, causal=False, **_mapped(spec, dims))


def _fits(spec: LayerSpec, axis: dict[str, Any]) -> bool:
    """Whether one added axis is valid on its own (as the only axis of a 1D layer)."""
    try:
        spec.replace(dims=1, causal=False, **axis)
    except SpecError:
        return False
    return True


def _with_added(changes: dict[str, Any], added: list[dict[str, Any]]) -> dict[str, Any]:
    """``changes`` with its first ``len(added)`` axes replaced by ``added``'s."""
    return {name: value if isinstance(value, str)
            else tuple(a[name] for a in added) + value[len(added):]
            for name, value in changes.items()}


def switch_dims(spec: LayerSpec, dims: int) -> LayerSpec:
    """``spec`` with ``dims`` spatial axes for the Layer panel's switch: `spec_with_dims`
    with a small depth and plain added axes where copied ones are refused (see the module
    docstring).

    Raises
    ------
    SpecError
        When no such layer is valid or fits in memory (a `core.budget.BudgetError` among
        them): the first candidate's refusal.
    """
    if dims == spec.dims:
        return spec
    copied = _mapped(spec, dims)
    count = max(dims - spec.dims, 0)
    if count and dims == 3:  # a small depth; a height added from 1D is the width
        copied["input_size"] = (DEPTH, *copied["input_size"][1:])
    added = [{name: value if isinstance(value := copied[name], str) else value[i]
              for name in _PER_AXIS} for i in range(count)]
    plain = [{name: value if isinstance(value := copied[name], str) else _PLAIN[name]
              for name in _PER_AXIS}] * count
    fitting = [a if _fits(spec, a) else p for a, p in zip(added, plain, strict=True)]
    first_error: SpecError | None = None
    for axes in (fitting, plain):
        try:
            switched = spec.replace(dims=dims, causal=False, **_with_added(copied, axes))
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
