"""The textbook pipeline: ``nn.Conv1d/2d/3d``'s forward and backward by im2col + matmul.

Per chunk of samples, on any `core.backends.Backend`::

    forward      xp = pad(x);  cols = unfold(xp);  y = W_g @ cols_g  (+ bias)
    grad_weight  dW_gᴴ += cols_g @ conj(dY_g)ᵀ
    grad_input   dcols_g = conj(W_g)ᵀ @ dY_g;  dxp = fold(dcols);  dx = pad_adjoint(dxp)
    grad_bias    db = Σ dY            (`core.conv.conv2d_bias`)

``g`` runs over groups. The batch is processed in chunks so that the unfolded matrix
never holds more than about `CHUNK_BYTES`, which keeps peak memory near the tensors' own.
Complex gradients follow autograd's convention (conjugate Wirtinger): the other factor is
conjugated. The numpy backend runs the same steps rearranged for speed
(`core.backends.numpy_fast`); this module is what the app's steps show.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from .backends import Backend
from .spec import LayerSpec

CHUNK_BYTES = 2 * 2**20  # the im2col matrix of one step: samples per chunk (or rows per band)

Array = Any  # the backend's array type (numpy's or torch's)


class Pipeline:
    """One layer's tensors, prepared for running the pipeline chunk by chunk.

    Per chunk of samples: the unfolded matrix ``cols`` is made once and read by the
    forward product and by grad_weight; then the same memory receives ``dcols`` for
    grad_input. Results are written straight into the output arrays (``matmul(out=)``).
    ``parts`` are the chunks of the batch (`chunks`).
    """

    def __init__(self, spec: LayerSpec, ops: Backend, x: np.ndarray | None, w: np.ndarray,
                 b: np.ndarray | None, gy: np.ndarray | None, want: frozenset[str],
                 parts: tuple[slice, ...]) -> None:
        self.spec, self.ops, self.want, self.parts = spec, ops, want, parts
        g, og = spec.groups, spec.out_per_group
        self.positions = math.prod(spec.output_size)
        self.per_group = spec.in_per_group * math.prod(spec.kernel_size)
        self.w = ops.asarray(w)
        self.w_mat = self.w.reshape(g, og, self.per_group)  # (G, O/G, C/G·prod(k))
        batched = spec.batched
        self.x = None if x is None else ops.asarray(x if batched else x[None])
        self.gy = None if gy is None else ops.asarray(gy if batched else gy[None])
        self.n = 1 if spec.batch is None else spec.batch
        self.out: dict[str, Array] = {}
        if "output" in want:
            self.out["output"] = ops.empty((self.n, spec.out_channels, *spec.output_size),
                                           self.w)
            self.bias = None if b is None else ops.asarray(b).reshape(1, -1, *[1] * spec.dims)
        if "grad_input" in want:
            self.out["grad_input"] = ops.empty((self.n, spec.in_channels, *spec.input_size), self.w)
            self.w_adj = self.w_mat.conj().swapaxes(-1, -2)  # (G, C/G·prod(k), O/G)
        self.need_cols = self.x is not None and ("output" in want or "grad_weight" in want)
        self.w_adj_shape = (g, self.per_group, og)

    def run(self, parts: list[slice] | tuple[slice, ...]) -> Array:
        """Run ``parts`` of the batch; return their dW_gᴴ summed (None unless asked for)."""
        ops = self.ops
        grad_w = None
        if "grad_weight" in self.want:  # dW_gᴴ, summed over the chunks
            grad_w = ops.zeros(self.w_adj_shape, self.w)
        # inf and nan propagate silently, as in torch (0·inf is nan without a warning)
        with np.errstate(all="ignore"):
            for part in parts:
                self.chunk(ops, part, grad_w)
        return grad_w

    def chunk(self, ops: Backend, part: slice, grad_w: Array | None) -> None:
        """One chunk of samples, step by step as the module docstring writes it."""
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
                add_grad_weight_h(ops, grad_w, cols, self.gy[part])
        if "grad_input" in want:
            dy = self.gy[part].reshape(m, g, og, self.positions)
            dcols = ops.matmul(self.w_adj, dy, out=ops.scratch("cols", shape, self.w))
            grad_padded = ops.fold(dcols.reshape(m, -1, self.positions), spec)
            ops.pad_adjoint(grad_padded, spec, out=self.out["grad_input"][part])

    def results(self, grad_w: Array | None) -> dict[str, np.ndarray]:
        """The requested tensors as numpy arrays, from the outputs and dW_gᴴ."""
        out = self.out
        if grad_w is not None:
            grad_w = grad_w.conj().swapaxes(-1, -2)  # dW_g = (dW_gᴴ)ᴴ
            out["grad_weight"] = self.ops.contiguous(grad_w).reshape(self.spec.weight_shape)
        result = {k: self.ops.to_numpy(v) for k, v in out.items()}
        if not self.spec.batched:
            for k in ("output", "grad_input"):
                if k in result:
                    result[k] = result[k][0]
        return result


def add_grad_weight_h(ops: Backend, grad_w: Array, cols: Array, dy: Array) -> None:
    """Add one chunk's dW_gᴴ = cols_g·conj(dY_g)ᵀ, sample by sample, to ``grad_w``.

    ``cols`` is (m, G, C/G·prod(k), L) and ``dy`` holds m samples' grad_output over the same L
    positions. cols·conj(dY)ᵀ = (dY·conj(cols)ᵀ)ᴴ: only the small factor is conjugated, and
    BLAS is faster with the long axis inner in both.
    """
    m, g, _, positions = cols.shape
    if not (isinstance(dy, np.ndarray) and dy.dtype.kind != "c"):  # real: conj would copy
        dy = dy.conj()
    dy_conj = dy.reshape(m, g, -1, positions)
    for i in range(m):
        grad_w += ops.matmul(cols[i], dy_conj[i].swapaxes(-1, -2))


@lru_cache(maxsize=256)
def chunks(spec: LayerSpec, positions: int, chunk_bytes: int) -> tuple[slice, ...]:
    """The batch in chunks of samples whose im2col matrices (of ``positions`` columns)
    fit ``chunk_bytes`` (at least one sample each)."""
    itemsize = np.dtype(spec.dtype).itemsize
    per_group = spec.in_per_group * math.prod(spec.kernel_size)
    per_sample = spec.groups * per_group * positions * itemsize  # one sample's cols
    n = 1 if spec.batch is None else spec.batch
    step = max(1, chunk_bytes // max(per_sample, 1))
    return tuple(slice(start, min(start + step, n)) for start in range(0, n, step))


def run(spec: LayerSpec, ops: Backend, *, x: np.ndarray | None, w: np.ndarray,
        b: np.ndarray | None, gy: np.ndarray | None, want: frozenset[str]
        ) -> dict[str, np.ndarray]:
    """The pipeline once over the batch, one chunk after another on ``ops``."""
    parts = chunks(spec, math.prod(spec.output_size), CHUNK_BYTES)
    pipe = Pipeline(spec, ops, x, w, b, gy, want, parts)
    return pipe.results(pipe.run(pipe.parts))
