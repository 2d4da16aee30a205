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

The batch runs in chunks, a chunk in *slabs* of output depths whose matrix fits
`core.pipeline.CHUNK_BYTES` (at least one depth slice), on `numpy_fast.THREADS` workers
(`numpy_fast.batch_pass`), each with a single-threaded BLAS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import pipeline
from ..pipeline import add_grad_weight_h
from ..spec import LayerSpec
from . import numpy_fast
from .numpy_backend import NumpyBackend
from .numpy_fast import FastPipeline, WideBackend


@dataclass(frozen=True)
class Volume:
    """The wide layout of a stride-1 Conv3d: planes of Hp × Wp positions per output depth."""

    spec: LayerSpec

    @property
    def plane(self) -> int:
        """P = Hp·Wp: the positions of one output depth in the wide layout."""
        return self.spec.padded_size[1] * self.spec.padded_size[2]

    def span(self, depths: int) -> int:
        """How far the positions of ``depths`` output depths reach: the last real one + 1."""
        (oh, ow), wp = self.spec.output_size[1:], self.spec.padded_size[2]
        return (depths - 1) * self.plane + (oh - 1) * wp + ow

    def starts(self) -> list[int]:
        """Per tap (a, i, j), row-major: where its run starts in the flattened padded input."""
        (kd, kh, kw), (dd, dh, dw) = self.spec.kernel_size, self.spec.dilation
        wp = self.spec.padded_size[2]
        return [a * dd * self.plane + i * dh * wp + j * dw
                for a in range(kd) for i in range(kh) for j in range(kw)]

    def unfold(self, flat: np.ndarray, cols: np.ndarray, slab: tuple[int, int]) -> np.ndarray:
        """The wide im2col matrix (n, C·kd·kh·kw, depths·P) of output depths ``slab`` from
        the flattened padded input ``flat`` (n, C, Dp·P), contiguous: one strided copy."""
        n, c = flat.shape[:2]
        (kd, kh, kw), (dd, dh, dw) = self.spec.kernel_size, self.spec.dilation
        wp, item = self.spec.padded_size[2], flat.itemsize
        span = self.span(slab[1] - slab[0])
        sn, sc = flat.strides[:2]
        runs = as_strided(flat[:, :, slab[0] * self.plane:], (n, c, kd, kh, kw, span),
                          (sn, sc, dd * self.plane * item, dh * wp * item, dw * item, item),
                          writeable=False)
        target = cols.reshape(n, c, kd, kh, kw, -1)
        target[..., :span] = runs
        target[..., span:] = 0
        return cols

    def fold(self, cols: np.ndarray, flat: np.ndarray, slab: tuple[int, int]) -> None:
        """Add the wide ``cols`` (n, C·kd·kh·kw, depths·P) of ``slab`` onto the flattened
        padded gradient ``flat`` (n, C, Dp·P): the adjoint of `unfold`. The unused positions
        of ``cols`` must be zero (they are for a finite weight: dY is zero there)."""
        n, c = flat.shape[:2]
        span, shift = self.span(slab[1] - slab[0]), slab[0] * self.plane
        taps = cols.reshape(n, c, -1, cols.shape[-1])
        for t, start in enumerate(self.starts()):
            run = flat[:, :, shift + start: shift + start + span]
            np.add(run, taps[:, :, t, :span], out=run)

    def real(self, wide: np.ndarray) -> np.ndarray:
        """View (..., depths, OH, OW) of the output positions of ``wide`` (..., depths·P)."""
        (hp, wp), (oh, ow) = self.spec.padded_size[1:], self.spec.output_size[1:]
        return wide.reshape(*wide.shape[:-1], -1, hp, wp)[..., :oh, :ow]


def applies(spec: LayerSpec) -> bool:
    """Whether this module runs ``spec``: a Conv3d of stride 1 whose planes add at most
    `numpy_fast.WIDE_MAX_RATIO` columns."""
    if spec.dims != 3 or spec.stride != (1, 1, 1):
        return False
    hp, wp = spec.padded_size[1:]
    oh, ow = spec.output_size[1:]
    return hp * wp <= numpy_fast.WIDE_MAX_RATIO * oh * ow


@lru_cache(maxsize=256)
def plan(spec: LayerSpec, tuning: tuple) -> tuple:
    """The layout of `numpy_fast.FastPipeline`: (geometry, by taps, slabs, chunks)."""
    chunk_bytes = tuning[0]
    volume = Volume(spec)
    od = spec.output_size[0]
    per_depth = spec.in_channels * math.prod(spec.kernel_size) * volume.plane
    depths = max(1, chunk_bytes // (per_depth * np.dtype(spec.dtype).itemsize))
    count = -(-od // depths)
    depths = -(-od // count)
    slabs = tuple((d, min(d + depths, od)) for d in range(0, od, depths))
    parts = pipeline.chunks(spec, od * volume.plane, chunk_bytes)
    return volume, False, slabs, parts


def scratch_elements(spec: LayerSpec, want: frozenset[str], tuning: tuple) -> int:
    """The scratch of `run` in elements (for `core.budget`): per worker, a chunk's padded
    input and/or its gradient (more copies under a non-zero padding mode), and per slab the
    im2col matrix and output-sized planes (output, grad_output, its conjugate); a grad_weight
    sum each."""
    volume, _, slabs, parts = plan(spec, tuning)
    workers = max(1, min(tuning[1], len(parts)))
    if workers == 1 and len(slabs) > 1 and "grad_input" not in want:
        workers = min(tuning[1], len(slabs))  # the workers share the slabs
    m = max(p.stop - p.start for p in parts) if parts else 0
    c, o = spec.in_channels, spec.out_channels
    positions = max(d1 - d0 for d0, d1 in slabs) * volume.plane
    other_mode = spec.padding_mode != "zeros" and any(spec.pads)
    copies = 0
    if want & {"output", "grad_weight"}:
        copies += 2 if other_mode else 1
    if "grad_input" in want:
        copies += 3 if other_mode else 1
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
            d0, d1 = slab
            positions = (d1 - d0) * volume.plane
            shape = (m, g, self.per_group, positions)
            dy = None
            if self.gy is not None:
                dy = ops.scratch("grad_output", (m, spec.out_channels, positions), self.w)
                dy.fill(0)
                volume.real(dy)[...] = self.gy[part, :, d0:d1]
            if self.need_cols:
                cols = ops.scratch("cols", (m, self.per_group * g, positions), flat)
                cols = volume.unfold(flat, cols, slab).reshape(shape)
                if "output" in want:
                    wide = ops.scratch("output", (m, g, og, positions), self.w)
                    ops.matmul(self.w_mat, cols, out=wide)
                    y = self.out["output"][part, :, d0:d1]
                    y[...] = volume.real(wide.reshape(m, spec.out_channels, positions))
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
    if "grad_input" in want and not np.isfinite(w).all():
        # grad_input adds the unused positions too: exact only where they come out zero
        return pipeline.run(spec, NumpyBackend(), x=x, w=w, b=b, gy=gy, want=want)
    pipe = VolumePipeline(spec, x, w, b, gy, want, plan(spec, numpy_fast.tuning()))
    got = pipe.results(numpy_fast.batch_pass(pipe))
    if "grad_weight" in got and not np.isfinite(got["grad_weight"]).all():
        # Its sums ran over the unused positions too, where an inf or nan of the input
        # (0·inf) may have spoilt entries that torch keeps finite: redo it exactly.
        redo = frozenset({"grad_weight"})
        got["grad_weight"] = pipeline.run(spec, NumpyBackend(), x=x, w=w, b=None, gy=gy,
                                          want=redo)["grad_weight"]
    return got
