"""grad_input of a depthwise-like layer: its matrix product and fold, tap by tap.

When every output channel reads a single input channel (``in_channels / groups == 1``:
depthwise convolutions and their channel multipliers), grad_input's product per group,

    dcols_g = conj(W_g)ᵀ · dY_g        (kh·kw × O/G) · (O/G × L),

has an inner dimension of only O/G (1 for depthwise): row t of ``dcols_g`` is just
conj(W_g[:, t]) times dY_g. BLAS is slow at such outer products, and the result, kh·kw
times the size of the output, is only read once more by the fold. So this module makes
``dcols`` row by row and adds each row straight onto the run of the padded input that its
tap read (the fold, in the wide layout of `core.im2col.WideGrid`) — the same products and
the same sums, without materialising the matrix. The forward and grad_weight products stay
ordinary matrix products over the unfolded input (`core.conv`).

The wide layout's unused columns of dY are zero, so (for a finite W, which the caller
checks) their rows of ``dcols`` are zero too and add nothing.
"""

from __future__ import annotations

import numpy as np

TAPWISE_MAX_OUT_PER_GROUP = 4


def applies(spec) -> bool:
    """Whether the tap-by-tap route serves this layer (one input channel per group)."""
    return spec.in_per_group == 1 and spec.out_per_group <= TAPWISE_MAX_OUT_PER_GROUP


def fold_products(grid, w, dy, grad_phases, rows: tuple[int, int]) -> None:
    """grad_input's product and fold for one band, tap by tap, in ``grid``'s wide layout.

    Parameters
    ----------
    grid : core.im2col.WideGrid
    w : ndarray, shape (O, 1, kh, kw)
    dy : ndarray, shape (n, O, R·Wq)
        grad_output for output rows ``rows = (r0, r1)`` in the wide layout, zero in the
        unused columns.
    grad_phases : ndarray, shape (n, C, sh·sw, Hq·Wq)
        Accumulates fold(dcols) (see `core.im2col.fold_wide`).
    """
    n, g = grad_phases.shape[:2]
    og = w.shape[0] // g
    span = grid.span(rows[1] - rows[0])
    dy = dy.reshape(n, g, og, -1)[..., :span]
    w_adj = w.reshape(g, og, -1).conj()  # conj(W_g), (G, O/G, kh·kw)
    d = np.empty((n, g, span), dtype=dy.dtype)
    for t, target in enumerate(grid.runs(grad_phases, rows)):
        if og == 1:
            np.multiply(dy[:, :, 0], w_adj[:, 0, t].reshape(1, g, 1), out=d)
        else:
            np.einsum("go,ngos->ngs", w_adj[:, :, t], dy, out=d)
        np.add(target, d, out=target)
