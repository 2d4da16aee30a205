"""``nn.Conv1d``, ``nn.Conv3d`` and their transposed forms: the public functions.

Thin wrappers, with torch's names and argument order (``torch.nn.functional.conv1d``,
``torch.nn.grad.conv1d_input``, ...; plus ``padding_mode`` as ``nn.Conv1d`` takes it, and
``backend``), of the one implementation for every number of spatial axes that `conv2d`
and `conv_transpose2d` wrap too: `core.conv.forward`, `input_grad`, `weight_grad`,
`bias_grad` and `core.conv_transpose`'s. Each wrapper is made once per kind below and
bound to its number of axes (`_named`), so conv1d and conv3d share every line (the makers
have no return annotation: type checkers infer each function's own signature). The tensors:

    Conv1d      input (N, C, L) or (C, L)               weight (O, C/groups, kL)
    Conv3d      input (N, C, D, H, W) or (C, D, H, W)   weight (O, C/groups, kD, kH, kW)

(a transposed layer's weight is (C, O/groups, *k)). Every argument torch refuses raises
`core.spec.SpecError` naming it and the numbers; a layer over the memory limit
`core.budget.BudgetError` before anything is allocated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from . import conv, conv_transpose

F = TypeVar("F", bound=Callable[..., np.ndarray])

_DOCS = {
    "conv": """Forward pass of ``nn.Conv{d}d`` (``F.conv{d}d`` with ``padding_mode``);
    ``padding`` may be ``'valid'`` or ``'same'`` (torch's: the odd entry after). Returns
    (N, O, *out) or (O, *out) in the input's dtype.""",
    "conv_input": """``torch.nn.grad.conv{d}d_input``: the gradient w.r.t. the input
    (autograd's convention), shape ``input_size``, in the weight's dtype.""",
    "conv_weight": """``torch.nn.grad.conv{d}d_weight``: the gradient w.r.t. the weight
    (autograd's convention), shape ``weight_size``, in the input's dtype.""",
    "conv_bias": """The gradient w.r.t. the bias: ``grad_output`` ((N, O, *out) or
    (O, *out)) summed over every axis but the channel; shape (O,).""",
    "transpose": """Forward pass of ``nn.ConvTranspose{d}d``: what ``F.conv_transpose{d}d``
    returns (groups before dilation, as there), (N, O, *out) or (O, *out) in the input's
    dtype.""",
    "transpose_input": """The gradient w.r.t. a transposed layer's input (autograd's
    convention: Σ conj(W)·gy), shape ``input_size``, in the weight's dtype.""",
    "transpose_weight": """The gradient w.r.t. a transposed layer's weight (autograd's
    convention: Σ conj(x)·gy), shape ``weight_size``, in the input's dtype.""",
}


def _named(function: F, name: str, kind: str, dims: int) -> F:
    """``function`` under its public name, with its docstring (its type, and so the
    signature an IDE shows, unchanged)."""
    function.__name__ = function.__qualname__ = name
    function.__doc__ = _DOCS[kind].format(d=dims)
    return function


def _conv(dims: int):
    name = f"conv{dims}d"

    def forward(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                dilation: Any = 1, groups: Any = 1, padding_mode: str = "zeros",
                backend: str = "numpy") -> np.ndarray:
        return conv.forward(dims, name, input, weight, bias, stride, padding, dilation,
                            groups, padding_mode, backend)

    return _named(forward, name, "conv", dims)


def _conv_input(dims: int):
    name = f"conv{dims}d_input"

    def input_grad(input_size: Sequence[int], weight: Any, grad_output: Any, stride: Any = 1,
                   padding: Any = 0, dilation: Any = 1, groups: Any = 1,
                   padding_mode: str = "zeros", backend: str = "numpy") -> np.ndarray:
        return conv.input_grad(dims, name, input_size, weight, grad_output, stride, padding,
                               dilation, groups, padding_mode, backend)

    return _named(input_grad, name, "conv_input", dims)


def _conv_weight(dims: int):
    name = f"conv{dims}d_weight"

    def weight_grad(input: Any, weight_size: Sequence[int], grad_output: Any, stride: Any = 1,
                    padding: Any = 0, dilation: Any = 1, groups: Any = 1,
                    padding_mode: str = "zeros", backend: str = "numpy") -> np.ndarray:
        return conv.weight_grad(dims, name, input, weight_size, grad_output, stride, padding,
                                dilation, groups, padding_mode, backend)

    return _named(weight_grad, name, "conv_weight", dims)


def _conv_bias(dims: int):
    def bias_grad(grad_output: Any) -> np.ndarray:
        return conv.bias_grad(dims, grad_output)

    return _named(bias_grad, f"conv{dims}d_bias", "conv_bias", dims)


def _transpose(dims: int):
    name = f"conv_transpose{dims}d"

    def forward(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                output_padding: Any = 0, groups: Any = 1, dilation: Any = 1,
                backend: str = "numpy") -> np.ndarray:
        return conv_transpose.forward(dims, name, input, weight, bias, stride, padding,
                                      output_padding, groups, dilation, backend)

    return _named(forward, name, "transpose", dims)


def _transpose_input(dims: int):
    name = f"conv_transpose{dims}d_input"

    def input_grad(input_size: Sequence[int], weight: Any, grad_output: Any, stride: Any = 1,
                   padding: Any = 0, output_padding: Any = 0, groups: Any = 1,
                   dilation: Any = 1, backend: str = "numpy") -> np.ndarray:
        return conv_transpose.input_grad(dims, name, input_size, weight, grad_output, stride,
                                         padding, output_padding, groups, dilation, backend)

    return _named(input_grad, name, "transpose_input", dims)


def _transpose_weight(dims: int):
    name = f"conv_transpose{dims}d_weight"

    def weight_grad(input: Any, weight_size: Sequence[int], grad_output: Any, stride: Any = 1,
                    padding: Any = 0, output_padding: Any = 0, groups: Any = 1,
                    dilation: Any = 1, backend: str = "numpy") -> np.ndarray:
        return conv_transpose.weight_grad(dims, name, input, weight_size, grad_output, stride,
                                          padding, output_padding, groups, dilation, backend)

    return _named(weight_grad, name, "transpose_weight", dims)


conv1d, conv3d = _conv(1), _conv(3)
conv1d_input, conv3d_input = _conv_input(1), _conv_input(3)
conv1d_weight, conv3d_weight = _conv_weight(1), _conv_weight(3)
conv1d_bias, conv3d_bias = _conv_bias(1), _conv_bias(3)
conv_transpose1d, conv_transpose3d = _transpose(1), _transpose(3)
conv_transpose1d_input, conv_transpose3d_input = _transpose_input(1), _transpose_input(3)
conv_transpose1d_weight, conv_transpose3d_weight = _transpose_weight(1), _transpose_weight(3)
