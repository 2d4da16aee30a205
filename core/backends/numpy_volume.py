"""The numpy fast path for three spatial axes (``nn.Conv3d``) at stride 1.

`numpy_fast`'s wide layout, one axis up. With the padded input flattened per channel
(Dp·Hp·Wp values), kernel tap (a, i, j) reads, for every output position (od, oh, ow), the
value at ``(od + a·dd)·P + (oh + i·dh)·Wp + ow + j·dw`` (P = Hp·Wp): one contiguous run per
tap over a slab of output depths, if each depth slice keeps its full Hp × Wp plane, with
output position (od, oh, ow) at ``od·P + oh·Wp + ow``. The Hp·Wp − OH·OW positions of a
plane that are not outputs are computed and never used (at most `WIDE_MAX_RATIO` more
columns), as the wide layout's unused columns in 2-D. So the unfolded matrix of a slab is
one strided copy of the padded input, its fold one add per tap, and the products, sums and
their order per entry are the textbook pipeline's (`core.pipeline`): the results match torch
alike.

The batch runs in chunks, a chunk in *slabs* whose matrix fits `core.pipeline.CHUNK_BYTES`:
whole planes of several output depths, or, where one depth's does not fit, bands of one
depth's real rows, or, where one row's does not fit, runs of one row's real columns
(`slab_size`; a slab is (d0, d1, r0, r1, c0, c1)), on `numpy_fast.THREADS` workers
(`numpy_fast.batch_pass`), each with a single-threaded BLAS. A long stride-1 Conv1d runs
here too, as a Conv3d of depth and height 1 (`numpy_fast.as_3d`): its one row in runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import pipeline
from ..budget import padded_copies
from ..pipeline import add_grad_weight_h
from ..spec import LayerSpec
from . import numpy_fast
from .numpy_backend import NumpyBackend
from .numpy_fast import FastPipeline, WideBackend

SLAB_CHUNKS = 2  # a slab's matrix may take this many `core.pipeline.CHUNK_BYTES`


@dataclass(frozen=True)
class Volume:
    """The wide layout of a stride-1 Conv3d: planes of Hp × Wp positions per output depth."""

    spec: LayerSpec

    @property
    def plane(self) -> int:
        """P = Hp·Wp: the positions of one output depth in the wide layout."""
        return self.spec.padded_size[1] * self.spec.padded_size[2]

    def rows(self, slab: tuple[int, ...]) -> tuple[int, int]:
        """(rows per depth, of them real) of ``slab`` = (d0, d1, r0, r1, c0, c1)."""
        oh = self.spec.output_size[1]
        return slab[3] - slab[2], max(0, min(slab[3], oh) - slab[2])

    def columns(self, slab: tuple[int, ...]) -> slice:
        """The real columns of ``slab``: all OW of a whole row, or its run's."""
        return slice(slab[4], min(slab[5], self.spec.output_size[2]))

    def positions(self, slab: tuple[int, ...]) -> int:
        """The wide positions of ``slab``: its depths × rows × columns (Wp for whole rows)."""
        return (slab[1] - slab[0]) * (slab[3] - slab[2]) * (slab[5] - slab[4])

    def shift(self, slab: tuple[int, ...]) -> int:
        """Where ``slab``'s first position lies in the flattened layout."""
        return slab[0] * self.plane + slab[2] * self.spec.padded_size[2] + slab[4]

    def span(self, slab: tuple[int, ...]) -> int:
        """How far the positions of ``slab`` reach: its last real one + 1."""
        wp = self.spec.padded_size[2]
        rows, real = self.rows(slab)
        last = self.columns(slab)
        return (slab[1] - slab[0] - 1) * rows * wp + (real - 1) * wp + last.stop - last.start

    def starts(self) -> list[int]:
        """Per tap (a, i, j), row-major: where its run starts in the flattened padded input."""
        (kd, kh, kw), (dd, dh, dw) = self.spec.kernel_size, self.spec.dilation
        wp = self.spec.padded_size[2]
        return [a * dd * self.plane + i * dh * wp + j * dw
                for a in range(kd) for i in range(kh) for j in range(kw)]

    def unfold(self, flat: np.ndarray, cols: np.ndarray, slab: tuple) -> np.ndarray:
        """The wide im2col matrix (n, C·kd·kh·kw, positions) of ``slab`` from the flattened
        padded input ``flat`` (n, C, Dp·P), contiguous: one strided copy."""
        n, c = flat.shape[:2]
        (kd, kh, kw), (dd, dh, dw) = self.spec.kernel_size, self.spec.dilation
        wp, item = self.spec.padded_size[2], flat.itemsize
        span = self.span(slab)
        sn, sc = flat.strides[:2]
        runs = as_strided(flat[:, :, self.shift(slab):], (n, c, kd, kh, kw, span),
                          (sn, sc, dd * self.plane * item, dh * wp * item, dw * item, item),
                          writeable=False)
        target = cols.reshape(n, c, kd, kh, kw, -1)
        target[..., :span] = runs
        target[..., span:] = 0
        return cols

    def fold(self, cols: np.ndarray, flat: np.ndarray, slab: tuple) -> None:
        """Add the wide ``cols`` (n, C·kd·kh·kw, positions) of ``slab`` onto the flattened
        padded gradient ``flat`` (n, C, Dp·P): the adjoint of `unfold`. The unused positions
        of ``cols`` must be zero (they are for a finite weight: dY is zero there)."""
        n, c = flat.shape[:2]
        span, shift = self.span(slab), self.shift(slab)
        taps = cols.reshape(n, c, -1, cols.shape[-1])
        for t, start in enumerate(self.starts()):
            run = flat[:, :, shift + start: shift + start + span]
            np.add(run, taps[:, :, t, :span], out=run)

    def real(self, wide: np.ndarray, slab: tuple) -> np.ndarray:
        """View (..., depths, real rows, real columns) of the output positions of ``wide``
        (..., positions) of ``slab``."""
        rows, real = self.rows(slab)
        last = self.columns(slab)
        width = slab[5] - slab[4]
        shape = (*wide.shape[:-1], slab[1] - slab[0], rows, width)
        return wide.reshape(shape)[..., :real, :last.stop - last.start]


def applies(spec: LayerSpec) -> bool:
    """Whether this module runs ``spec``: a Conv3d of stride 1 whose planes add at most
    `numpy_fast.WIDE_MAX_RATIO` columns."""
    if spec.dims != 3 or spec.stride != (1, 1, 1):
        return False
    hp, wp = spec.padded_size[1:]
    oh, ow = spec.output_size[1:]
    return hp * wp <= numpy_fast.WIDE_MAX_RATIO * oh * ow


def slab_size(spec: LayerSpec, chunk_bytes: int, min_columns: int) -> tuple[int, int, int]:
    """(depths, rows, columns) of a slab: whole planes (rows = Hp, columns = Wp) of as many
    depths as fit ``chunk_bytes``; where one depth's matrix does not fit, equal bands of
    one depth's real rows that fit (at least one); where one row's does not fit either,
    equal runs of one row's real columns that fit, but at least ``min_columns``
    (`numpy_fast.MIN_BAND`: below that numpy's per-call costs outweigh what the cache
    saves) — the products run ~25 % faster on matrices that stay in cache than on a whole
    plane's (measured on the benchmark's 432 × 4356) and a long row's (the Conv1d
    benchmark's 576 × 4104: 66 → 83 GFLOP/s in runs of 513). A slab gets `SLAB_CHUNKS` ×
    ``chunk_bytes`` (the Conv3d benchmark row at 1, 2, 4 MiB: 1.43, 1.25, 1.19× torch,
    near-quiet, on an earlier VM; this round's, at 16, 32 rows: 1.67, 1.59× in one A/B run
    — ``benchmarks/bench_floor.py --slab-chunks 1,2,4`` compares them)."""
    chunk_bytes = int(chunk_bytes * SLAB_CHUNKS)
    od, oh, ow = spec.output_size
    hp, wp = spec.padded_size[1:]
    per_column = spec.in_channels * math.prod(spec.kernel_size) * np.dtype(spec.dtype).itemsize
    per_row = per_column * wp
    if per_row * hp <= chunk_bytes:
        depths = chunk_bytes // (per_row * hp)
        return _even(od, depths), hp, wp
    if per_row <= chunk_bytes or ow < 2 * min_columns:
        return 1, _even(oh, max(1, chunk_bytes // per_row)), wp
    return 1, 1, _even(ow, max(min_columns, chunk_bytes // per_column))


def computes_unused(spec: LayerSpec, tuning: tuple) -> bool:
    """Whether `run`'s slabs of ``spec`` hold positions that are no output (a whole row's
    Wp − OW columns, a whole plane's Hp − OH rows): their sums are computed and dropped,
    which a non-finite weight or input can spoil (`run` then redoes the result by the
    textbook pipeline). Runs of one row's real columns hold none."""
    depths, rows, columns = slab_size(spec, tuning[0], tuning[2])
    hp, wp = spec.padded_size[1:]
    oh, ow = spec.output_size[1:]
    return columns == wp and (wp > ow or (rows == hp and hp > oh))


def _even(total: int, most: int) -> int:
    """The size of the fewest equal parts of ``total`` of at most ``most`` each."""
    return -(-total // -(-total // most))


@lru_cache(maxsize=256)
def plan(spec: LayerSpec, tuning: tuple) -> tuple:
    """The layout of `numpy_fast.FastPipeline`: (geometry, by taps, slabs, chunks)."""
    volume = Volume(spec)
    od, oh, ow = spec.output_size
    depths, rows, columns = slab_size(spec, tuning[0], tuning[2])
    wp = spec.padded_size[2]
    if columns < wp:  # runs of one row's columns
        slabs = tuple((d, d + 1, r, r + 1, c, min(c + columns, ow))
                      for d in range(od) for r in range(oh) for c in range(0, ow, columns))
    elif rows == spec.padded_size[1]:  # whole planes: slabs of depths
        slabs = tuple((d, min(d + depths, od), 0, rows, 0, wp) for d in range(0, od, depths))
    else:  # bands of rows
        slabs = tuple((d, d + 1, r, min(r + rows, oh), 0, wp)
                      for d in range(od) for r in range(0, oh, rows))
    parts = pipeline.chunks(spec, od * volume.plane, tuning[0])
    return volume, False, slabs, parts


def scratch_elements(spec: LayerSpec, want: frozenset[str], tuning: tuple) -> int:
    """The scratch of `run` in elements (for `core.budget`): per worker, a chunk's padded
    input and/or its gradient (more copies under a non-zero padding mode), and per slab the
    im2col matrix and output-sized planes (output, grad_output, its conjugate); a grad_weight
    sum each."""
    volume = Volume(spec)
    parts = pipeline.chunks(spec, spec.output_size[0] * volume.plane, tuning[0])
    depths, rows, columns = slab_size(spec, tuning[0], tuning[2])
    positions = depths * rows * columns
    od, oh, ow = spec.output_size
    if columns < spec.padded_size[2]:
        slabs = od * oh * -(-ow // columns)
    else:
        slabs = -(-od // depths) * -(-oh // rows)
    workers = max(1, min(tuning[1], len(parts)))
    if workers == 1 and slabs > 1 and "grad_input" not in want:
        workers = min(tuning[1], slabs)  # the workers share the slabs
    m = max(p.stop - p.start for p in parts) if parts else 0
    c, o = spec.in_channels, spec.out_channels
    copies = padded_copies(spec, want)
    band = c * math.prod(spec.kernel_size) + 3 * o
    weight = math.prod(spec.weight_shape)
    per_worker = weight * (("grad_weight" in want) + ("grad_input" in want))
    padded = math.prod(spec.padded_size)
    return workers * (m * (copies * c * padded + positions * band) + per_worker) + weight


class VolumePipeline(FastPipeline):
    """`numpy_fast.FastPipeline` over slabs of output depths in the layout of `Volume`."""

    def chunk_wide(self, ops: WideBackend, part: slice, grad_w, bands: tuple) -> None:
        spec, want, volume = self.spec, self.want, self.grid
        m, g, og = part.stop - part.start, spec.groups, spec.out_per_group
        lead = (m, spec.in_channels)
        flat = None
        if self.need_cols:
            flat = np.ascontiguousarray(ops.pad(self.x[part], spec)).reshape(*lead, -1)
        grad_flat = None
        if "grad_input" in want:
            grad_flat = ops.scratch("grad_padded", (*lead, math.prod(spec.padded_size)), self.w)
            grad_flat.fill(0)
        for slab in bands:
            d0, d1, r0 = slab[:3]
            positions = volume.positions(slab)
            shape = (m, g, self.per_group, positions)
            real = (slice(d0, d1), slice(r0, r0 + volume.rows(slab)[1]), volume.columns(slab))
            dy = None
            if self.gy is not None:
                dy = ops.scratch("grad_output", (m, spec.out_channels, positions), self.w)
                dy.fill(0)
                volume.real(dy, slab)[...] = self.gy[(part, slice(None), *real)]
            if self.need_cols:
                cols = ops.scratch("cols", (m, self.per_group * g, positions), flat)
                cols = volume.unfold(flat, cols, slab).reshape(shape)
                if "output" in want:
                    wide = ops.scratch("output", (m, g, og, positions), self.w)
                    ops.matmul(self.w_mat, cols, out=wide)
                    y = self.out["output"][(part, slice(None), *real)]
                    y[...] = volume.real(wide.reshape(m, spec.out_channels, positions), slab)
                    if self.bias is not None:
                        y += self.bias
                if grad_w is not None:
                    add_grad_weight_h(ops, grad_w, cols, dy)
            if grad_flat is not None:
                dcols = ops.scratch("cols", shape, self.w)
                ops.matmul(self.w_adj, dy.reshape(m, g, og, positions), out=dcols)
                volume.fold(dcols.reshape(m, -1, positions), grad_flat, slab)
        if grad_flat is not None:
            grad_padded = grad_flat.reshape(*lead, *spec.padded_size)
            ops.pad_adjoint(grad_padded, spec, out=self.out["grad_input"][part])


def run(spec: LayerSpec, *, x: np.ndarray | None, w: np.ndarray, b: np.ndarray | None,
        gy: np.ndarray | None, want: frozenset[str]) -> dict[str, np.ndarray]:
    """`core.pipeline.run` on numpy for a layer that `applies`, fast."""
    tuning = numpy_fast.tuning()
    unused = computes_unused(spec, tuning)
    if unused and "grad_input" in want and not np.isfinite(w).all():
        # grad_input adds the unused positions too: exact only where they come out zero
        return pipeline.run(spec, NumpyBackend(), x=x, w=w, b=b, gy=gy, want=want)
    pipe = VolumePipeline(spec, x, w, b, gy, want, plan(spec, tuning))
    got = pipe.results(numpy_fast.batch_pass(pipe))
    if unused and "grad_weight" in got and not np.isfinite(got["grad_weight"]).all():
        # Its sums ran over the unused positions too, where an inf or nan of the input
        # (0·inf) may have spoilt entries that torch keeps finite: redo it exactly.
        redo = frozenset({"grad_weight"})
        got["grad_weight"] = pipeline.run(spec, NumpyBackend(), x=x, w=w, b=None, gy=gy,
                                          want=redo)["grad_weight"]
    return got
