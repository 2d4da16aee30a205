"""im2col (unfold) and col2im (fold) over an already padded input, in numpy.

Layout follows ``torch.nn.functional.unfold``: ``cols[n, (c, i, j), l]`` is the padded
input pixel that kernel tap (i, j) of channel c reads at output position l (row-major).
The im2col matrix of the textbook — rows = output positions — is ``cols[n].T``; keeping
positions last makes ``W @ cols`` land directly in the NCHW output layout.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

Pair = tuple[int, int]


def output_size(padded_size: Pair, kernel_size: Pair, stride: Pair, dilation: Pair) -> Pair:
    """Output rows and columns of a convolution over an input already padded to ``padded_size``."""
    return tuple(  # type: ignore[return-value]
        (p - d * (k - 1) - 1) // s + 1
        for p, k, s, d in zip(padded_size, kernel_size, stride, dilation, strict=True)
    )


def windows(xp: np.ndarray, kernel_size: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """Read-only strided view of every kernel window: shape (N, C, kh, kw, OH, OW), no copy."""
    n, c, hp, wp = xp.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    oh, ow = output_size((hp, wp), kernel_size, stride, dilation)
    s_n, s_c, s_h, s_w = xp.strides
    return as_strided(
        xp,
        shape=(n, c, kh, kw, oh, ow),
        strides=(s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw),
        writeable=False,
    )


def unfold(xp: np.ndarray, kernel_size: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """im2col: every kernel window of the padded input as a column.

    Parameters
    ----------
    xp : ndarray, shape (N, C, Hp, Wp)
        The padded input.

    Returns
    -------
    ndarray, shape (N, C·kh·kw, OH·OW)
    """
    view = windows(xp, kernel_size, stride, dilation)
    n, c, kh, kw, oh, ow = view.shape
    return view.reshape(n, c * kh * kw, oh * ow)  # the one copy


def fold(
    cols: np.ndarray, padded_size: Pair, kernel_size: Pair, stride: Pair, dilation: Pair
) -> np.ndarray:
    """col2im, the adjoint of `unfold`: sum every column back onto the padded input.

    Parameters
    ----------
    cols : ndarray, shape (N, C·kh·kw, OH·OW)

    Returns
    -------
    ndarray, shape (N, C, Hp, Wp)
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    oh, ow = output_size(padded_size, kernel_size, stride, dilation)
    n, ck, _ = cols.shape
    c = ck // (kh * kw)
    out = np.zeros((n, c, *padded_size), dtype=cols.dtype)
    taps = cols.reshape(n, c, kh, kw, oh, ow)
    # One vectorised add per kernel tap: windows overlap, so taps must not be added at once.
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            out[:, :, rows, j * dw : j * dw + sw * (ow - 1) + 1 : sw] += taps[:, :, i, j]
    return out
