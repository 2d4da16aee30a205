"""im2col (unfold) and col2im (fold) over an already padded input, in numpy, for 1, 2 or 3
spatial axes (as many as the kernel has).

Layout follows ``torch.nn.functional.unfold``: ``cols[n, (c, i, j), l]`` is the padded
input pixel that kernel tap (i, j) of channel c reads at output position l (row-major;
with d axes the tap is (i₀, …, i_d-1) and l runs over the output positions row-major).
The im2col matrix of the textbook — rows = output positions — is ``cols[n].T``; keeping
positions last makes ``W @ cols`` land directly in the NCHW output layout.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.lib.stride_tricks import as_strided

Pair = tuple[int, int]
Sizes = tuple[int, ...]  # one int per spatial axis: (L,), (H, W) or (D, H, W)


def output_size(padded_size: Sizes, kernel_size: Sizes, stride: Sizes, dilation: Sizes) -> Sizes:
    """Output size per axis of a convolution over an input already padded to ``padded_size``."""
    return tuple([  # type: ignore[return-value]
        (p - d * (k - 1) - 1) // s + 1
        for p, k, s, d in zip(padded_size, kernel_size, stride, dilation, strict=True)
    ])


def windows(xp: np.ndarray, kernel_size: Sizes, stride: Sizes, dilation: Sizes) -> np.ndarray:
    """Read-only strided view of every kernel window: shape (N, C, *k, *out), no copy.

    ``xp`` is (N, C, *padded) with one spatial axis per entry of ``kernel_size``.
    """
    dims = len(kernel_size)
    shape, strides = xp.shape, xp.strides
    out = output_size(shape[-dims:], kernel_size, stride, dilation)
    taps = [t * d for t, d in zip(strides[-dims:], dilation, strict=True)]
    steps = [t * s for t, s in zip(strides[-dims:], stride, strict=True)]
    return as_strided(xp, (*shape[:-dims], *kernel_size, *out),
                      (*strides[:-dims], *taps, *steps), writeable=False)


def unfold(xp: np.ndarray, kernel_size: Sizes, stride: Sizes, dilation: Sizes) -> np.ndarray:
    """im2col: every kernel window of the padded input as a column.

    Parameters
    ----------
    xp : ndarray, shape (N, C, *padded)
        The padded input, with as many spatial axes as ``kernel_size`` has entries.

    Returns
    -------
    ndarray, shape (N, C·prod(k), prod(out))
    """
    n, c = xp.shape[:2]
    out = output_size(xp.shape[2:], kernel_size, stride, dilation)
    cols = np.empty((n, c * math.prod(kernel_size), math.prod(out)), dtype=xp.dtype)
    return unfold_into(xp, kernel_size, stride, dilation, cols)


def unfold_into(
    xp: np.ndarray, kernel_size: Sizes, stride: Sizes, dilation: Sizes, out: np.ndarray
) -> np.ndarray:
    """`unfold` into a given contiguous array ``out`` of shape (N, C·prod(k), prod(out)).

    The pipeline reuses one such buffer for every chunk of the batch: the copy from the
    window view is the only pass over the data, with no fresh pages to fault in.
    """
    view = windows(xp, kernel_size, stride, dilation)
    np.copyto(out.reshape(view.shape), view)  # the one copy
    return out


def fold(
    cols: np.ndarray, padded_size: Sizes, kernel_size: Sizes, stride: Sizes, dilation: Sizes
) -> np.ndarray:
    """col2im, the adjoint of `unfold`: sum every column back onto the padded input.

    Parameters
    ----------
    cols : ndarray, shape (N, C·prod(k), prod(out))

    Returns
    -------
    ndarray, shape (N, C, *padded_size)
    """
    n, ck, _ = cols.shape
    c = ck // math.prod(kernel_size)
    out = np.empty((n, c, *padded_size), dtype=cols.dtype)
    return fold_into(cols, kernel_size, stride, dilation, out)


def fold_into(
    cols: np.ndarray, kernel_size: Sizes, stride: Sizes, dilation: Sizes, out: np.ndarray
) -> np.ndarray:
    """`fold` into a given array ``out`` of shape (N, C, *padded), overwriting it."""
    n, c = out.shape[:2]
    size = output_size(out.shape[2:], kernel_size, stride, dilation)
    taps = cols.reshape(n, c, math.prod(kernel_size), *size)
    out.fill(0)
    # Per axis, the entries each kernel index reads (every output position's).
    reads = [
        [slice(i * d, i * d + s * (o - 1) + 1, s) for i in range(k)]
        for k, s, d, o in zip(kernel_size, stride, dilation, size, strict=True)
    ]
    # One vectorised add per kernel tap: windows overlap, so taps must not be added at once.
    for t, where in enumerate(itertools.product(*reads)):
        target = out[(..., *where)]
        np.add(target, taps[:, :, t], out=target)
    return out


@dataclass(frozen=True)
class WideGrid:
    """The output grid of `unfold_wide`: OH rows of Wq positions, the first OW of them real.

    With stride (sh, sw) the padded input splits into sh·sw *phases* ``xp[..., a::sh,
    b::sw]`` (at stride 1 the one phase is ``xp`` itself), each stored Hq × Wq. Kernel tap
    (i, j) reads phase ((i·dh) mod sh, (j·dw) mod sw) from row (i·dh) div sh and column
    (j·dw) div sw on, at stride 1 — so, with the phase flattened per channel, that tap's
    row of the im2col matrix is one contiguous run of ``span = (OH-1)·Wq + OW`` values,
    output position (oh, ow) at oh·Wq + ow. The Wq - OW positions after OW in each output
    row wrap round into the next input row: they are computed and never used.

    Copying and adding such long runs is several times faster than the (OH, OW) blocks of
    `unfold` and `fold`; the price is (Wq - OW) / OW more columns in the matrix products.
    """

    kernel_size: Pair
    stride: Pair
    dilation: Pair
    padded_size: Pair

    @cached_property
    def output_size(self) -> Pair:
        return output_size(self.padded_size, self.kernel_size, self.stride, self.dilation)

    @cached_property
    def phase_size(self) -> Pair:
        """(Hq, Wq): rows and columns of the largest phase."""
        return tuple(-(-p // s) for p, s in zip(self.padded_size, self.stride, strict=True))

    @cached_property
    def width(self) -> int:
        """Wq, the length of an output row in the wide layout."""
        return self.phase_size[1]

    @cached_property
    def positions(self) -> int:
        """OH·Wq: columns of the wide im2col matrix."""
        return self.output_size[0] * self.width

    @cached_property
    def starts(self) -> tuple[tuple[int, int], ...]:
        """Per tap (row-major): its phase's index and where its run starts in the phase."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        starts = []
        for i in range(kh):
            row, a = divmod(i * dh, sh)
            for j in range(kw):
                col, b = divmod(j * dw, sw)
                starts.append((a * sw + b, row * self.width + col))
        return tuple(starts)

    def split(
        self, xp: np.ndarray, out: np.ndarray | None = None, offset: Pair | None = None
    ) -> np.ndarray:
        """The phases of ``xp`` (N, C, Hp, Wp), flattened: shape (N, C, sh·sw, Hq·Wq).

        At stride 1 this is a view of ``xp``. Otherwise the phases are copied into ``out``
        (zero-filled by the caller: cells past a smaller phase's edge are never written).
        With ``offset = (top, left)``, ``xp`` is the *unpadded* input and lands where it
        sits in the zero-padded one (pad and split in one copy; the border stays zero).
        """
        n, c = xp.shape[:2]
        (sh, sw), (hq, wq) = self.stride, self.phase_size
        if (sh, sw) == (1, 1) and offset is None:
            return xp.reshape(n, c, 1, hq * wq)
        if out is None:
            out = np.zeros((n, c, sh * sw, hq * wq), dtype=xp.dtype)
        grid = out.reshape(n, c, sh, sw, hq, wq)
        for a, b, source, target in self._phase_slices(xp.shape[-2:], offset or (0, 0)):
            grid[(slice(None), slice(None), a, b, *target)] = xp[(..., *source)]
        return out

    def merge(self, phases: np.ndarray, out: np.ndarray, offset: Pair | None = None) -> np.ndarray:
        """The adjoint of `split`: each cell of ``out`` back from its phase.

        With ``offset = (top, left)``, ``out`` is the unpadded input's shape: the border
        is dropped — the adjoint of split's zero padding.
        """
        n, c = out.shape[:2]
        (sh, sw), (hq, wq) = self.stride, self.phase_size
        grid = phases.reshape(n, c, sh, sw, hq, wq)
        for a, b, source, target in self._phase_slices(out.shape[-2:], offset or (0, 0)):
            out[(..., *source)] = grid[(slice(None), slice(None), a, b, *target)]
        return out

    def _phase_slices(self, size: Pair, offset: Pair):
        """Per phase (a, b): the slices of an input of ``size`` placed at ``offset`` in the
        padded grid that fall in it, and where they land in the phase."""
        per_axis = []
        for length, before, s in zip(size, offset, self.stride, strict=True):
            axis = []
            for a in range(s):
                first = (a - before) % s  # the first input index in phase a
                count = len(range(first, length, s))
                start = (first + before) // s
                axis.append((a, slice(first, None, s), slice(start, start + count)))
            per_axis.append(axis)
        for a, rows, phase_rows in per_axis[0]:
            for b, cols, phase_cols in per_axis[1]:
                yield a, b, (rows, cols), (phase_rows, phase_cols)

    def runs(self, phases: np.ndarray, rows: tuple[int, int] | None = None):
        """Tap by tap (row-major), the (N, C, span) run that tap reads from ``phases``.

        ``rows = (r0, r1)`` restricts to output rows r0 ≤ oh < r1 (a band of the grid).
        """
        r0, r1 = (0, self.output_size[0]) if rows is None else rows
        span, shift = self.span(r1 - r0), r0 * self.width
        return [
            phases[:, :, phase, start + shift : start + shift + span]
            for phase, start in self.starts
        ]

    @cached_property
    def tap_blocks(self) -> tuple[tuple[int, int, slice, slice, int, int], ...]:
        """The taps grouped so that each group's runs form one strided block.

        Taps that read the same phase come in a regular grid: rows i0, i0+P, ... and
        columns j0, j0+Q, ... (P = sh / gcd(sh, dh)), whose runs start at a fixed step of
        rows and columns apart in the phase. Per group: (phase, first run's start, kernel
        row slice, kernel column slice, row step, column step) in the phase's cells.
        """
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        p, q = sh // np.gcd(sh, dh), sw // np.gcd(sw, dw)
        return tuple(
            (*self.starts[i0 * kw + j0], slice(i0, kh, p), slice(j0, kw, q),
             p * dh // sh, q * dw // sw)
            for i0 in range(min(p, kh))
            for j0 in range(min(q, kw))
        )

    def span(self, rows: int) -> int:
        """(rows-1)·Wq + OW: how far the positions of ``rows`` output rows reach."""
        return (rows - 1) * self.width + self.output_size[1]

    def real(self, wide: np.ndarray) -> np.ndarray:
        """View (..., rows, OW) of the real positions of ``wide`` (..., rows·Wq)."""
        return wide.reshape(*wide.shape[:-1], -1, self.width)[..., : self.output_size[1]]


def unfold_wide(
    phases: np.ndarray, grid: WideGrid, out: np.ndarray, rows: tuple[int, int] | None = None
) -> np.ndarray:
    """`unfold` in ``grid``'s wide layout, from ``phases = grid.split(xp)``.

    Writes ``out``, shape (N, C·kh·kw, R·Wq) for the R output rows asked for (all, or
    ``rows = (r0, r1)``): ``out[..., r·Wq + ow]`` for ow < OW equals
    ``unfold(xp)[..., (r0 + r)·OW + ow]``; the other columns hold input values, or zeros
    after the last run.
    """
    n, c = phases.shape[:2]
    (kh, kw), width = grid.kernel_size, grid.width
    r0, r1 = (0, grid.output_size[0]) if rows is None else rows
    span = grid.span(r1 - r0)
    cols = out.reshape(n, c, kh, kw, (r1 - r0) * width)
    # One copy per block of taps (`WideGrid.tap_blocks`), not one per tap: fewer, larger
    # numpy calls, which matters most when worker threads take turns holding the GIL.
    sn, sc, sp, item = phases.strides
    contiguous = phases.flags.c_contiguous and phases.size > 0
    for phase, start, ki, kj, row_step, col_step in grid.tap_blocks:
        target = cols[:, :, ki, kj, :span]
        strides = (sn, sc, row_step * width * item, col_step * item, item)
        if contiguous:  # the same view, made without as_strided's costs (a small layer's)
            offset = phase * sp + (start + r0 * width) * item
            runs = np.ndarray(target.shape, phases.dtype, phases, offset, strides)
        else:
            first = phases[:, :, phase, start + r0 * width :]
            runs = as_strided(first, target.shape, strides, writeable=False)
        target[...] = runs
    cols[..., span:] = 0
    return out


def fold_wide(
    cols: np.ndarray, grid: WideGrid, phases: np.ndarray, rows: tuple[int, int] | None = None
) -> np.ndarray:
    """`fold` from ``grid``'s wide layout: add ``cols`` onto ``phases`` (the adjoint).

    ``cols`` is (N, C·kh·kw, R·Wq) as `unfold_wide` makes it; ``phases`` (N, C, sh·sw,
    Hq·Wq) accumulates (start from zeros; `WideGrid.merge` turns it into the padded
    gradient). Every column up to the last run's end is added, the unused ones too: they
    must be zero — as they are in ``W^H @ dY`` for a finite W and a dY that is zero there.
    """
    n, c = phases.shape[:2]
    r0, r1 = (0, grid.output_size[0]) if rows is None else rows
    span = grid.span(r1 - r0)
    taps = cols.reshape(n, c, grid.kernel_size[0] * grid.kernel_size[1], (r1 - r0) * grid.width)
    for t, run in enumerate(grid.runs(phases, rows)):
        np.add(run, taps[:, :, t, :span], out=run)
    return phases
