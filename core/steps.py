"""The im2col pipeline's intermediate matrices for one sample, as the app's im2col view shows them.

Built from the very steps `core.conv` computes with (pad, unfold, matmul per group, fold,
pad_adjoint), laid out the textbook way: rows are output positions, columns are the
(C/groups)·kh·kw kernel taps of one group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .im2col import fold, unfold
from .padding import pad, pad_adjoint
from .spec import LayerSpec


@dataclass(frozen=True, eq=False)
class Im2colSteps:
    """Every matrix of one sample's forward and backward pass (G = groups, L = OH·OW).

    Attributes
    ----------
    padded : (C, Hp, Wp)            the input after pad()
    cols : (G, L, K)                im2col matrix per group, K = C/G·kh·kw
    weight_matrix : (G, O/G, K)     W reshaped; output = cols @ weight_matrixᵀ
    product : (G, L, O/G)           cols @ weight_matrixᵀ (bias not added)
    output : (O, OH, OW)            product reshaped, plus bias
    grad_output_matrix : (G, L, O/G)  dY
    grad_weight_matrix : (G, O/G, K)  dYᵀ · conj(cols): this sample's share of grad_weight
    grad_cols : (G, L, K)           dY · conj(W): the gradient w.r.t. cols
    grad_padded : (C, Hp, Wp)       col2im(grad_cols)
    grad_input : (C, H, W)          pad_adjoint(grad_padded)
    """

    spec: LayerSpec
    sample: int
    padded: np.ndarray
    cols: np.ndarray
    weight_matrix: np.ndarray
    product: np.ndarray
    output: np.ndarray
    grad_output_matrix: np.ndarray
    grad_weight_matrix: np.ndarray
    grad_cols: np.ndarray
    grad_padded: np.ndarray
    grad_input: np.ndarray

    def column_tap(self, k: int) -> tuple[int, int, int]:
        """(channel within the group, kernel row, kernel column) of column ``k``."""
        kh, kw = self.spec.kernel_size
        c, rest = divmod(int(k), kh * kw)
        return c, *divmod(rest, kw)

    def row_position(self, l: int) -> tuple[int, int]:
        """(output row, output column) of row ``l``."""
        return divmod(int(l), self.spec.output_size[1])


def group_matmul(a: np.ndarray, b: np.ndarray, *, conj_a: bool = False, conj_b: bool = False):
    """The matrix product of each group's blocks: ``a[g] @ b[g]``, shape (G, M, K) @ (G, K, L).

    ``conj_a`` / ``conj_b`` conjugate a factor first, as autograd does for complex gradients.
    """
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise ValueError(f"group_matmul needs (G, M, K) and (G, K, L), got {a.shape} and {b.shape}")
    return (a.conj() if conj_a else a) @ (b.conj() if conj_b else b)


def im2col_steps(
    spec: LayerSpec,
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    grad_output: np.ndarray,
    sample: int = 0,
) -> Im2colSteps:
    """The pipeline's matrices for batch element ``sample`` (ignored when unbatched)."""
    n = 1 if spec.batch is None else spec.batch
    if not 0 <= sample < max(n, 1) or n == 0:
        raise ValueError(f"sample {sample} is out of range for batch size {n}")
    x = input[sample] if spec.batched else input
    gy = grad_output[sample] if spec.batched else grad_output
    g, og = spec.groups, spec.out_per_group
    oh, ow = spec.output_size

    padded = pad(x[None], spec.pads, spec.padding_mode)
    cols_kl = unfold(padded, spec.kernel_size, spec.stride, spec.dilation)[0]  # (C·kh·kw, L)
    cols = cols_kl.reshape(g, -1, oh * ow).swapaxes(1, 2)  # (G, L, K)
    w_mat = weight.reshape(g, og, -1)
    product = group_matmul(cols, w_mat.swapaxes(1, 2))
    output = product.swapaxes(1, 2).reshape(spec.out_channels, oh, ow)
    if bias is not None:
        output = output + bias[:, None, None]

    dy = gy.reshape(g, og, oh * ow).swapaxes(1, 2)  # (G, L, O/G)
    grad_weight_matrix = group_matmul(dy.swapaxes(1, 2), cols, conj_b=True)
    grad_cols = group_matmul(dy, w_mat, conj_b=True)
    grad_cols_kl = grad_cols.swapaxes(1, 2).reshape(1, -1, oh * ow)
    grad_padded = fold(grad_cols_kl, spec.padded_size, spec.kernel_size, spec.stride,
                       spec.dilation)
    grad_input = pad_adjoint(grad_padded, spec.pads, spec.padding_mode)

    arrays = dict(
        padded=padded[0], cols=cols, weight_matrix=w_mat, product=product, output=output,
        grad_output_matrix=dy, grad_weight_matrix=grad_weight_matrix, grad_cols=grad_cols,
        grad_padded=grad_padded[0], grad_input=grad_input[0],
    )
    for a in arrays.values():
        a.flags.writeable = False
    return Im2colSteps(spec=spec, sample=sample, **arrays)


def im2col_entries(spec: LayerSpec) -> int:
    """Entries of the largest matrix `im2col_steps` builds for one sample (cols, dcols, the
    product, the padded input, W as one block-diagonal matrix): what showing them costs,
    known before anything is allocated."""
    kh, kw = spec.kernel_size
    (oh, ow), (hp, wp) = spec.output_size, spec.padded_size
    taps = spec.in_channels * kh * kw
    positions = oh * ow
    return max(positions * taps, positions * spec.out_channels, spec.in_channels * hp * wp,
               taps * spec.out_channels)
