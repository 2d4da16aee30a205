"""``nn.Conv1d``, ``nn.Conv3d`` and their transposed forms: the public functions.

Thin wrappers, with torch's names and argument order (``torch.nn.functional.conv1d``,
``torch.nn.grad.conv1d_input``, ...; plus ``padding_mode`` as ``nn.Conv1d`` takes it, and
``backend``), of the one implementation for every number of spatial axes that
`conv2d` and `conv_transpose2d` wrap too: `core.conv.forward`, `input_grad`,
`weight_grad`, `bias_grad` and `core.conv_transpose`'s. The tensors are

    Conv1d      input (N, C, L) or (C, L)            weight (O, C/groups, kL)
    Conv3d      input (N, C, D, H, W) or (C, D, H, W)  weight (O, C/groups, kD, kH, kW)

(a transposed layer's weight is (C, O/groups, *k)). Every argument torch refuses raises
`core.spec.SpecError` naming it and the numbers; a layer over the memory limit
`core.budget.BudgetError` before anything is allocated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import conv, conv_transpose


# -- Conv1d ---------------------------------------------------------------------------------
def conv1d(
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
    """Forward pass of ``nn.Conv1d`` (``F.conv1d`` with ``padding_mode``); ``padding`` may be
    ``'valid'`` or ``'same'`` (torch's: the odd cell after). Returns (N, O, *out) or
    (O, *out) in the input's dtype."""
    return conv.forward(1, "conv1d", input, weight, bias, stride, padding, dilation, groups,
                        padding_mode, backend)


def conv1d_input(
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
    """``torch.nn.grad.conv1d_input``: the gradient w.r.t. the input (autograd's convention),
    shape ``input_size``, in the weight's dtype."""
    return conv.input_grad(1, "conv1d_input", input_size, weight, grad_output, stride, padding,
                           dilation, groups, padding_mode, backend)


def conv1d_weight(
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
    """``torch.nn.grad.conv1d_weight``: the gradient w.r.t. the weight (autograd's
    convention), shape ``weight_size``, in the input's dtype."""
    return conv.weight_grad(1, "conv1d_weight", input, weight_size, grad_output, stride,
                            padding, dilation, groups, padding_mode, backend)


def conv1d_bias(grad_output: Any) -> np.ndarray:
    """The gradient w.r.t. the bias: ``grad_output`` ((N, O, *out) or (O, *out)) summed
    over every axis but the channel; shape (O,)."""
    return conv.bias_grad(1, grad_output)

# -- Conv3d ---------------------------------------------------------------------------------
def conv3d(
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
    """Forward pass of ``nn.Conv3d`` (``F.conv3d`` with ``padding_mode``); ``padding`` may be
    ``'valid'`` or ``'same'`` (torch's: the odd cell after). Returns (N, O, *out) or
    (O, *out) in the input's dtype."""
    return conv.forward(3, "conv3d", input, weight, bias, stride, padding, dilation, groups,
                        padding_mode, backend)


def conv3d_input(
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
    """``torch.nn.grad.conv3d_input``: the gradient w.r.t. the input (autograd's convention),
    shape ``input_size``, in the weight's dtype."""
    return conv.input_grad(3, "conv3d_input", input_size, weight, grad_output, stride, padding,
                           dilation, groups, padding_mode, backend)


def conv3d_weight(
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
    """``torch.nn.grad.conv3d_weight``: the gradient w.r.t. the weight (autograd's
    convention), shape ``weight_size``, in the input's dtype."""
    return conv.weight_grad(3, "conv3d_weight", input, weight_size, grad_output, stride,
                            padding, dilation, groups, padding_mode, backend)


def conv3d_bias(grad_output: Any) -> np.ndarray:
    """The gradient w.r.t. the bias: ``grad_output`` ((N, O, *out) or (O, *out)) summed
    over every axis but the channel; shape (O,)."""
    return conv.bias_grad(3, grad_output)

# -- ConvTranspose1d ------------------------------------------------------------------------
def conv_transpose1d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: Any = 1,
    dilation: Any = 1,
    backend: str = "numpy",
) -> np.ndarray:
    """Forward pass of ``nn.ConvTranspose1d``: what ``F.conv_transpose1d`` returns (groups before
    dilation, as there), (N, O, *out) or (O, *out) in the input's dtype."""
    return conv_transpose.forward(1, "conv_transpose1d", input, weight, bias, stride, padding,
                                  output_padding, groups, dilation, backend)


def conv_transpose1d_input(
    input_size: Sequence[int],
    weight: Any,
    grad_output: Any,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: Any = 1,
    dilation: Any = 1,
    backend: str = "numpy",
) -> np.ndarray:
    """The gradient w.r.t. a transposed layer's input (autograd's convention: Σ conj(W)·gy),
    shape ``input_size``, in the weight's dtype."""
    return conv_transpose.input_grad(1, "conv_transpose1d_input", input_size, weight, grad_output,
                                     stride, padding, output_padding, groups, dilation,
                                     backend)


def conv_transpose1d_weight(
    input: Any,
    weight_size: Sequence[int],
    grad_output: Any,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: Any = 1,
    dilation: Any = 1,
    backend: str = "numpy",
) -> np.ndarray:
    """The gradient w.r.t. a transposed layer's weight (autograd's convention:
    Σ conj(x)·gy), shape ``weight_size``, in the input's dtype."""
    return conv_transpose.weight_grad(1, "conv_transpose1d_weight", input, weight_size, grad_output,
                                      stride, padding, output_padding, groups, dilation,
                                      backend)

# -- ConvTranspose3d ------------------------------------------------------------------------
def conv_transpose3d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: Any = 1,
    dilation: Any = 1,
    backend: str = "numpy",
) -> np.ndarray:
    """Forward pass of ``nn.ConvTranspose3d``: what ``F.conv_transpose3d`` returns (groups before
    dilation, as there), (N, O, *out) or (O, *out) in the input's dtype."""
    return conv_transpose.forward(3, "conv_transpose3d", input, weight, bias, stride, padding,
                                  output_padding, groups, dilation, backend)


def conv_transpose3d_input(
    input_size: Sequence[int],
    weight: Any,
    grad_output: Any,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: Any = 1,
    dilation: Any = 1,
    backend: str = "numpy",
) -> np.ndarray:
    """The gradient w.r.t. a transposed layer's input (autograd's convention: Σ conj(W)·gy),
    shape ``input_size``, in the weight's dtype."""
    return conv_transpose.input_grad(3, "conv_transpose3d_input", input_size, weight, grad_output,
                                     stride, padding, output_padding, groups, dilation,
                                     backend)


def conv_transpose3d_weight(
    input: Any,
    weight_size: Sequence[int],
    grad_output: Any,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: Any = 1,
    dilation: Any = 1,
    backend: str = "numpy",
) -> np.ndarray:
    """The gradient w.r.t. a transposed layer's weight (autograd's convention:
    Σ conj(x)·gy), shape ``weight_size``, in the input's dtype."""
    return conv_transpose.weight_grad(3, "conv_transpose3d_weight", input, weight_size, grad_output,
                                      stride, padding, output_padding, groups, dilation,
                                      backend)
