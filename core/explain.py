"""Provenance: every term behind an entry of the output or a gradient, and the reverse look-ups.

`explain` answers "where does this number come from?", for a layer of d = 1, 2 or 3 spatial
axes (``spec.dims``; a causal Conv1d is one whose padding is all on the left):
``output[n, o, *q]`` is one term per kernel tap of o's group (plus the bias),
``grad_input[n, c, *x]`` one per (output channel, output position, tap) whose read lands on
the pixel through the padding map, ``grad_weight[o, c', *k]`` one per (sample, output
position), ``grad_bias[o]`` one per grad_output entry of channel o. Terms that read zero
padding add nothing and are left out; `window` gives the padded cells a kernel window
covers, real or not, for drawing.

`readers` goes the other way for hovering: the terms that read one input pixel, weight tap,
bias or grad_output entry, with the entries they add to.

The terms come back as `Terms`, a sequence backed by int64 columns and value arrays, so
that tens of thousands of terms cost numpy time; a `Term` object is made only when one is
indexed (what each sum multiplies: `core.explain_sums`). The N-d form
(`core.explain_terms`): ``n, o, c`` per term, ``out_spatial``, ``taps``,
``padded_spatial``, ``spatial`` (d, T) per axis and term; ``cells(name)`` the
full-rank index into each tensor, ``padded_cells()`` into the padded grid. A 2D layer keeps
its names (``oi, oj, kh, kw, ph, pw, h, w``; `Window`'s ``padded_rows``, ``rows``, ...).
Complex gradients follow autograd: ``grad_input = Σ conj(w)·gy``,
``grad_weight = Σ gy·conj(x)``.

A transposed layer answers the same questions in its own names (`core.explain_transposed`):
``output[n, o, *q]`` is one term per (input channel of o's group, input pixel, tap)
whose painted kernel copy covers it, ``grad_input[n, c, *x]`` one per tap of the copy
pixel x paints, and an input pixel's `readers` are the output entries of its copy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import explain_links as links
from . import explain_transposed
from .explain_sums import LAYOUT, SOURCES, TARGETS, Term
from .explain_terms import Terms
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


def _outer(masks: Sequence[np.ndarray]) -> np.ndarray:
    """The AND of one mask per axis over the grid of all axes: shape (len(m) for m in masks)."""
    d = len(masks)
    out = np.ones((), dtype=bool)
    for a, m in enumerate(masks):
        out = out & m.reshape([-1 if b == a else 1 for b in range(d)])
    return out


@dataclass(frozen=True, eq=False)
class Window:
    """The padded cells one kernel window covers, zero padding included, for drawing.

    Per axis of the layer's d spatial axes, the window is a set of padded positions (one per
    tap); its cells are their cartesian product, shape ``spec.kernel_size``.

    Attributes
    ----------
    out : tuple of d ints
        The output position.
    padded : tuple of d ndarrays of int
        Padded position of each tap along each axis (shapes (k0,), (k1,), ...).
    pixels : tuple of d ndarrays of int
        The real position each padded position copies, -1 for zero padding.
    pads : (before0, after0, before1, after1, ...)
        Padded cell p lies over real pixel ``p - before`` per axis where that is inside.
    input_size : tuple of d ints
    padded_rows, padded_cols, rows, cols : ndarray of int
        A 2D window's ``padded[0]``, ``padded[1]``, ``pixels[0]``, ``pixels[1]``.
    """

    out: tuple[int, ...]
    padded: tuple[np.ndarray, ...]
    pixels: tuple[np.ndarray, ...]
    pads: tuple[int, ...]
    input_size: tuple[int, ...]

    def _axis_2d(self, axis: int, what: str) -> np.ndarray:
        if len(self.out) != 2:
            raise AttributeError(f"a {len(self.out)}-axis window has no rows and columns: "
                                 f"use Window.{what}[axis]")
        return getattr(self, what)[axis]

    padded_rows = property(lambda self: self._axis_2d(0, "padded"))
    padded_cols = property(lambda self: self._axis_2d(1, "padded"))
    rows = property(lambda self: self._axis_2d(0, "pixels"))
    cols = property(lambda self: self._axis_2d(1, "pixels"))

    @property
    def real(self) -> np.ndarray:
        """Shape kernel_size, bool: the cell reads a real pixel (itself or one it copies)."""
        return _outer([p >= 0 for p in self.pixels])

    @property
    def border(self) -> np.ndarray:
        """Shape kernel_size, bool: the cell lies in the padded border (zero, or a copy)."""
        inside = [(p >= before) & (p < before + size) for p, before, size in
                  zip(self.padded, self.pads[::2], self.input_size, strict=True)]
        return ~_outer(inside)

    def cells(self) -> np.ndarray:
        """Every padded cell of the window, row-major (the kernel's order): (prod k, d)."""
        grid = np.meshgrid(*self.padded, indexing="ij")
        return np.stack([g.ravel() for g in grid], axis=1).astype(np.int64)


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
    causal: bool = False,
) -> Terms:
    """Every term behind one entry of ``conv{d}d`` or one of its gradients, with torch's
    arguments; d (1, 2 or 3) is the weight's rank less two.

    With ``transposed=True``, of ``conv_transpose{d}d`` (weight (C, O/groups, *k),
    ``output_padding`` as torch's; ``padding_mode`` 'zeros' only). With ``causal=True``
    (d = 1, padding 0), of ``conv1d(F.pad(input, ((k-1)·dilation, 0)), ...)``.

    Parameters
    ----------
    target : {'output', 'grad_input', 'grad_weight', 'grad_bias'}
    index : tuple of int
        Full index into the target as given (2 + d numbers for an unbatched output or
        grad_input); negative numbers count from the end.
    input : ndarray, shape (N, C, *size) or (C, *size)
    weight : ndarray, shape (O, C/groups, *k)
    grad_output : ndarray, the output's shape
        Needed for the gradient targets.
    bias : ndarray, shape (O,), or None
    stride, padding, dilation, groups, padding_mode
        As ``torch.nn.Conv{d}d``: an int or a d-tuple.

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
    # The number of spatial axes is the weight's rank less two, as torch's conv{d}d sees it.
    layer = dict(bias=bias is not None, stride=stride, padding=padding, dilation=dilation,
                 groups=groups, dtype=x.dtype.name)
    if transposed:  # every mode but zeros is refused by the spec, naming padding_mode
        spec = LayerSpec.from_arrays(x.shape, w.shape, transposed=True,
                                     output_padding=output_padding, **layer)
        spec = spec.replace(padding_mode=padding_mode)
    else:
        spec = LayerSpec.from_arrays(x.shape, w.shape, padding_mode=padding_mode, **layer)
        if output_padding != 0:  # a convolution has none: the spec says so, naming the field
            spec = spec.replace(output_padding=output_padding)
    if causal:
        spec = spec.replace(causal=True)
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
    """The padded cells the kernel window at output position ``out`` (d numbers) covers.

    For a transposed layer, ``out`` is an input pixel and the window its painted kernel
    copy: ``padded`` holds the positions of the output before padding crops it, ``pixels``
    the output's own (-1: cropped), ``border`` the cropped cells (the window of its
    convolution, `LayerSpec.as_conv`, at that position).
    """
    if spec.transposed:
        return window(spec.as_conv(), _index("input pixel", out, spec.input_size))
    out = _index("output position", out, spec.output_size)
    padded, pixels = [], []
    for axis, q in enumerate(out):
        p = q * spec.stride[axis] + np.arange(spec.kernel_size[axis]) * spec.dilation[axis]
        padded.append(p)
        pixels.append(links.source(spec, axis, p))
    for a in (*padded, *pixels):
        a.flags.writeable = False
    return Window(out, tuple(padded), tuple(pixels), spec.pads, spec.input_size)


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
    if spec.transposed:  # the convolution's links with the roles swapped
        table = explain_transposed.transposed_links(spec, layout, full)
    else:
        table = _LINKS[layout](spec, *full)
    if target == "output" and layout == "grad_output" and spec.bias:
        n, o, *out = full
        table = links.concat(table, links.table(1, spec.dims, n=n, o=o, out=out))
    return Terms(target, spec, table, {}, None, entry)._evaluated(tensors)
