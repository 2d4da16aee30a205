"""``nn.Conv2d``'s forward pass and autograd's gradients, by im2col + matmul.

The pipeline, per chunk of samples::

    forward      xp = pad(x);  cols = unfold(xp);  y = W_g @ cols_g  (+ bias)
    grad_weight  dW_g += dY_g @ conj(cols_g)ᵀ
    grad_input   dcols_g = conj(W_g)ᵀ @ dY_g;  dxp = fold(dcols);  dx = pad_adjoint(dxp)
    grad_bias    db = Σ dY

``g`` runs over groups. The batch is processed in chunks so that the unfolded matrix
never holds more than about `CHUNK_BYTES`, which keeps peak memory near the tensors' own.
Complex gradients follow autograd's convention (conjugate Wirtinger): the other factor
is conjugated.

A layer whose windows skip most of its padded input (a stride or dilation far beyond the
kernel, a padding far beyond the input) runs as a small layer over just the pixels the
windows read (`core.compact`), so the cost follows the output and the kernel. Every public
function asks `core.budget.check` first and raises `core.budget.BudgetError` (a ValueError
naming the estimate and the limit) before allocating what would exceed the memory limit.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from . import budget, compact, im2col
from .backends import blas, get_backend, numpy_taps
from .spec import DTYPES, LayerSpec, _is_int

# Tuning (numpy backend). Measured on a 2-core AVX-512 machine; see benchmarks/bench_core.py.
CHUNK_BYTES = 2 * 2**20  # the im2col matrix of one step: samples per chunk, or rows per band
MIN_BAND = 512  # but never fewer columns than this in a band (numpy's per-call costs)
MIN_BAND_TAPS = 4096  # depthwise-like layers: many thin numpy calls per band
WIDE_MAX_RATIO = 1.25  # the wide layout when it adds at most 25 % columns
# numpy's ufuncs run over a 2D operand with strided rows (a run, one row per channel)
# several times slower when a row is shorter than about half of `np.getbufsize()` (8192):
# measured 3-4x on runs of 800-2000 values. The pipeline runs with smaller buffers, and
# leaves the setting as it found it.
UFUNC_BUFSIZE = 512
THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class ConvResults:
    """Everything one layer computes, as read-only arrays in the input's dtype."""

    output: np.ndarray
    grad_input: np.ndarray
    grad_weight: np.ndarray
    grad_bias: np.ndarray | None


# -- argument checks ---------------------------------------------------------------------
_DTYPES = frozenset(np.dtype(name) for name in DTYPES)


def _array(name: str, a: Any, dtype: np.dtype | None = None, like: str = "input") -> np.ndarray:
    """``a`` as an array of a supported dtype (and ``dtype``, that of the argument ``like``)."""
    a = np.asarray(a)
    if a.dtype not in _DTYPES and a.dtype.name not in DTYPES:  # (the set: native byte order)
        raise ValueError(
            f"{name} dtype {a.dtype.name} is not supported; use one of {', '.join(DTYPES)}"
        )
    if dtype is not None and a.dtype != dtype:
        raise ValueError(f"{name} dtype {a.dtype.name} does not match {like} dtype {dtype.name}")
    return a


def _size(name: str, value: Any, lengths: tuple[int, ...]) -> tuple[int, ...]:
    """A tensor size as torch takes one: a tuple, list or torch.Size of ints (numpy ints too;
    no bool, float, string or array), of one of ``lengths``."""
    if not isinstance(value, (tuple, list)) or not all(_is_int(v) for v in value):
        raise ValueError(f"{name} must be a tuple of ints, got {value!r}")
    if len(value) not in lengths:
        raise ValueError(
            f"{name} must have {' or '.join(map(str, lengths))} entries, got {len(value)}: "
            f"{tuple(value)!r}"
        )
    return tuple(int(v) for v in value)


def _check_shape(name: str, a: np.ndarray, expected: Sequence[int] | None) -> None:
    if expected is not None and a.shape != tuple(expected):
        raise ValueError(f"{name} shape {a.shape} does not match expected shape {tuple(expected)}")


def layer_spec(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    dtype: np.dtype,
    *,
    bias: bool,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    padding_mode: str,
) -> LayerSpec:
    """The `LayerSpec` behind a functional call, validated like ``nn.Conv2d``.

    Specs are remembered by the value of the arguments, with their types (`_value_key`):
    building and checking one costs more than a small layer's whole computation. The
    shapes are tuples of ints (an array's ``shape``, or checked by `_size`).
    """
    args = (tuple(input_shape), tuple(weight_shape), dtype, bias, stride, padding, dilation,
            groups, padding_mode)
    hyper = args[3:]
    kinds = tuple(map(type, hyper))
    if all(k in _KEY_SCALARS for k in kinds):  # the usual call: plain ints and strings
        key = (*args[:3], hyper, kinds)
    else:
        key = _value_key(args)
    spec = None if key is None else _SPECS.get(key)
    if spec is None:
        spec = LayerSpec.from_arrays(
            args[0],
            args[1],
            bias=bias,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            padding_mode=padding_mode,
            dtype=np.dtype(dtype).name,
        )
        if key is not None:
            if len(_SPECS) >= _SPECS_MAX:
                _SPECS.clear()
            _SPECS[key] = spec
    return spec


_SPECS: dict[tuple, LayerSpec] = {}
_SPECS_MAX = 256


def _value_key(args: tuple) -> tuple | None:
    """A cache key for a call's arguments: their values with the type of every part, so
    that values that compare equal but validate differently (``True`` and ``1``, ``1.0``
    and ``1``, a list and a tuple) get different keys; None where an argument is anything
    but a scalar (int, str, numpy int or dtype) or a flat tuple or list of them (then the
    call is not cached)."""
    parts = []
    for value in args:
        kind = type(value)
        if kind is tuple or kind is list:
            kinds = tuple(map(type, value))
            if not all(k in _KEY_SCALARS or issubclass(k, np.integer) for k in kinds):
                return None
            parts.append((kind, kinds, tuple(value)))
        elif kind in _KEY_SCALARS or issubclass(kind, (np.integer, np.dtype)):
            parts.append((kind, value))
        else:
            return None
    return tuple(parts)


_KEY_SCALARS = frozenset({int, bool, str})


def _hyper(stride: Any, padding: Any, dilation: Any, groups: Any, padding_mode: str) -> dict:
    return {
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "padding_mode": padding_mode,
    }


# -- the pipeline ------------------------------------------------------------------------
def _pool() -> ThreadPoolExecutor:
    """The workers of `THREADS` (made on first use, again if `THREADS` grew)."""
    global _POOL, _POOL_SIZE
    with _POOL_LOCK:
        if _POOL is None or _POOL_SIZE < THREADS:
            if _POOL is not None:
                _POOL.shutdown(wait=False)
            _POOL = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="core.conv")
            _POOL_SIZE = THREADS
        return _POOL


_POOL_LOCK = threading.Lock()
_POOL_SIZE = 0
_POOL: ThreadPoolExecutor | None = None


class _Pipeline:
    """One layer's tensors, prepared for running the pipeline chunk by chunk.

    Per chunk of samples: the unfolded matrix ``cols`` is made once and read by the
    forward product and by grad_weight; then the same memory receives ``dcols`` for
    grad_input. Results are written straight into the output arrays (``matmul(out=)``).
    """

    def __init__(
        self, spec: LayerSpec, backend: str, x, w, b, gy, want: frozenset[str], wide: bool = True
    ):
        self.spec, self.backend, self.want = spec, backend, want
        ops = get_backend(backend)
        g, og = spec.groups, spec.out_per_group
        oh, ow = spec.output_size
        self.positions = oh * ow
        self.per_group = spec.in_per_group * spec.kernel_size[0] * spec.kernel_size[1]
        self.w = ops.asarray(w)
        self.w_mat = self.w.reshape(g, og, self.per_group)  # (G, O/G, C/G·kh·kw)
        batched = spec.batched
        self.x = None if x is None else ops.asarray(x if batched else x[None])
        self.gy = None if gy is None else ops.asarray(gy if batched else gy[None])
        self.n = 1 if spec.batch is None else spec.batch
        # The wide layout where it is exact: its unused columns of grad_input's products
        # must come out zero (fold adds them), which holds for a finite weight (0·inf is
        # nan). grad_weight's sums run over them too: `_run` checks that result.
        wide = wide and ops.name == "numpy"
        if wide and "grad_input" in want and not np.isfinite(w).all():
            wide = False
        tuning = (CHUNK_BYTES, MIN_BAND, MIN_BAND_TAPS, WIDE_MAX_RATIO)
        self.grid, self.by_taps, self.bands, self.parts = _layout(spec, wide, tuning)
        self.out: dict[str, Any] = {}
        if "output" in want:
            self.out["output"] = ops.empty((self.n, spec.out_channels, oh, ow), self.w)
            self.bias = None if b is None else ops.asarray(b).reshape(1, -1, 1, 1)
        if "grad_input" in want:
            self.out["grad_input"] = ops.empty((self.n, spec.in_channels, *spec.input_size), self.w)
            self.w_adj = self.w_mat.conj().swapaxes(-1, -2)  # (G, C/G·kh·kw, O/G)
        self.need_cols = self.x is not None and ("output" in want or "grad_weight" in want)
        self.w_adj_shape = (g, self.per_group, og)
        self.ops = ops

    def run(self, parts: list[slice], bands: tuple | None = None) -> Any:
        """Run ``parts`` of the batch (over ``bands``, by default all) with their own
        scratch; return their conj(dW) sum."""
        ops = get_backend(self.backend)
        grad_w = None
        if "grad_weight" in self.want:  # dW_gᴴ, summed over the chunks
            grad_w = ops.zeros(self.w_adj_shape, self.w)
        bands = self.bands if bands is None else bands
        # inf and nan propagate silently, as in torch (0·inf is nan without a warning);
        # errstate also restores numpy's buffer size on the way out.
        with np.errstate(all="ignore"):
            np.setbufsize(UFUNC_BUFSIZE)
            for part in parts:
                if self.grid is None:
                    self._im2col(ops, part, grad_w)
                else:
                    self._wide(ops, part, grad_w, bands)
        return grad_w

    def run_alone(self, parts: list[slice]) -> Any:
        """`run` on a worker thread, with a single-threaded BLAS."""
        with blas.single_threaded():
            return self.run(parts)

    def run_bands(self, bands: tuple) -> Any:
        """`run` of the whole batch over some of the bands, on a worker thread, with a
        single-threaded BLAS."""
        with blas.single_threaded():
            return self.run(list(self.parts), bands)

    def _im2col(self, ops, part: slice, grad_w) -> None:
        """One chunk in unfold's layout (torch's backends; tensors that are not finite)."""
        spec, want = self.spec, self.want
        m, g, og = part.stop - part.start, spec.groups, spec.out_per_group
        shape = (m, g, self.per_group, self.positions)
        if self.need_cols:
            cols = ops.unfold(ops.pad(self.x[part], spec), spec).reshape(shape)
            if "output" in want:
                y = self.out["output"][part]
                ops.matmul(self.w_mat, cols, out=y.reshape(m, g, og, self.positions))
                if self.bias is not None:
                    y += self.bias
            if grad_w is not None:
                _add_grad_weight_h(ops, grad_w, cols, self.gy[part])
        if "grad_input" in want:
            dy = self.gy[part].reshape(m, g, og, self.positions)
            dcols = ops.matmul(self.w_adj, dy, out=ops.scratch("cols", shape, self.w))
            grad_padded = ops.fold(dcols.reshape(m, -1, self.positions), spec)
            ops.pad_adjoint(grad_padded, spec, out=self.out["grad_input"][part])

    def _wide(self, ops, part: slice, grad_w, bands: tuple) -> None:
        """One chunk in the wide layout (numpy), band of output rows by band."""
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
                    _add_grad_weight_h(ops, grad_w, cols, dy)
            if grad_phases is not None and self.by_taps:
                numpy_taps.fold_products(grid, self.w, dy, grad_phases, rows)
            elif grad_phases is not None:
                dcols = ops.scratch("cols", shape, self.w)
                ops.matmul(self.w_adj, dy.reshape(m, g, og, positions), out=dcols)
                ops.fold_wide(dcols.reshape(m, -1, positions), grid, grad_phases, rows)
        if grad_phases is not None:
            ops.merge_pad_adjoint(grad_phases, spec, grid, out=self.out["grad_input"][part])

    def _spread(self, ops, name: str, a):
        """``a`` (m, O, R, OW) in the wide layout (m, O, R·Wq), zero in the unused columns."""
        ow = a.shape[-1]
        wide = ops.scratch(name, (*a.shape[:-1], self.grid.width), a)
        wide[..., :ow] = a
        wide[..., ow:] = 0
        return wide.reshape(*a.shape[:2], -1)


@lru_cache(maxsize=256)
def _layout(spec: LayerSpec, wide: bool, tuning: tuple) -> tuple:
    """How the pipeline runs `spec` (a value key, with the tuning it depends on): the wide
    layout's grid or None, whether grad_input goes tap by tap, the bands of output rows and
    the chunks of the batch. Worked out once per layer, not per call: it is most of a
    small layer's per-call cost."""
    chunk_bytes, min_band, min_band_taps, wide_max_ratio = tuning
    grid = None
    if wide:
        grid = im2col.WideGrid(spec.kernel_size, spec.stride, spec.dilation, spec.padded_size)
        if grid.width > wide_max_ratio * spec.output_size[1]:
            grid = None
    by_taps = grid is not None and numpy_taps.applies(spec)
    itemsize = np.dtype(spec.dtype).itemsize
    per_group = spec.in_per_group * spec.kernel_size[0] * spec.kernel_size[1]
    oh = spec.output_size[0]
    bands = [(0, oh)]
    if grid is not None:
        # Equal bands of output rows whose cols fit `CHUNK_BYTES` when one sample's do not
        # (but at least `MIN_BAND` columns, below which numpy's per-call costs outweigh
        # what the cache saves).
        per_row = spec.groups * per_group * grid.width * itemsize
        least = min_band_taps if by_taps else min_band
        rows = max(1, chunk_bytes // per_row, -(-least // grid.width))
        count = -(-oh // rows)
        rows = -(-oh // count)
        bands = [(r, min(r + rows, oh)) for r in range(0, oh, rows)]
    positions = oh * spec.output_size[1] if grid is None else grid.positions
    per_sample = spec.groups * per_group * positions * itemsize  # one sample's cols
    n = 1 if spec.batch is None else spec.batch
    step = max(1, chunk_bytes // max(per_sample, 1))
    parts = [slice(start, min(start + step, n)) for start in range(0, n, step)]
    return grid, by_taps, tuple(bands), tuple(parts)


def _add_grad_weight_h(ops, grad_w, cols, dy) -> None:
    """Add one chunk's dW_gᴴ = cols_g·conj(dY_g)ᵀ, sample by sample, to ``grad_w``.

    ``cols`` is (m, G, C/G·kh·kw, L) and ``dy`` holds m samples' grad_output over the same L
    positions. cols·conj(dY)ᵀ = (dY·conj(cols)ᵀ)ᴴ: only the small factor is conjugated, and
    BLAS is faster with the long axis inner in both.
    """
    m, g, _, positions = cols.shape
    if not (isinstance(dy, np.ndarray) and dy.dtype.kind != "c"):  # real: conj would copy
        dy = dy.conj()
    dy_conj = dy.reshape(m, g, -1, positions)
    for i in range(m):
        grad_w += ops.matmul(cols[i], dy_conj[i].swapaxes(-1, -2))


def _sweep(pipe: _Pipeline) -> Any:
    """Run the pipeline over the whole batch; return dW_gᴴ per group, or None.

    numpy runs the chunks on up to `THREADS` worker threads, each with a single-threaded
    BLAS (`backends.blas`), so that the copies around the products run in parallel too:
    depthwise-like layers always (their products are too thin for BLAS to thread), others
    where BLAS's threads can be set per thread. Otherwise the chunks run one after another
    on BLAS's (or torch's) own threads.
    """
    parts = list(pipe.parts)
    workers = 1
    if pipe.ops.name == "numpy" and (pipe.by_taps or blas.available()):
        workers = max(1, min(THREADS, len(parts)))
    bands = pipe.bands
    if workers > 1:
        jobs = [parts[k::workers] for k in range(workers)]
        partials = list(_pool().map(pipe.run_alone, jobs))
    elif _split_bands(pipe):
        # One chunk in several bands (one large sample): the bands' outputs and grad_weight
        # sums are independent, so the workers share them out. (grad_input's fold adds
        # across the bands' edges: it keeps to one worker.)
        workers = min(THREADS, len(bands))
        jobs = [bands[k::workers] for k in range(workers)]
        partials = list(_pool().map(pipe.run_bands, jobs))
    else:
        partials = [pipe.run(parts)]
    grad_w = partials[0]
    if grad_w is not None:  # None when grad_weight was not asked for
        for more in partials[1:]:
            grad_w += more
    return grad_w


def _split_bands(pipe: _Pipeline) -> bool:
    return (
        THREADS > 1
        and len(pipe.bands) > 1
        and pipe.grid is not None
        and "grad_input" not in pipe.want
        and blas.available()
    )


def _run(
    spec: LayerSpec,
    backend: str,
    *,
    x: np.ndarray | None = None,
    w: np.ndarray,
    b: np.ndarray | None = None,
    gy: np.ndarray | None = None,
    want: frozenset[str],
) -> dict[str, np.ndarray]:
    """Run the pipeline once over the batch and return the requested tensors.

    The chunks run on `THREADS` threads where they can (`_sweep`), as torch runs its
    kernels on its intra-op threads. A layer whose windows read little of its padded input
    runs as its small equivalent (`core.compact`).
    """
    small = compact.plan(spec)
    if small is not None:
        xc = None if x is None else small.gather(x)
        got = _run(small.spec, backend, x=xc, w=w, b=b, gy=gy, want=want)
        if "grad_input" in got:
            got["grad_input"] = small.scatter(got["grad_input"], spec.input_size)
        return got
    pipe = _Pipeline(spec, backend, x, w, b, gy, want)
    out = pipe.out
    grad_w = _sweep(pipe)
    if grad_w is not None and pipe.grid is not None and not np.isfinite(grad_w).all():
        # The wide layout's sums ran over unused columns too: an inf or nan in the input
        # there (0·inf) may have spoilt entries that torch keeps finite. Redo it exactly.
        redo = frozenset({"grad_weight"})
        grad_w = _sweep(_Pipeline(spec, backend, x, w, None, gy, redo, wide=False))
    if grad_w is not None:
        grad_w = grad_w.conj().swapaxes(-1, -2)  # dW_g = (dW_gᴴ)ᴴ
        out["grad_weight"] = pipe.ops.contiguous(grad_w).reshape(spec.weight_shape)
    result = {k: pipe.ops.to_numpy(v) for k, v in out.items()}
    if not spec.batched:
        for k in ("output", "grad_input"):
            if k in result:
                result[k] = result[k][0]
    return result


# -- public API, with torch's names and argument order -----------------------------------
def conv2d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    padding_mode: str = "zeros",
    backend: str = "numpy",
) -> np.ndarray:
    """Forward pass of ``nn.Conv2d``: what ``conv(input)`` returns.

    Parameters
    ----------
    input : ndarray, shape (N, C, H, W) or (C, H, W)
    weight : ndarray, shape (O, C/groups, kh, kw)
    bias : ndarray, shape (O,), or None
    stride, padding, dilation, groups, padding_mode
        As ``torch.nn.Conv2d``; ``padding`` may be ``'valid'`` or ``'same'``.
    backend : {'numpy', 'torch', 'cuda'}

    Returns
    -------
    ndarray, shape (N, O, OH, OW) or (O, OH, OW), in the input's dtype.
    """
    x = _array("input", input)
    w = _array("weight", weight, x.dtype)
    b = None if bias is None else _array("bias", bias, x.dtype)
    hyper = _hyper(stride, padding, dilation, groups, padding_mode)
    spec = layer_spec(x.shape, w.shape, x.dtype, bias=b is not None, **hyper)
    if b is not None:
        _check_shape("bias", b, spec.bias_shape)
    want = frozenset({"output"})
    budget.check(spec, what="conv2d", outputs=want)
    return _run(spec, backend, x=x, w=w, b=b, want=want)["output"]


def conv2d_input(
    input_size: Sequence[int],
    weight: Any,
    grad_output: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    padding_mode: str = "zeros",
    backend: str = "numpy",
) -> np.ndarray:
    """Gradient of the loss w.r.t. the input, given ``grad_output`` (autograd's convention).

    Parameters
    ----------
    input_size : sequence of int, (N, C, H, W) or (C, H, W)
    weight : ndarray, shape (O, C/groups, kh, kw)
    grad_output : ndarray, the output's shape

    Returns
    -------
    ndarray, shape ``input_size``, in the weight's dtype.
    """
    input_size = _size("input_size", input_size, (3, 4))
    w = _array("weight", weight)
    gy = _array("grad_output", grad_output, w.dtype, like="weight")
    hyper = _hyper(stride, padding, dilation, groups, padding_mode)
    spec = layer_spec(input_size, w.shape, w.dtype, bias=False, **hyper)
    _check_shape("grad_output", gy, spec.output_shape)
    want = frozenset({"grad_input"})
    budget.check(spec, what="conv2d_input", outputs=want)
    return _run(spec, backend, w=w, gy=gy, want=want)["grad_input"]


def conv2d_weight(
    input: Any,
    weight_size: Sequence[int],
    grad_output: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    padding_mode: str = "zeros",
    backend: str = "numpy",
) -> np.ndarray:
    """Gradient of the loss w.r.t. the weight, given ``grad_output`` (autograd's convention).

    Returns
    -------
    ndarray, shape ``weight_size`` (O, C/groups, kh, kw), in the input's dtype.
    """
    x = _array("input", input)
    gy = _array("grad_output", grad_output, x.dtype)
    weight_size = _size("weight_size", weight_size, (4,))
    hyper = _hyper(stride, padding, dilation, groups, padding_mode)
    spec = layer_spec(x.shape, weight_size, x.dtype, bias=False, **hyper)
    _check_shape("grad_output", gy, spec.output_shape)
    want = frozenset({"grad_weight"})
    budget.check(spec, what="conv2d_weight", outputs=want)
    w = np.zeros(weight_size, dtype=x.dtype)
    return _run(spec, backend, x=x, w=w, gy=gy, want=want)["grad_weight"]


def conv2d_bias(grad_output: Any) -> np.ndarray:
    """Gradient w.r.t. the bias: ``grad_output`` summed over every axis but the channel.

    ``grad_output`` is (N, O, OH, OW) or unbatched (O, OH, OW); returns shape (O,).
    """
    gy = _array("grad_output", grad_output)
    if gy.ndim not in (3, 4):
        raise ValueError(f"grad_output must be 3D or 4D, got shape {gy.shape}")
    axes = (0, 2, 3) if gy.ndim == 4 else (1, 2)
    return gy.sum(axis=axes)


def compute(
    spec: LayerSpec,
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    grad_output: np.ndarray,
    backend: str = "numpy",
) -> ConvResults:
    """Forward and backward in one pass, sharing the unfolded input (what the app shows).

    The arrays must have the spec's shapes and dtype; the results are read-only.
    """
    if not isinstance(spec, LayerSpec):
        raise ValueError(f"spec must be a LayerSpec, got {type(spec).__name__}")
    dtype = np.dtype(spec.dtype)
    x = _array("input", input, dtype, like="the spec's")
    w = _array("weight", weight, dtype, like="the spec's")
    gy = _array("grad_output", grad_output, dtype, like="the spec's")
    _check_shape("input", x, spec.input_shape)
    _check_shape("weight", w, spec.weight_shape)
    _check_shape("grad_output", gy, spec.output_shape)
    b = None
    if spec.bias:
        if bias is None:
            raise ValueError("bias is on in the spec but no bias tensor was given")
        b = _array("bias", bias, dtype, like="the spec's")
        _check_shape("bias", b, spec.bias_shape)
    elif bias is not None:
        raise ValueError("a bias tensor was given but the spec has bias off")
    budget.check(spec, what="compute")
    if spec.transposed:  # this pipeline, with the roles of the Conv2d's tensors swapped
        from .conv_transpose import compute_transposed

        return compute_transposed(spec, x, w, b, gy, backend)
    got = _run(
        spec, backend, x=x, w=w, b=b, gy=gy, want=frozenset({"output", "grad_input", "grad_weight"})
    )
    results = ConvResults(
        output=got["output"],
        grad_input=got["grad_input"],
        grad_weight=got["grad_weight"],
        grad_bias=conv2d_bias(gy) if spec.bias else None,
    )
    for a in (results.output, results.grad_input, results.grad_weight, results.grad_bias):
        if a is not None:
            a.flags.writeable = False
    return results
