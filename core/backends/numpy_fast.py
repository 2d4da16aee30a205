"""The numpy fast path: the textbook pipeline (`core.pipeline`), rearranged for speed.

The same products and sums as `core.pipeline.Pipeline.chunk`, in the same order per
entry, so the numbers match torch alike; only the memory layout and the scheduling
differ. Every speed trick of the numpy backend lives here:

* **the wide layout** (`core.im2col.WideGrid`): unfold and fold as long contiguous runs
  per tap, at the price of a few unused columns per output row — used when it adds at
  most `WIDE_MAX_RATIO` columns and, for grad_input, when the weight is finite (the
  unused columns must come out zero: 0·inf is nan); grad_weight's sums run over the
  unused columns too, so a result that is not finite is redone in the textbook layout;
* **bands**: one large sample's matrix in bands of output rows that fit `CHUNK_BYTES`
  (`core.pipeline.CHUNK_BYTES`), but at least `MIN_BAND` columns (`MIN_BAND_TAPS` for
  depthwise-like layers);
* **tap by tap** grad_input for depthwise-like layers (`numpy_taps`);
* **threads**: chunks (or bands) on up to `THREADS` workers — the calling thread and
  helpers kept off its CPU (`workers.share`) — each with a single-threaded BLAS (`blas`),
  so that the copies around the products run in parallel too; blocks of chunks that a
  worker left unstarted go to another;
* **one and three spatial axes**: a stride-1 Conv3d in `numpy_volume`'s layout, a Conv1d
  as a Conv2d of height 1 (`as_2d`) or, where its row is too long to stay in cache, as a
  Conv3d of depth and height 1 in slabs of columns (`as_3d`);
* **small ufunc buffers** (`UFUNC_BUFSIZE`) and scratch reused across chunks
  (`NumpyBackend.scratch`);
* the plan of a layer (`plan`) worked out once, not per call.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from functools import lru_cache

import numpy as np

from .. import im2col, pipeline
from ..pipeline import Pipeline, add_grad_weight_h
from ..spec import LayerSpec
from . import blas, numpy_taps
from .numpy_backend import NumpyBackend
from .workers import share

# Tuning, measured on a 2-core AVX-512 machine; see benchmarks/bench_core.py.
MIN_BAND = 512  # never fewer columns than this in a band (numpy's per-call costs)
MIN_BAND_TAPS = 4096  # depthwise-like layers: many thin numpy calls per band
WIDE_MAX_RATIO = 1.25  # the wide layout when it adds at most 25 % columns
BLOCKS_PER_WORKER = 2  # the batch's chunks in up to this many blocks per worker
# numpy's ufuncs run over a 2D operand with strided rows (a run, one row per channel)
# several times slower when a row is shorter than about half of `np.getbufsize()` (8192):
# measured 3-4x on runs of 800-2000 values. The pipeline runs with smaller buffers, and
# leaves the setting as it found it.
UFUNC_BUFSIZE = 512
THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def tuning() -> tuple[int, int, int, int, float]:
    """The tuning the plan and `core.budget`'s estimate depend on (read at call time)."""
    return (pipeline.CHUNK_BYTES, THREADS, MIN_BAND, MIN_BAND_TAPS, WIDE_MAX_RATIO)


@lru_cache(maxsize=256)
def plan(spec: LayerSpec, wide: bool, tuning: tuple) -> tuple:
    """How the fast path runs `spec` (a value key, with the tuning it depends on): the wide
    layout's grid or None, whether grad_input goes tap by tap, the bands of output rows and
    the chunks of the batch. Worked out once per layer, not per call: it is most of a
    small layer's per-call cost."""
    chunk_bytes, _threads, min_band, min_band_taps, wide_max_ratio = tuning
    grid = None
    if wide:
        grid = im2col.WideGrid(spec.kernel_size, spec.stride, spec.dilation, spec.padded_size)
        if grid.width > wide_max_ratio * spec.output_size[1]:
            grid = None
    by_taps = grid is not None and numpy_taps.applies(spec)
    oh = spec.output_size[0]
    bands = [(0, oh)]
    if grid is not None:
        # Equal bands of output rows whose cols fit `CHUNK_BYTES` when one sample's do not
        # (but at least `MIN_BAND` columns, below which numpy's per-call costs outweigh
        # what the cache saves).
        per_group = spec.in_per_group * spec.kernel_size[0] * spec.kernel_size[1]
        per_row = spec.groups * per_group * grid.width * np.dtype(spec.dtype).itemsize
        least = min_band_taps if by_taps else min_band
        rows = max(1, chunk_bytes // per_row, -(-least // grid.width))
        count = -(-oh // rows)
        rows = -(-oh // count)
        bands = [(r, min(r + rows, oh)) for r in range(0, oh, rows)]
    positions = oh * spec.output_size[1] if grid is None else grid.positions
    parts = pipeline.chunks(spec, positions, chunk_bytes)
    return grid, by_taps, tuple(bands), parts


class WideBackend(NumpyBackend):
    """`NumpyBackend` plus the wide layout's steps (`core.im2col.WideGrid`)."""

    def split(self, xp: np.ndarray, grid: im2col.WideGrid) -> np.ndarray:
        if grid.stride == (1, 1):
            return grid.split(xp)
        return grid.split(xp, self._phases("phases", grid, xp.shape[:2], xp, zeroed=True))

    def pad_split(self, x: np.ndarray, spec: LayerSpec, grid: im2col.WideGrid) -> np.ndarray:
        """`pad`, then `split` — in one copy for zero padding at stride > 1."""
        if grid.stride == (1, 1) or spec.padding_mode != "zeros":
            return self.split(self.pad(x, spec), grid)
        phases = self._phases("phases", grid, x.shape[:2], x, zeroed=True)
        return grid.split(x, phases, offset=(spec.pads[0], spec.pads[2]))

    def merge_pad_adjoint(self, phases, spec: LayerSpec, grid: im2col.WideGrid, out):
        """`merge`, then `pad_adjoint` into ``out`` — in one copy where `pad_split` was."""
        if grid.stride == (1, 1) or spec.padding_mode != "zeros":
            return self.pad_adjoint(self.merge(phases, grid), spec, out)
        return grid.merge(phases, out, offset=(spec.pads[0], spec.pads[2]))

    def unfold_wide(self, phases: np.ndarray, grid: im2col.WideGrid, rows: tuple[int, int]):
        n, c = phases.shape[:2]
        kh, kw = grid.kernel_size
        cols = self.scratch("cols", (n, c * kh * kw, (rows[1] - rows[0]) * grid.width), phases)
        return im2col.unfold_wide(phases, grid, cols, rows)

    def grad_phases(self, grid: im2col.WideGrid, lead: tuple[int, int], like: np.ndarray):
        """Zeros to accumulate `fold_wide` into: (n, C, phases, Hq·Wq)."""
        if grid.stride == (1, 1):
            out = self.scratch("grad_padded", (*lead, *grid.padded_size), like)
            out.fill(0)
            return grid.split(out)
        out = self._phases("grad_phases", grid, lead, like)
        out.fill(0)
        return out

    def fold_wide(self, cols, grid: im2col.WideGrid, phases, rows: tuple[int, int]):
        return im2col.fold_wide(cols, grid, phases, rows)

    def merge(self, phases: np.ndarray, grid: im2col.WideGrid) -> np.ndarray:
        """The padded gradient (n, C, Hp, Wp) from accumulated ``phases``."""
        lead = phases.shape[:2]
        if grid.stride == (1, 1):
            return phases.reshape(*lead, *grid.padded_size)
        out = self.scratch("grad_padded", (*lead, *grid.padded_size), phases)
        return grid.merge(phases, out)

    def _phases(self, name: str, grid: im2col.WideGrid, lead, like, zeroed: bool = False):
        hq, wq = grid.phase_size
        shape = (*lead, grid.stride[0] * grid.stride[1], hq * wq)
        return self.scratch(name, shape, like, zeroed=zeroed)


class FastPipeline(Pipeline):
    """`Pipeline` on numpy, in the wide layout where `plan` found one, band by band."""

    def __init__(self, spec: LayerSpec, x, w, b, gy, want: frozenset[str], layout: tuple):
        self.grid, self.by_taps, self.bands, parts = layout
        super().__init__(spec, WideBackend(), x, w, b, gy, want, parts)

    def run(self, parts, bands: tuple | None = None, ops: WideBackend | None = None
            ) -> np.ndarray | None:
        """Run ``parts`` of the batch (over ``bands``, by default all) with their own
        scratch (or ``ops``'s); return their dW_gᴴ sum."""
        ops = WideBackend() if ops is None else ops
        grad_w = None
        if "grad_weight" in self.want:  # dW_gᴴ, summed over the chunks
            grad_w = ops.zeros(self.w_adj_shape, self.w)
        bands = self.bands if bands is None else bands
        # errstate also restores numpy's buffer size on the way out
        with np.errstate(all="ignore"):
            np.setbufsize(UFUNC_BUFSIZE)
            for part in parts:
                if self.grid is None:
                    self.chunk(ops, part, grad_w)
                else:
                    self.chunk_wide(ops, part, grad_w, bands)
        return grad_w

    def run_alone(self, blocks: list[int]) -> None:
        """`run` on a worker thread, with a single-threaded BLAS, of the blocks of chunks
        (`batch_pass`) ``blocks``, then of any block no worker has started yet (one whose
        worker is late: another process holds its CPU); each block's dW_gᴴ sum into
        ``self.sums``."""
        ops = WideBackend()
        with blas.single_threaded():
            for k in [*blocks, *range(len(self.blocks))]:
                with self.claims:
                    if k in self.sums:
                        continue
                    self.sums[k] = None  # claimed
                self.sums[k] = self.run(self.blocks[k], ops=ops)

    def run_bands(self, bands: tuple) -> np.ndarray | None:
        """`run` of the whole batch over some of the bands, on a worker thread, with a
        single-threaded BLAS."""
        with blas.single_threaded():
            return self.run(list(self.parts), bands)

    def chunk_wide(self, ops: WideBackend, part: slice, grad_w, bands: tuple) -> None:
        """`chunk` in the wide layout, band of output rows by band."""
        spec, want, grid = self.spec, self.want, self.grid
        m, g, og = part.stop - part.start, spec.groups, spec.out_per_group
        phases = ops.pad_split(self.x[part], spec, grid) if self.need_cols else None
        grad_phases = None
        if "grad_input" in want:
            grad_phases = ops.grad_phases(grid, (m, spec.in_channels), self.w)
        for rows in bands:
            r0, r1 = rows
            positions = (r1 - r0) * grid.width
            shape = (m, g, self.per_group, positions)
            dy = None
            if self.gy is not None:
                dy = self._spread(ops, "grad_output", self.gy[part, :, r0:r1])
            if self.need_cols:
                cols = ops.unfold_wide(phases, grid, rows).reshape(shape)
                if "output" in want:
                    wide = ops.scratch("output", (m, g, og, positions), self.w)
                    ops.matmul(self.w_mat, cols, out=wide)
                    y = self.out["output"][part, :, r0:r1]
                    y[...] = grid.real(wide.reshape(m, spec.out_channels, positions))
                    if self.bias is not None:
                        y += self.bias
                if grad_w is not None:
                    add_grad_weight_h(ops, grad_w, cols, dy)
            if grad_phases is not None and self.by_taps:
                numpy_taps.fold_products(grid, self.w, dy, grad_phases, rows)
            elif grad_phases is not None:
                dcols = ops.scratch("cols", shape, self.w)
                ops.matmul(self.w_adj, dy.reshape(m, g, og, positions), out=dcols)
                ops.fold_wide(dcols.reshape(m, -1, positions), grid, grad_phases, rows)
        if grad_phases is not None:
            ops.merge_pad_adjoint(grad_phases, spec, grid, out=self.out["grad_input"][part])

    def _spread(self, ops: WideBackend, name: str, a: np.ndarray) -> np.ndarray:
        """``a`` (m, O, R, OW) in the wide layout (m, O, R·Wq), zero in the unused columns."""
        ow = a.shape[-1]
        wide = ops.scratch(name, (*a.shape[:-1], self.grid.width), a)
        wide[..., :ow] = a
        wide[..., ow:] = 0
        return wide.reshape(*a.shape[:2], -1)


def batch_pass(pipe: FastPipeline) -> np.ndarray | None:
    """Run the pipeline over the whole batch; return dW_gᴴ per group, or None.

    The chunks run on up to `THREADS` worker threads, each with a single-threaded BLAS
    (`blas`), so that the copies around the products run in parallel too: depthwise-like
    layers always (their products are too thin for BLAS to thread), others where BLAS's
    threads can be set per thread. Otherwise the chunks run one after another on BLAS's
    own threads.
    """
    parts = list(pipe.parts)
    workers = 1
    if pipe.by_taps or blas.available():
        workers = max(1, min(THREADS, len(parts)))
    bands = pipe.bands
    if workers > 1:
        # Consecutive chunks in blocks, a few per worker; each worker starts on its own
        # and then takes any left, so that one kept waiting (its CPU busy with another
        # process) holds up no more than a block. The sums add in block order whoever
        # ran them: the result does not depend on the timing.
        count = min(len(parts), BLOCKS_PER_WORKER * workers)
        pipe.blocks = [parts[k * len(parts) // count:(k + 1) * len(parts) // count]
                       for k in range(count)]
        pipe.sums, pipe.claims = {}, threading.Lock()
        share(pipe.run_alone, [list(range(k, count, workers)) for k in range(workers)])
        partials = [pipe.sums[k] for k in range(count)]
    elif split_bands(pipe):
        # One chunk in several bands (one large sample): the bands' outputs and grad_weight
        # sums are independent, so the workers share them out. (grad_input's fold adds
        # across the bands' edges: it keeps to one worker.)
        workers = min(THREADS, len(bands))
        jobs = [bands[k::workers] for k in range(workers)]
        partials = share(pipe.run_bands, jobs)
    else:
        partials = [pipe.run(parts)]
    grad_w = partials[0]
    if grad_w is not None:  # None when grad_weight was not asked for
        for more in partials[1:]:
            grad_w += more
    return grad_w


def split_bands(pipe: FastPipeline) -> bool:
    return (
        THREADS > 1
        and len(pipe.bands) > 1
        and pipe.grid is not None
        and "grad_input" not in pipe.want
        and blas.available()
    )


@lru_cache(maxsize=256)
def as_2d(spec: LayerSpec) -> LayerSpec | None:
    """The Conv2d this module runs for ``spec``, or None where the textbook pipeline
    (`core.pipeline`) runs it instead.

    Two spatial axes: ``spec`` itself. A Conv1d is exactly a Conv2d of height 1 — kernel,
    stride, dilation (1, ·), no padding on the height axis — over the same memory with an
    axis of length 1 inserted, so it takes the 2-D path as it is (causal ones keep to the
    textbook: their padding is one-sided), unless `numpy_volume` takes it (`as_3d`). Three
    axes: None.
    """
    if spec.dims == 2:
        return spec
    if spec.dims != 1 or spec.causal or as_3d(spec) is not None:
        return None
    return _lifted(spec, 1)


def as_3d(spec: LayerSpec) -> LayerSpec | None:
    """The Conv3d `numpy_volume` runs for ``spec``, or None: a Conv3d that it `applies` to
    (stride 1) as it is; a Conv1d whose one row's im2col matrix does not fit a slab — at
    stride 1, not causal, not depthwise-like (those keep the 2-D path's tap-by-tap route)
    — as a Conv3d of depth and height 1, so that its row runs in slabs of columns that
    stay in cache (`numpy_volume.slab_size`)."""
    return _as_3d(spec, tuning())


@lru_cache(maxsize=256)
def _as_3d(spec: LayerSpec, tuning: tuple) -> LayerSpec | None:
    from . import numpy_volume  # (it builds on this module)

    if spec.dims == 3:
        return spec if numpy_volume.applies(spec) else None
    if spec.dims != 1 or spec.causal or spec.stride != (1,) or numpy_taps.applies(spec):
        return None
    volume = _lifted(spec, 2)
    if not numpy_volume.applies(volume):
        return None
    columns = numpy_volume.slab_size(volume, tuning[0], tuning[2])[2]
    return volume if columns < volume.padded_size[2] else None


def _lifted(spec: LayerSpec, axes: int) -> LayerSpec:
    """A Conv1d as the layer of ``axes`` more leading spatial axes of size 1 (kernel,
    stride and dilation 1, no padding on them) over the same memory."""
    ones, zeros = (1,) * axes, (0,) * axes
    padding = spec.padding if isinstance(spec.padding, str) else (*zeros, *spec.padding)
    return dataclasses.replace(
        spec, kernel_size=(*ones, *spec.kernel_size), stride=(*ones, *spec.stride),
        padding=padding, dilation=(*ones, *spec.dilation),
        input_size=(*ones, *spec.input_size),
        output_padding=(*zeros, *spec.output_padding), dims=1 + axes,
    )


def serves(spec: LayerSpec) -> bool:
    """Whether `run` takes ``spec`` (else `core.pipeline.run` does; `core.conv._run`):
    two axes, one as two (`as_2d`), three at stride 1 and a long row as three (`as_3d`)."""
    return as_3d(spec) is not None or as_2d(spec) is not None


def run(spec: LayerSpec, *, x: np.ndarray | None, w: np.ndarray, b: np.ndarray | None,
        gy: np.ndarray | None, want: frozenset[str]) -> dict[str, np.ndarray]:
    """`core.pipeline.run` on numpy, fast: the chunks on `THREADS` threads where they can
    (`batch_pass`), as torch runs its kernels on its intra-op threads; for a layer that
    `serves`."""
    if not serves(spec):
        raise ValueError(f"the numpy fast path does not run this layer: {spec}")
    if spec.dims == 3:
        from . import numpy_volume

        return numpy_volume.run(spec, x=x, w=w, b=b, gy=gy, want=want)
    if spec.dims == 2:
        return run_2d(spec, x=x, w=w, b=b, gy=gy, want=want)
    # A Conv1d as a Conv2d of height 1 or a Conv3d of depth and height 1: views in and out.
    volume = as_3d(spec)
    if volume is not None:
        from . import numpy_volume

        got = numpy_volume.run(volume, x=_tall(x, 2), w=_tall(w, 2), b=b, gy=_tall(gy, 2),
                               want=want)
    else:
        got = run_2d(as_2d(spec), x=_tall(x, 1), w=_tall(w, 1), b=b, gy=_tall(gy, 1),
                     want=want)
    shapes = {"output": spec.output_shape, "grad_input": spec.input_shape,
              "grad_weight": spec.weight_shape}
    return {name: a.reshape(shapes[name]) for name, a in got.items()}


def _tall(a: np.ndarray | None, axes: int) -> np.ndarray | None:
    """A Conv1d tensor (..., L) as a view (..., 1, L) or (..., 1, 1, L)."""
    return None if a is None else a[(..., *[None] * axes, slice(None))]


def run_2d(spec: LayerSpec, *, x: np.ndarray | None, w: np.ndarray, b: np.ndarray | None,
           gy: np.ndarray | None, want: frozenset[str]) -> dict[str, np.ndarray]:
    """`run` of a layer of two spatial axes."""
    # The wide layout where it is exact: its unused columns of grad_input's products must
    # come out zero (fold adds them), which holds for a finite weight (0·inf is nan).
    wide = "grad_input" not in want or bool(np.isfinite(w).all())
    pipe = FastPipeline(spec, x, w, b, gy, want, plan(spec, wide, tuning()))
    grad_w = batch_pass(pipe)
    if grad_w is not None and pipe.grid is not None and not np.isfinite(grad_w).all():
        # The wide layout's sums ran over unused columns too: an inf or nan in the input
        # there (0·inf) may have spoilt entries that torch keeps finite. Redo it exactly.
        redo = frozenset({"grad_weight"})
        exact = FastPipeline(spec, x, w, None, gy, redo, plan(spec, False, tuning()))
        grad_w = batch_pass(exact)
    return pipe.results(grad_w)
