"""Provenance: every term behind an entry of the output or a gradient, and the reverse look-ups.

`explain` answers "where does this number come from?": ``output[n, o, oi, oj]`` is one term
per kernel tap of o's group (plus the bias), ``grad_input[n, c, h, w]`` one per (output
channel, output position, tap) whose read lands on the pixel through the padding map,
``grad_weight[o, c', kh, kw]`` one per (sample, output position), ``grad_bias[o]`` one per
grad_output entry of channel o. Terms that read zero padding add nothing and are left out;
`window` gives the padded cells a kernel window covers, real or not, for drawing.

`readers` goes the other way for hovering: the terms that read one input pixel, weight tap,
bias or grad_output entry, with the entries they add to.

The terms come back as `Terms`, a sequence backed by int64 columns (see `COLUMNS` in
`core.explain_links`) and value arrays, so that tens of thousands of terms cost numpy time;
a `Term` object is made only when one is indexed. Complex gradients follow autograd:
``grad_input = Σ conj(w)·gy``, ``grad_weight = Σ gy·conj(x)``.

A transposed layer answers the same questions in its own names (`core.explain_transposed`):
``output[n, o, oi, oj]`` is one term per (input channel of o's group, input pixel, tap)
whose painted kernel copy covers it, ``grad_input[n, c, h, w]`` one per tap of the copy
pixel (h, w) paints, and an input pixel's `readers` are the output entries of its copy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import conv_transpose, explain_transposed
from . import explain_links as links
from .explain_terms import LAYOUT, SOURCES, TARGETS, Term, Terms
from .spec import DTYPES, LayerSpec, SpecError
from .spec_args import _is_int

__all__ = [
    "SOURCES",
    "TARGETS",
    "Term",
    "Terms",
    "Window",
    "explain",
    "explain_spec",
    "readers",
    "window",
]

# Whose terms read each source: the reverse look-up's target.
_READER = {"input": "output", "weight": "output", "bias": "output", "grad_output": "grad_input"}
_LINKS = {
    "grad_output": links.window_links,
    "input": links.scatter_links,
    "weight": links.tap_links,
    "bias": links.plane_links,
}


@dataclass(frozen=True, eq=False)
class Window:
    """The padded cells one kernel window covers, zero padding included, for drawing.

    Attributes
    ----------
    out : (oi, oj)
        The output position.
    padded_rows : ndarray of int, shape (kh,)
        Padded row of each kernel row; ``padded_cols`` (kw,) likewise.
    rows : ndarray of int, shape (kh,)
        The real row each padded row copies, -1 for zero padding; ``cols`` (kw,) likewise.
    pads : (top, bottom, left, right)
        Padded cell (ph, pw) lies over real pixel (ph - top, pw - left) where that is inside.
    """

    out: tuple[int, int]
    padded_rows: np.ndarray
    padded_cols: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    pads: tuple[int, int, int, int]
    input_size: tuple[int, int]

    @property
    def real(self) -> np.ndarray:
        """(kh, kw) bool: the cell reads a real pixel (itself or the one it copies)."""
        return (self.rows[:, None] >= 0) & (self.cols[None, :] >= 0)

    @property
    def border(self) -> np.ndarray:
        """(kh, kw) bool: the cell lies in the padded border (zero, or a copy of a pixel)."""
        top, _, left, _ = self.pads
        inside_h = (self.padded_rows >= top) & (self.padded_rows < top + self.input_size[0])
        inside_w = (self.padded_cols >= left) & (self.padded_cols < left + self.input_size[1])
        return ~(inside_h[:, None] & inside_w[None, :])


# -- validation ------------------------------------------------------------------------------
def _shape(spec: LayerSpec, name: str) -> tuple[int, ...]:
    shape = spec.shape(name)
    if shape is None:
        raise SpecError(f"{name} does not exist: the layer has no bias", ("bias",))
    return shape


def _index(name: str, index: Any, shape: Sequence[int]) -> tuple[int, ...]:
    """``index`` checked against ``shape`` and made non-negative."""
    if isinstance(index, np.ndarray):
        index = index.tolist()
    if _is_int(index):
        index = (index,)
    if (
        isinstance(index, str)
        or not isinstance(index, Sequence)
        or not all(_is_int(i) for i in index)
    ):
        raise SpecError(f"{name} index must be a tuple of ints, got {index!r}", ("index",))
    shape = tuple(shape)
    if len(index) != len(shape):
        raise SpecError(
            f"{name} index {tuple(index)} has {len(index)} numbers but {name} has shape "
            f"{shape}, which needs {len(shape)}",
            ("index",), index=tuple(index), shape=shape,
        )
    out = []
    for axis, (i, size) in enumerate(zip(index, shape, strict=True)):
        if not -size <= int(i) < size:
            raise SpecError(
                f"index {int(i)} is out of range for {name} axis {axis} of size {size}",
                ("index",), index=int(i), axis=axis, size=size,
            )
        out.append(int(i) % size)
    return tuple(out)


def _tensors(spec: LayerSpec, given: Mapping[str, Any]) -> dict[str, np.ndarray]:
    out = {}
    for name, a in given.items():
        if a is None:
            continue
        if name == "bias" and not spec.bias:
            raise SpecError("a bias tensor was given but the layer has no bias", ("bias",))
        a = np.asarray(a)
        shape = _shape(spec, name)
        if a.shape != shape:
            raise SpecError(f"{name} shape {a.shape} does not match the layer's shape {shape}",
                            (name,), shape=a.shape, expected=shape)
        if a.dtype.name != spec.dtype:
            raise SpecError(
                f"{name} dtype {a.dtype.name} does not match the layer's {spec.dtype}", (name,),
                dtype=a.dtype.name, expected=spec.dtype,
            )
        out[name] = a
    return out


# -- public API ------------------------------------------------------------------------------
def explain(
    target: str,
    index: Sequence[int] | int,
    *,
    input: Any,
    weight: Any,
    grad_output: Any = None,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    padding_mode: str = "zeros",
    transposed: bool = False,
    output_padding: Any = 0,
) -> Terms:
    """Every term behind one entry of ``conv2d`` or one of its gradients, with torch's arguments.

    With ``transposed=True``, of ``conv_transpose2d`` (weight (C, O/groups, kh, kw),
    ``output_padding`` as torch's; ``padding_mode`` 'zeros' only).

    Parameters
    ----------
    target : {'output', 'grad_input', 'grad_weight', 'grad_bias'}
    index : tuple of int
        Full index into the target as given (3 numbers for an unbatched output or
        grad_input); negative numbers count from the end.
    input : ndarray, shape (N, C, H, W) or (C, H, W)
    weight : ndarray, shape (O, C/groups, kh, kw)
    grad_output : ndarray, the output's shape
        Needed for the gradient targets.
    bias : ndarray, shape (O,), or None
    stride, padding, dilation, groups, padding_mode
        As ``torch.nn.Conv2d``.

    Returns
    -------
    Terms
        In animation order; their values sum to the entry as `core.conv` computes it.

    Raises
    ------
    ValueError
        For an unknown target, an index out of range, or arrays torch would refuse.
    """
    x, w = np.asarray(input), np.asarray(weight)
    if x.dtype.name not in DTYPES:
        raise SpecError(
            f"input dtype {x.dtype.name} is not supported; use one of {', '.join(DTYPES)}",
            ("input",), dtype=x.dtype.name,
        )
    if transposed:
        spec = conv_transpose.layer_spec(
            x.shape, w.shape, x.dtype, bias=bias is not None, stride=stride, padding=padding,
            output_padding=output_padding, groups=groups, dilation=dilation,
        ).replace(padding_mode=padding_mode)
        return explain_spec(spec, target, index, input=x, weight=w, grad_output=grad_output,
                            bias=bias)
    spec = LayerSpec.from_arrays(
        x.shape,
        w.shape,
        bias=bias is not None,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
        dtype=x.dtype.name,
    )
    if output_padding != 0:  # a Conv2d has none: the spec says so, naming the field
        spec = spec.replace(output_padding=output_padding)
    return explain_spec(spec, target, index, input=x, weight=w, grad_output=grad_output, bias=bias)


def explain_spec(
    spec: LayerSpec,
    target: str,
    index: Sequence[int] | int,
    *,
    input: Any = None,
    weight: Any = None,
    grad_output: Any = None,
    bias: Any = None,
) -> Terms:
    """`explain` for a `LayerSpec`; ``explain_spec(s.spec, target, index, **s.tensors())``.

    The tensors are optional: without the ones the target's values need, the terms carry
    their geometry only (``value`` None). Given tensors must have the spec's shapes and dtype.
    """
    if target not in TARGETS:
        raise SpecError(f"target must be one of {', '.join(TARGETS)}, got {target!r}",
                        ("target",))
    entry = _index(target, index, _shape(spec, target))
    tensors = _tensors(
        spec, {"input": input, "weight": weight, "grad_output": grad_output, "bias": bias}
    )
    return _terms(spec, target, LAYOUT[target], entry, tensors, entry)


def readers(
    spec: LayerSpec,
    source: str,
    index: Sequence[int] | int,
    *,
    input: Any = None,
    weight: Any = None,
    grad_output: Any = None,
    bias: Any = None,
) -> Terms:
    """Reverse look-up: every term that reads ``source[index]``, for hovering.

    ``input`` pixel → the output terms that read it (the outputs it feeds, with taps and
    padded cells; one term per padded cell that copies it). ``weight`` tap → the output
    terms it multiplies (the input pixels, per sample and output position). ``bias`` → the
    bias terms of its channel. ``grad_output`` entry → the grad_input terms it feeds (the
    grad_input pixels it reaches). Each term's entry is in `Terms.entries`.
    """
    if source not in SOURCES:
        raise SpecError(f"source must be one of {', '.join(SOURCES)}, got {source!r}",
                        ("source",))
    where = _index(source, index, _shape(spec, source))
    tensors = _tensors(
        spec, {"input": input, "weight": weight, "grad_output": grad_output, "bias": bias}
    )
    return _terms(spec, _READER[source], source, where, tensors, None)


def window(spec: LayerSpec, out: Sequence[int]) -> Window:
    """The padded cells the kernel window at output position ``out = (oi, oj)`` covers.

    For a transposed layer, ``out = (h, w)`` is an input pixel and the window its painted
    kernel copy: ``padded_rows``/``padded_cols`` are the rows/columns of the output before
    padding crops it, ``rows``/``cols`` the output's own (-1: cropped), ``border`` the
    cropped cells (the window of its Conv2d, `LayerSpec.as_conv`, at that position).
    """
    if spec.transposed:
        return window(spec.as_conv(), _index("input pixel", out, spec.input_size))
    oi, oj = _index("output position", out, spec.output_size)
    (kh, kw), (sh, sw), (dh, dw) = spec.kernel_size, spec.stride, spec.dilation
    ph = oi * sh + np.arange(kh) * dh
    pw = oj * sw + np.arange(kw) * dw
    arrays = (ph, pw, links.source(spec, 0, ph), links.source(spec, 1, pw))
    for a in arrays:
        a.flags.writeable = False
    return Window((oi, oj), *arrays, spec.pads, spec.input_size)


def _terms(
    spec: LayerSpec,
    target: str,
    layout: str,
    index: tuple[int, ...],
    tensors: Mapping[str, np.ndarray],
    entry: tuple[int, ...] | None,
) -> Terms:
    """The terms of ``target`` linked to entry ``index`` of tensor ``layout``."""
    full = (0, *index) if layout in ("input", "grad_output") and not spec.batched else index
    if spec.transposed:  # the Conv2d's links with the roles swapped
        table = explain_transposed.transposed_links(spec, layout, full)
    else:
        table = _LINKS[layout](spec, *full)
    if target == "output" and layout == "grad_output" and spec.bias:
        n, o, oi, oj = full
        table = links.concat(table, links.table(1, n=n, o=o, oi=oi, oj=oj))
    return Terms(target, spec, table, {}, None, entry)._evaluated(tensors)
