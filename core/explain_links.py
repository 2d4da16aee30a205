"""The links of a convolution: which padded cell, real pixel and kernel tap join which entries.

A *link* is one multiplication of the forward pass, ``weight[o, c', *k] · xp[n, c, *p]``
adding to ``output[n, o, *q]``, with ``p[a] = q[a]·stride[a] + k[a]·dilation[a]`` on each of
the d spatial axes (d = `LayerSpec.dims`: 1, 2 or 3); the padded cell ``p`` copies the real
pixel ``x`` through the padding map (`core.padding.source_index`) or, under ``zeros`` in the
border (and a causal Conv1d's left padding), nothing. Every gradient term is a link seen
from its other end: ``grad_input`` collects the links that land on one pixel,
``grad_weight`` the links of one tap, so one table of links serves both
`core.explain.explain` and the reverse look-ups.

A table is a dict of equal-length int64 columns: the lead columns `LEAD` (n, o, c), shape
(T,), and the spatial ones `SPATIAL` (out, tap, padded, pixel), shape (d, T), one row per
axis; -1 marks what does not apply (the bias term has no tap, no input channel and no pixel).
Every axis is handled by the same code (`_axis`, `_hits`), the axes are joined by a
cartesian product (`_assemble`): nothing here is written per number of dimensions.
Everything here is geometry: it needs the `LayerSpec` only, never a tensor.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .padding import pad_index, source_index
from .spec import LayerSpec

LEAD = ("n", "o", "c")
SPATIAL = ("out", "tap", "padded", "pixel")
#: The columns of a d=2 layer's terms by their 2D names (`core.explain_terms.Terms` has them
#: as attributes): each spatial column's two rows are named.
COLUMNS = ("n", "o", "c", "oi", "oj", "kh", "kw", "ph", "pw", "h", "w")
NAMES_2D = {"oi": ("out", 0), "oj": ("out", 1), "kh": ("tap", 0), "kw": ("tap", 1),
            "ph": ("padded", 0), "pw": ("padded", 1), "h": ("pixel", 0), "w": ("pixel", 1)}
Table = dict[str, np.ndarray]


@lru_cache(maxsize=32)
def padding_map(spec: LayerSpec) -> tuple[np.ndarray, ...]:
    """The real position of every padded position, per axis (-1: zero padding).

    Returns
    -------
    tuple of d ndarrays of int, shapes ``spec.padded_size``
        For d=2: (rows, cols).

    For a transposed layer, whose padding crops its output: the output position of every
    position of the output before the crop (-1: cropped).
    """
    if spec.transposed:
        return padding_map(spec.as_conv())
    out = []
    for axis, size in enumerate(spec.input_size):
        a = pad_index(size, spec.pads[2 * axis], spec.pads[2 * axis + 1], spec.padding_mode)
        a.flags.writeable = False
        out.append(a)
    return tuple(out)


def table(size: int, dims: int, **columns: np.ndarray | int) -> Table:
    """A link table of ``size`` rows over ``dims`` axes; a scalar fills its column (every
    row of a spatial one), a missing column is -1."""
    out = {}
    for name in (*LEAD, *SPATIAL):
        shape = (size,) if name in LEAD else (dims, size)
        value = columns.get(name, -1)
        if np.ndim(value) == 0:
            out[name] = np.full(shape, value, dtype=np.int64)
        else:
            out[name] = np.asarray(value, dtype=np.int64).reshape(shape)
    return out


def concat(first: Table, second: Table) -> Table:
    return {name: np.concatenate((first[name], second[name]), axis=-1) for name in first}


def select(links: Table, rows: np.ndarray) -> Table:
    """The links at ``rows`` (indices or a mask over the links)."""
    return {name: a[..., rows] for name, a in links.items()}


def _grid(*sizes: int) -> np.ndarray:
    """Row-major indices of every cell of a grid of ``sizes``: shape (len(sizes), prod)."""
    return np.indices(sizes).reshape(len(sizes), -1)


# One axis of a set of links: (output position, tap, padded position, real position) arrays.
Axis = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def source(spec: LayerSpec, axis: int, padded: np.ndarray) -> np.ndarray:
    """The real position each padded position copies along ``axis`` (-1: zero padding),
    computed for those positions only: a padding of 10⁶ costs nothing where it is not read."""
    before = spec.pads[2 * axis]
    return source_index(padded, spec.input_size[axis], before, spec.padding_mode)


def _axis(spec: LayerSpec, axis: int, out: np.ndarray | int, tap: np.ndarray | int) -> Axis:
    """Reads along ``axis`` at output positions × taps, zero padding dropped."""
    s, d = spec.stride[axis], spec.dilation[axis]
    out, tap = (a.ravel() for a in np.broadcast_arrays(out, tap))
    padded = out * s + tap * d
    pixel = source(spec, axis, padded)
    real = np.flatnonzero(pixel >= 0)
    return out[real], tap[real], padded[real], pixel[real]


def _hits(spec: LayerSpec, axis: int, pixel: int) -> Axis:
    """Reads along ``axis`` that land on ``pixel``, through every padded position copying it.

    Ordered by output position, then tap. Every read (output position × tap) is looked at,
    which costs the output's length times the kernel's, not the padded input's.
    """
    out, tap = _grid(spec.output_size[axis], spec.kernel_size[axis])
    padded = out * spec.stride[axis] + tap * spec.dilation[axis]
    hit = np.flatnonzero(source(spec, axis, padded) == pixel)
    return out[hit], tap[hit], padded[hit], np.full(hit.size, pixel)


def _assemble(
    axes: list[Axis],
    lead: str,
    values: np.ndarray,
    *,
    interleave: bool = False,
    **constants: int,
) -> Table:
    """Links for every ``lead`` value × every combination of one read per axis.

    Combinations come row-major (the first axis slowest), or with ``interleave`` ordered by
    output position (every axis), then tap (every axis).
    """
    d, sizes = len(axes), tuple(a[0].size for a in axes)
    count, many = int(np.prod(sizes)), values.size
    # Each axis's reads broadcast over the other axes and the lead values: one assignment
    # per axis and column, no gathers, whatever the number of axes.
    grids = {name: np.empty((d, many, *sizes), dtype=np.int64) for name in SPATIAL}
    for a, reads in enumerate(axes):
        along = [1, *(-1 if b == a else 1 for b in range(d))]
        for part, name in enumerate(SPATIAL):
            grids[name][a] = reads[part].reshape(along)
    columns = {name: g.reshape(d, many, count) for name, g in grids.items()}
    if interleave and count and many:
        keys = [columns["tap"][a, 0] for a in reversed(range(d))]
        keys += [columns["out"][a, 0] for a in reversed(range(d))]
        order = np.lexsort(keys)
        columns = {name: c[:, :, order] for name, c in columns.items()}
    columns = {name: c.reshape(d, many * count) for name, c in columns.items()}
    return table(many * count, d, **{lead: np.repeat(values, count)}, **constants, **columns)


def _group(first: int, count: int) -> np.ndarray:
    return np.arange(first * count, (first + 1) * count)


def window_links(spec: LayerSpec, n: int, o: int, *out: int) -> Table:
    """Links of output entry (n, o, *out): every tap of o's group that reads a real pixel.

    Ordered by input channel, then tap (row-major: the weight's own order).
    """
    axes = [_axis(spec, a, q, np.arange(k))
            for a, (q, k) in enumerate(zip(out, spec.kernel_size, strict=True))]
    channels = _group(o // spec.out_per_group, spec.in_per_group)
    return _assemble(axes, "c", channels, n=n, o=o)


def scatter_links(spec: LayerSpec, n: int, c: int, *pixel: int) -> Table:
    """Links that read input pixel (n, c, *pixel), through every padded cell that copies it.

    Ordered by output channel, then output position (row-major), then tap (row-major).
    """
    axes = [_hits(spec, a, p) for a, p in enumerate(pixel)]
    channels = _group(c // spec.in_per_group, spec.out_per_group)
    return _assemble(axes, "o", channels, interleave=True, n=n, c=c)


def tap_links(spec: LayerSpec, o: int, cl: int, *tap: int) -> Table:
    """Links of weight tap (o, cl, *tap) that read a real pixel: every sample and position.

    Ordered by sample, then output position (row-major).
    """
    axes = [_axis(spec, a, np.arange(size), k)
            for a, (size, k) in enumerate(zip(spec.output_size, tap, strict=True))]
    c = (o // spec.out_per_group) * spec.in_per_group + cl
    return _assemble(axes, "n", np.arange(_batch(spec)), o=o, c=c)


def plane_links(spec: LayerSpec, o: int) -> Table:
    """Bias links of output channel o: its whole plane, every sample and position, nothing
    read from the input."""
    grid = _grid(_batch(spec), *spec.output_size)
    return table(grid.shape[1], spec.dims, n=grid[0], o=o, out=grid[1:])


def _batch(spec: LayerSpec) -> int:
    return 1 if spec.batch is None else spec.batch
