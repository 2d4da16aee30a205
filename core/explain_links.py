"""The links of a convolution: which padded cell, real pixel and kernel tap join which entries.

A *link* is one multiplication of the forward pass, ``weight[o, c', kh, kw] · xp[n, c, ph, pw]``
adding to ``output[n, o, oi, oj]``, with ``ph = oi·sh + kh·dh`` and ``pw = oj·sw + kw·dw``;
the padded cell ``(ph, pw)`` copies real pixel ``(h, w)`` through the padding map
(`core.padding.pad_index`) or, under ``zeros`` in the border, nothing. Every gradient term
is a link seen from its other end: ``grad_input`` collects the links that land on one pixel,
``grad_weight`` the links of one tap, so one table of links serves both `core.explain.explain`
and the reverse look-ups.

A table is a dict of equal-length int64 columns, named by `COLUMNS`; -1 marks a column that
does not apply (the bias term has no tap, no input channel and no pixel). Everything here is
geometry: it needs the `LayerSpec` only, never a tensor.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .padding import pad_index, source_index
from .spec import LayerSpec

COLUMNS = ("n", "o", "c", "oi", "oj", "kh", "kw", "ph", "pw", "h", "w")
Table = dict[str, np.ndarray]


@lru_cache(maxsize=32)
def padding_map(spec: LayerSpec) -> tuple[np.ndarray, np.ndarray]:
    """Real row of every padded row and real column of every padded column (-1: zero padding).

    Returns
    -------
    rows : ndarray of int, shape (Hp,)
    cols : ndarray of int, shape (Wp,)

    For a transposed layer, whose padding crops its output: the output row/column of every
    row/column of the output before the crop (-1: cropped).
    """
    if spec.transposed:
        return padding_map(spec.as_conv())
    top, bottom, left, right = spec.pads
    rows = pad_index(spec.input_size[0], top, bottom, spec.padding_mode)
    cols = pad_index(spec.input_size[1], left, right, spec.padding_mode)
    rows.flags.writeable = False
    cols.flags.writeable = False
    return rows, cols


def table(size: int, **columns: np.ndarray | int) -> Table:
    """A link table of ``size`` rows; a scalar fills its column, a missing column is -1."""
    out = {}
    for name in COLUMNS:
        value = columns.get(name, -1)
        if np.ndim(value) == 0:
            out[name] = np.full(size, value, dtype=np.int64)
        else:
            out[name] = np.asarray(value, dtype=np.int64)
    return out


def concat(first: Table, second: Table) -> Table:
    return {name: np.concatenate((first[name], second[name])) for name in COLUMNS}


def _grid(*sizes: int) -> np.ndarray:
    """Row-major indices of every cell of a grid of ``sizes``: shape (len(sizes), prod)."""
    return np.indices(sizes).reshape(len(sizes), -1)


# One axis of a set of links: (output position, tap, padded position, real position) arrays.
Axis = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def source(spec: LayerSpec, axis: int, padded: np.ndarray) -> np.ndarray:
    """The real position each padded position copies along ``axis`` (-1: zero padding),
    computed for those positions only: a padding of 10⁶ costs nothing where it is not read."""
    before = spec.pads[0] if axis == 0 else spec.pads[2]
    return source_index(padded, spec.input_size[axis], before, spec.padding_mode)


def _axis(spec: LayerSpec, axis: int, out: np.ndarray | int, tap: np.ndarray | int) -> Axis:
    """Reads along ``axis`` (0 rows, 1 columns) at output positions × taps, zero padding dropped."""
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
    rows: Axis,
    cols: Axis,
    lead: str,
    values: np.ndarray,
    *,
    interleave: bool = False,
    **constants: int,
) -> Table:
    """Links for every ``lead`` value × every (row read, column read) pair.

    Pairs come row-major, or with ``interleave`` ordered by output position, then tap.
    """
    a, b = _grid(rows[0].size, cols[0].size)
    if interleave:
        order = np.lexsort((cols[1][b], rows[1][a], cols[0][b], rows[0][a]))
        a, b = a[order], b[order]
    i, k = _grid(values.size, a.size)
    a, b = a[k], b[k]
    return table(
        i.size,
        **{lead: values[i]},
        **constants,
        oi=rows[0][a],
        kh=rows[1][a],
        ph=rows[2][a],
        h=rows[3][a],
        oj=cols[0][b],
        kw=cols[1][b],
        pw=cols[2][b],
        w=cols[3][b],
    )


def _group(first: int, count: int) -> np.ndarray:
    return np.arange(first * count, (first + 1) * count)


def window_links(spec: LayerSpec, n: int, o: int, oi: int, oj: int) -> Table:
    """Links of output entry (n, o, oi, oj): every tap of o's group that reads a real pixel.

    Ordered by input channel, then kernel row, then kernel column (the weight's own order).
    """
    rows = _axis(spec, 0, oi, np.arange(spec.kernel_size[0]))
    cols = _axis(spec, 1, oj, np.arange(spec.kernel_size[1]))
    channels = _group(o // spec.out_per_group, spec.in_per_group)
    return _assemble(rows, cols, "c", channels, n=n, o=o)


def scatter_links(spec: LayerSpec, n: int, c: int, h: int, w: int) -> Table:
    """Links that read input pixel (n, c, h, w), through every padded cell that copies it.

    Ordered by output channel, then output position (row-major), then tap (row-major).
    """
    channels = _group(c // spec.in_per_group, spec.out_per_group)
    return _assemble(_hits(spec, 0, h), _hits(spec, 1, w), "o", channels, interleave=True, n=n, c=c)


def tap_links(spec: LayerSpec, o: int, cl: int, kh: int, kw: int) -> Table:
    """Links of weight tap (o, cl, kh, kw) that read a real pixel: every sample and position.

    Ordered by sample, then output position (row-major).
    """
    rows = _axis(spec, 0, np.arange(spec.output_size[0]), kh)
    cols = _axis(spec, 1, np.arange(spec.output_size[1]), kw)
    c = (o // spec.out_per_group) * spec.in_per_group + cl
    return _assemble(rows, cols, "n", np.arange(_batch(spec)), o=o, c=c)


def sweep_links(spec: LayerSpec, o: int) -> Table:
    """Bias links of output channel o: every sample and position, nothing read from the input."""
    n, oi, oj = _grid(_batch(spec), *spec.output_size)
    return table(n.size, n=n, o=o, oi=oi, oj=oj)


def _batch(spec: LayerSpec) -> int:
    return 1 if spec.batch is None else spec.batch
