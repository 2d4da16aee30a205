"""The im2col matrices of one sample of a transposed layer, named for what they are there.

A transposed layer runs as its Conv (`LayerSpec.as_conv`) with the roles swapped
(`core.conv_transpose`), so its matrices are that Conv's `Im2colSteps` with the roles
swapped — the Conv's input is this layer's grad_output, its weight conj(W), its
grad_output this layer's input — read under this layer's names::

    forward      cols = x_g · W_g          each input pixel's painted kernel copy (a row)
                 full = fold(cols)         the copies added up, before the crop
                 y    = crop(full) + b
    grad_input   gcols = unfold(gy)        the output window each input pixel painted
                 gx   = gcols · conj(W_g)ᵀ
    grad_weight  gW_g = conj(x_g)ᵀ · gcols   this sample's share

Rows are input positions (L = H'·W' in 2-D, the Conv's output positions: `LayerSpec.conv_extra`
rows/columns past the input are zeros of x that paint nothing); columns are the
(O/G)·prod(k) taps of one group's kernel copy (O/G·kh·kw in 2-D).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .conv_transpose import _conj, _extended
from .im2col_steps import Im2colSteps, im2col_steps
from .spec import LayerSpec


@dataclass(frozen=True, eq=False)
class TransposedSteps:
    """Every matrix of one sample's forward and backward pass of a transposed layer
    (G = groups, L = the input positions, K = O/G·prod(k)).

    Attributes
    ----------
    conv : Im2colSteps
        The Conv's steps these are read from (`LayerSpec.as_conv`; input gy, weight
        conj(W), grad_output x).
    input_matrix : (G, L, C/G)          x, one row per input position
    weight_matrix : (G, C/G, K)         W reshaped: one row per input channel's kernels
    cols : (G, L, K)                    input_matrix @ weight_matrix: the painted copies
    full_output : (O, *padded)          fold(cols): the output before padding crops it
    output : (O, *out)                  full_output cropped, plus bias
    grad_output : (O, *out)             this sample's grad_output (what the next one unfolds)
    grad_output_cols : (G, L, K)        unfold(grad_output): what each copy's taps land on
    grad_input_matrix : (G, L, C/G)     grad_output_cols @ conj(weight_matrix)ᵀ
    grad_input : (C, *size)             grad_input_matrix reshaped (the rows past x dropped)
    grad_weight_matrix : (G, C/G, K)    conj(input_matrix)ᵀ @ grad_output_cols
    """

    spec: LayerSpec
    sample: int
    conv: Im2colSteps
    weight_matrix: np.ndarray
    output: np.ndarray
    grad_input: np.ndarray

    @property
    def input_matrix(self) -> np.ndarray:
        return self.conv.grad_output_matrix

    @property
    def cols(self) -> np.ndarray:
        return self.conv.grad_cols

    @property
    def full_output(self) -> np.ndarray:
        return self.conv.grad_padded

    @property
    def grad_output(self) -> np.ndarray:
        return self.conv.input

    @property
    def grad_output_cols(self) -> np.ndarray:
        return self.conv.cols

    @property
    def grad_input_matrix(self) -> np.ndarray:
        return self.conv.product

    @cached_property
    def grad_weight_matrix(self) -> np.ndarray:
        out = _conj(self.conv.grad_weight_matrix)
        out.flags.writeable = False
        return out


def transposed_steps(
    spec: LayerSpec,
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    grad_output: np.ndarray,
    sample: int = 0,
) -> TransposedSteps:
    """`core.im2col_steps.im2col_steps` of a transposed spec (its arrays checked there)."""
    x = _extended(np.asarray(input), spec)
    conv = im2col_steps(spec.as_conv(), grad_output, _conj(weight), None, x, sample)
    grad_input = conv.output[(slice(None), *(slice(n) for n in spec.input_size))]
    output = conv.grad_input
    if bias is not None:
        output = output + bias.reshape(-1, *[1] * spec.dims)
    weight_matrix = np.asarray(weight).reshape(spec.groups, spec.in_per_group, -1)
    for a in (weight_matrix, output, grad_input):
        a.flags.writeable = False
    return TransposedSteps(spec, sample, conv, weight_matrix, output, grad_input)
