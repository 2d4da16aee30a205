"""The im2col pipeline's intermediate matrices for one sample, as the app's im2col view shows them.

Built from the very steps `core.conv` computes with (pad, unfold, matmul per group, fold,
pad_adjoint), laid out the textbook way: rows are output positions, columns are the
(C/groups)·prod(kernel_size) kernel taps of one group (C/groups·kh·kw for a Conv2d), for
every number of spatial axes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from . import budget, compact
from .im2col import fold
from .padding import pad
from .spec import LayerSpec, SpecError
from .spec_args import _is_int

if TYPE_CHECKING:
    from .transposed_steps import TransposedSteps


@dataclass(frozen=True, eq=False)
class Im2colSteps:
    """Every matrix of one sample's forward and backward pass (G = groups, L = prod(out):
    OH·OW for two spatial axes; one axis per entry of the kernel, 1 to 3).

    Attributes
    ----------
    cols : (G, L, K)                im2col matrix per group, K = C/G·prod(k) (C/G·kh·kw)
    weight_matrix : (G, O/G, K)     W reshaped; output = cols @ weight_matrixᵀ
    product : (G, L, O/G)           cols @ weight_matrixᵀ (bias not added)
    output : (O, *out)              product reshaped, plus bias
    grad_output_matrix : (G, L, O/G)  dY
    grad_weight_matrix : (G, O/G, K)  dYᵀ · conj(cols): this sample's share of grad_weight
    grad_cols : (G, L, K)           dY · conj(W): the gradient w.r.t. cols
    grad_input : (C, *size)         pad_adjoint(col2im(grad_cols))
    padded : (C, *padded)           the input after pad() — made when first read
    grad_padded : (C, *padded)      col2im(grad_cols) — made when first read

    The matrices cost the output times the kernel, whatever the stride, padding and
    dilation: cols is gathered from the pixels the windows read. The padded grids cost the
    padded size, which a huge padding makes huge: reading one that exceeds the memory limit
    raises `core.budget.BudgetError`.
    """

    spec: LayerSpec
    sample: int
    input: np.ndarray = field(repr=False)
    cols: np.ndarray
    weight_matrix: np.ndarray
    product: np.ndarray
    output: np.ndarray
    grad_output_matrix: np.ndarray
    grad_weight_matrix: np.ndarray
    grad_cols: np.ndarray
    grad_input: np.ndarray

    @cached_property
    def padded(self) -> np.ndarray:
        self._check_padded("padded")
        out = pad(self.input[None], self.spec.pads, self.spec.padding_mode)[0]
        out.flags.writeable = False
        return out

    @cached_property
    def grad_padded(self) -> np.ndarray:
        self._check_padded("grad_padded")
        spec = self.spec
        kl = self.grad_cols.swapaxes(1, 2).reshape(1, -1, self.grad_cols.shape[1])
        out = fold(kl, spec.padded_size, spec.kernel_size, spec.stride, spec.dilation)[0]
        out.flags.writeable = False
        return out

    def _check_padded(self, name: str) -> None:
        spec = self.spec
        nbytes = spec.in_channels * math.prod(spec.padded_size) * np.dtype(spec.dtype).itemsize
        if nbytes > budget.limit():
            raise budget.BudgetError(nbytes, budget.limit(), f"im2col steps' {name} grid",
                                     ("in_channels", "padding", "input_size"))


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
) -> Im2colSteps | TransposedSteps:
    """The pipeline's matrices for batch element ``sample`` (ignored when unbatched); for a
    transposed spec, its `core.transposed_steps.TransposedSteps`.

    Raises `core.budget.BudgetError` before allocating when the matrices exceed the limit.
    """
    n = 1 if spec.batch is None else spec.batch
    if not _is_int(sample) or not 0 <= sample < max(n, 1) or n == 0:
        raise SpecError(f"sample {sample!r} is out of range for batch size {n}", ("sample",),
                        batch=n)
    _check_tensors(spec, input, weight, bias, grad_output)
    if spec.transposed:  # its Conv's steps, read under the transposed layer's names
        from .transposed_steps import transposed_steps

        return transposed_steps(spec, input, weight, bias, grad_output, sample)
    _check_budget(spec)
    x = input[sample] if spec.batched else input
    gy = grad_output[sample] if spec.batched else grad_output
    g, og, c, d = spec.groups, spec.out_per_group, spec.in_channels, spec.dims
    out, k = spec.output_size, spec.kernel_size
    positions = math.prod(out)
    # The gathered input is (C, o0·k0, o1·k1, ...): each output position's taps side by side
    # per axis. As (C, o0, k0, o1, k1, ...) its taps go first: (C, k0, k1, ..., o0, o1, ...).
    interleaved = tuple(n for pair in zip(out, k, strict=True) for n in pair)
    taps_first = (0, *range(2, 2 * d + 1, 2), *range(1, 2 * d, 2))

    reads = compact.Compact(spec, compact.reads(spec))  # every (position, tap) per axis
    taps = reads.gather(x).reshape(c, *interleaved).transpose(taps_first)
    cols = taps.reshape(g, -1, positions).swapaxes(1, 2)  # (G, L, K)
    w_mat = weight.reshape(g, og, -1)
    product = group_matmul(cols, w_mat.swapaxes(1, 2))
    output = product.swapaxes(1, 2).reshape(spec.out_channels, *out)
    if bias is not None:
        output = output + bias.reshape(-1, *[1] * d)

    dy = gy.reshape(g, og, positions).swapaxes(1, 2)  # (G, L, O/G)
    grad_weight_matrix = group_matmul(dy.swapaxes(1, 2), cols, conj_b=True)
    grad_cols = group_matmul(dy, w_mat, conj_b=True)
    grad_taps = grad_cols.swapaxes(1, 2).reshape(c, *k, *out).transpose(np.argsort(taps_first))
    gathered = grad_taps.reshape(c, *(o * n for o, n in zip(out, k, strict=True)))
    grad_input = reads.scatter(gathered, spec.input_size)

    arrays = dict(
        cols=cols, weight_matrix=w_mat, product=product, output=output,
        grad_output_matrix=dy, grad_weight_matrix=grad_weight_matrix, grad_cols=grad_cols,
        grad_input=grad_input,
    )
    for a in arrays.values():
        a.flags.writeable = False
    return Im2colSteps(spec=spec, sample=sample, input=x, **arrays)


def _check_tensors(spec: LayerSpec, input, weight, bias, grad_output) -> None:
    """The arrays must be the spec's, as `core.conv.compute` demands."""
    if not isinstance(spec, LayerSpec):
        raise SpecError(f"spec must be a LayerSpec, got {type(spec).__name__}", ("spec",))
    given = {"input": input, "weight": weight, "grad_output": grad_output, "bias": bias}
    if (bias is None) == spec.bias:
        raise SpecError(f"bias is {'on' if spec.bias else 'off'} in the spec but "
                        f"{'no' if bias is None else 'a'} bias tensor was given", ("bias",))
    for name, a in given.items():
        if a is None:
            continue
        a = np.asarray(a)
        if a.shape != spec.shape(name):
            raise SpecError(f"{name} shape {a.shape} does not match the spec's {spec.shape(name)}",
                            (name,), shape=a.shape, expected=spec.shape(name))
        if a.dtype.name != spec.dtype:
            raise SpecError(
                f"{name} dtype {a.dtype.name} does not match the spec's {spec.dtype}", (name,),
                dtype=a.dtype.name, expected=spec.dtype,
            )


def _check_budget(spec: LayerSpec) -> None:
    """Refuse, before allocating, matrices over the memory limit: the steps hold all of one
    sample's at once (cols, grad_cols and their copies on the way; the output-sized ones)."""
    positions, taps = math.prod(spec.output_size), math.prod(spec.kernel_size)
    elements = 4 * spec.in_channels * taps * positions + 4 * spec.out_channels * positions
    elements += 2 * spec.in_channels * math.prod(spec.input_size)
    nbytes = elements * np.dtype(spec.dtype).itemsize
    if nbytes > budget.limit():
        raise budget.BudgetError(nbytes, budget.limit(), "the im2col steps of this layer",
                                 budget.size_fields(spec))


def im2col_entries(spec: LayerSpec) -> int:
    """Entries of the largest matrix `im2col_steps` builds for one sample (cols, dcols, the
    product, W as one block-diagonal matrix): what showing them costs, known before anything
    is allocated. (The padded grids are built only when read, and the app draws a huge
    padding cut short.) A transposed layer's matrices are its Conv's (`LayerSpec.as_conv`)."""
    spec = spec.as_conv()
    positions = math.prod(spec.output_size)
    taps = spec.in_channels * math.prod(spec.kernel_size)
    return max(positions * taps, positions * spec.out_channels, taps * spec.out_channels)
