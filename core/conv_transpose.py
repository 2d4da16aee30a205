"""``nn.ConvTranspose1d/2d/3d``'s forward pass and autograd's gradients, by the Conv pipeline.

A transposed convolution is a convolution's adjoint. With ``conv = spec.as_conv()`` (the
Conv with the same weight, stride, padding, dilation and groups, channels swapped; shown
for two spatial axes, the same for every d through `forward`, `input_grad`, `weight_grad`)::

    forward      y  = conv2d_input(y.shape, conj(W), x)      matmul + col2im (fold)
    grad_input   gx = conv2d(gy, conj(W))                    im2col + matmul
    grad_weight  gW = conj(conv2d_weight(gy, W.shape, x))    the roles swapped
    grad_bias    gb = Σ gy                                   as a Conv's

The forward pass does not conjugate the weight (``conv2d_input`` does: it is an adjoint,
hence the ``conj(W)`` handed to it); the gradients follow autograd's convention for complex
tensors. Where an output_padding reaches the stride (allowed below the dilation) the
Conv has more output positions than ``x`` (`LayerSpec.conv_extra`): they read only
rows/columns of ``y`` that no input pixel paints, so ``x`` stands for them as zeros and
``gx`` drops them.

Every function validates the transposed layer first (`LayerSpec` with ``transposed=True``:
a refusal is a `SpecError` naming the fields and numbers) and asks `core.budget.check`
before anything is allocated; the Conv calls underneath then never refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import budget, conv
from .conv import ConvResults, _array, _check_shape, _size, bias_grad, compute
from .spec import LayerSpec


def layer_spec(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    dtype: np.dtype,
    *,
    bias: bool,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: Any = 1,
    dilation: Any = 1,
    dims: int = 2,
) -> LayerSpec:
    """The transposed `LayerSpec` that ``F.conv_transpose{dims}d(input, weight, ...)``
    describes, with torch's shape checks (the weight is (in_channels, out_channels/groups,
    *kernel))."""
    return LayerSpec.from_arrays(
        input_shape, weight_shape, bias=bias, stride=stride, padding=padding,
        dilation=dilation, groups=groups, dtype=np.dtype(dtype).name, transposed=True,
        output_padding=output_padding, dims=dims,
    )


# -- the role swap ---------------------------------------------------------------------------
def _conv_args(spec: LayerSpec) -> tuple[Any, ...]:
    """stride, padding, dilation, groups and padding_mode of `spec.as_conv()`, in the order
    core.conv's generic functions take them."""
    c = spec.as_conv()
    return (c.stride, c.padding, c.dilation, c.groups, c.padding_mode)


def _conj(a: np.ndarray) -> np.ndarray:
    return a.conj() if np.iscomplexobj(a) else a


def _extended(x: np.ndarray, spec: LayerSpec) -> np.ndarray:
    """``x`` as the Conv's grad_output: zeros for the `conv_extra` positions it lacks."""
    if not any(spec.conv_extra):
        return x
    widths = [(0, 0)] * (x.ndim - spec.dims) + [(0, e) for e in spec.conv_extra]
    return np.pad(x, widths)


def _cropped(gx: np.ndarray, spec: LayerSpec) -> np.ndarray:
    """The Conv's output without the `conv_extra` positions: the transposed grad_input."""
    if not any(spec.conv_extra):
        return gx
    return np.ascontiguousarray(gx[(..., *(slice(n) for n in spec.input_size))])


def _add_bias(y: np.ndarray, b: np.ndarray | None, dims: int) -> np.ndarray:
    if b is None:
        return y
    b = b.reshape(-1, *[1] * dims)  # over the channel axis, batched or not
    if y.flags.writeable:
        y += b
        return y
    return y + b


# -- the public functions of every dims, with torch's names and argument order -------------
# conv_transpose2d and its gradients below, the 1-D and 3-D ones in `core.conv_family`:
# thin wrappers of these (the number of spatial axes and the caller's name, for the budget).
def forward(dims: int, what: str, input: Any, weight: Any, bias: Any, stride: Any,
            padding: Any, output_padding: Any, groups: Any, dilation: Any,
            backend: str) -> np.ndarray:
    """``F.conv_transpose{dims}d``: the Conv's input gradient of conj(W) at x, plus bias."""
    x = _array("input", input)
    w = _array("weight", weight, x.dtype)
    b = None if bias is None else _array("bias", bias, x.dtype)
    spec = layer_spec(x.shape, w.shape, x.dtype, bias=b is not None, stride=stride,
                      padding=padding, output_padding=output_padding, groups=groups,
                      dilation=dilation, dims=dims)
    if b is not None:
        _check_shape("bias", b, spec.bias_shape)
    budget.check(spec, what=what, outputs=("output",))
    y = conv.input_grad(dims, what, spec.as_conv().input_shape, _conj(w), _extended(x, spec),
                        *_conv_args(spec), backend)
    return _add_bias(y, b, dims)


def input_grad(dims: int, what: str, input_size: Sequence[int], weight: Any, grad_output: Any,
               stride: Any, padding: Any, output_padding: Any, groups: Any, dilation: Any,
               backend: str) -> np.ndarray:
    """A transposed layer's grad_input: the Conv's forward pass of gy with conj(W)."""
    input_size = _size("input_size", input_size, (dims + 1, dims + 2))
    w = _array("weight", weight)
    gy = _array("grad_output", grad_output, w.dtype, like="weight")
    spec = layer_spec(input_size, w.shape, w.dtype, bias=False, stride=stride,
                      padding=padding, output_padding=output_padding, groups=groups,
                      dilation=dilation, dims=dims)
    _check_shape("grad_output", gy, spec.output_shape)
    budget.check(spec, what=what, outputs=("grad_input",))
    gx = conv.forward(dims, what, gy, _conj(w), None, *_conv_args(spec), backend)
    return _cropped(gx, spec)


def weight_grad(dims: int, what: str, input: Any, weight_size: Sequence[int], grad_output: Any,
                stride: Any, padding: Any, output_padding: Any, groups: Any, dilation: Any,
                backend: str) -> np.ndarray:
    """A transposed layer's grad_weight: the Conv's, roles swapped, conjugated."""
    x = _array("input", input)
    gy = _array("grad_output", grad_output, x.dtype)
    weight_size = _size("weight_size", weight_size, (dims + 2,))
    spec = layer_spec(x.shape, weight_size, x.dtype, bias=False, stride=stride,
                      padding=padding, output_padding=output_padding, groups=groups,
                      dilation=dilation, dims=dims)
    _check_shape("grad_output", gy, spec.output_shape)
    budget.check(spec, what=what, outputs=("grad_weight",))
    gw = conv.weight_grad(dims, what, gy, weight_size, _extended(x, spec), *_conv_args(spec),
                          backend)
    return np.conjugate(gw, out=gw) if np.iscomplexobj(gw) else gw


def conv_transpose2d(
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
    """Forward pass of ``nn.ConvTranspose2d``: what ``F.conv_transpose2d`` returns.

    Parameters
    ----------
    input : ndarray, shape (N, C, H, W) or (C, H, W)
    weight : ndarray, shape (C, O/groups, kh, kw)
    bias : ndarray, shape (O,), or None
    stride, padding, output_padding, groups, dilation
        As ``torch.nn.functional.conv_transpose2d`` (in its order: groups before dilation).
    backend : {'numpy', 'torch', 'cuda'}

    Returns
    -------
    ndarray, shape (N, O, OH, OW) or (O, OH, OW), in the input's dtype, with
    ``OH = (H − 1)·stride − 2·padding + dilation·(kh − 1) + output_padding + 1``.
    """
    return forward(2, "conv_transpose2d", input, weight, bias, stride, padding,
                   output_padding, groups, dilation, backend)


def conv_transpose2d_input(
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
    """Gradient of the loss w.r.t. a transposed layer's input, given ``grad_output``.

    Parameters
    ----------
    input_size : sequence of int, (N, C, H, W) or (C, H, W)
    weight : ndarray, shape (C, O/groups, kh, kw)
    grad_output : ndarray, the output's shape

    Returns
    -------
    ndarray, shape ``input_size``, in the weight's dtype (autograd's convention:
    ``Σ conj(W)·gy``).
    """
    return input_grad(2, "conv_transpose2d_input", input_size, weight, grad_output, stride,
                      padding, output_padding, groups, dilation, backend)


def conv_transpose2d_weight(
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
    """Gradient of the loss w.r.t. a transposed layer's weight, given ``grad_output``.

    Returns
    -------
    ndarray, shape ``weight_size`` (C, O/groups, kh, kw), in the input's dtype
    (autograd's convention: ``Σ conj(x)·gy``).
    """
    return weight_grad(2, "conv_transpose2d_weight", input, weight_size, grad_output, stride,
                       padding, output_padding, groups, dilation, backend)


def compute_transposed(
    spec: LayerSpec,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    gy: np.ndarray,
    backend: str = "numpy",
) -> ConvResults:
    """`core.conv.compute` of a transposed spec, on arrays and a budget it has checked: the
    Conv's forward and backward in one pass over ``spec.as_conv()`` (its grad_input is
    this layer's output, its output this layer's grad_input)."""
    got = compute(spec.as_conv(), gy, _conj(w), None, _extended(x, spec), backend)
    grad_weight = got.grad_weight.conj() if np.iscomplexobj(w) else got.grad_weight
    results = ConvResults(
        output=_add_bias(got.grad_input, b, spec.dims),
        grad_input=_cropped(got.output, spec),
        grad_weight=grad_weight,
        grad_bias=bias_grad(spec.dims, gy) if spec.bias else None,
    )
    for a in (results.output, results.grad_input, results.grad_weight, results.grad_bias):
        if a is not None:
            a.flags.writeable = False
    return results
