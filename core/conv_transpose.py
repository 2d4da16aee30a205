"""``nn.ConvTranspose2d``'s forward pass and autograd's gradients, by the Conv2d pipeline.

A transposed convolution is a convolution's adjoint. With ``conv = spec.as_conv()`` (the
Conv2d with the same weight, stride, padding, dilation and groups, channels swapped)::

    forward      y  = conv2d_input(y.shape, conj(W), x)      matmul + col2im (fold)
    grad_input   gx = conv2d(gy, conj(W))                    im2col + matmul
    grad_weight  gW = conj(conv2d_weight(gy, W.shape, x))    the roles swapped
    grad_bias    gb = Σ gy                                   as Conv2d's

The forward pass does not conjugate the weight (``conv2d_input`` does: it is an adjoint,
hence the ``conj(W)`` handed to it); the gradients follow autograd's convention for complex
tensors. Where an output_padding reaches the stride (allowed below the dilation) the
Conv2d has more output positions than ``x`` (`LayerSpec.conv_extra`): they read only
rows/columns of ``y`` that no input pixel paints, so ``x`` stands for them as zeros and
``gx`` drops them.

Every function validates the transposed layer first (`LayerSpec` with ``transposed=True``:
a refusal is a `SpecError` naming the fields and numbers) and asks `core.budget.check`
before anything is allocated; the Conv2d calls underneath then never refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import budget
from .conv import (
    ConvResults,
    _array,
    _check_shape,
    _size,
    compute,
    conv2d,
    conv2d_bias,
    conv2d_input,
    conv2d_weight,
)
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
) -> LayerSpec:
    """The transposed `LayerSpec` that ``F.conv_transpose2d(input, weight, ...)`` describes,
    with torch's shape checks (the weight is (in_channels, out_channels/groups, kH, kW))."""
    return LayerSpec.from_arrays(
        input_shape, weight_shape, bias=bias, stride=stride, padding=padding,
        dilation=dilation, groups=groups, dtype=np.dtype(dtype).name, transposed=True,
        output_padding=output_padding, dims=2,
    )


# -- the role swap ---------------------------------------------------------------------------
def _conv_args(spec: LayerSpec) -> dict[str, Any]:
    """The keyword arguments of `spec.as_conv()` for core.conv's functions."""
    conv = spec.as_conv()
    return {"stride": conv.stride, "padding": conv.padding, "dilation": conv.dilation,
            "groups": conv.groups}


def _conj(a: np.ndarray) -> np.ndarray:
    return a.conj() if np.iscomplexobj(a) else a


def _extended(x: np.ndarray, spec: LayerSpec) -> np.ndarray:
    """``x`` as the Conv2d's grad_output: zeros for the `conv_extra` positions it lacks."""
    eh, ew = spec.conv_extra
    if not (eh or ew):
        return x
    widths = [(0, 0)] * (x.ndim - 2) + [(0, eh), (0, ew)]
    return np.pad(x, widths)


def _cropped(gx: np.ndarray, spec: LayerSpec) -> np.ndarray:
    """The Conv2d's output without the `conv_extra` positions: the transposed grad_input."""
    if spec.conv_extra == (0, 0):
        return gx
    h, w = spec.input_size
    return np.ascontiguousarray(gx[..., :h, :w])


def _add_bias(y: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    if b is None:
        return y
    if y.flags.writeable:
        y += b.reshape(-1, 1, 1)
        return y
    return y + b.reshape(-1, 1, 1)


# -- public API, with torch's names and argument order ---------------------------------------
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
    x = _array("input", input)
    w = _array("weight", weight, x.dtype)
    b = None if bias is None else _array("bias", bias, x.dtype)
    spec = layer_spec(x.shape, w.shape, x.dtype, bias=b is not None, stride=stride,
                      padding=padding, output_padding=output_padding, groups=groups,
                      dilation=dilation)
    if b is not None:
        _check_shape("bias", b, spec.bias_shape)
    budget.check(spec, what="conv_transpose2d", outputs=("output",))
    y = conv2d_input(spec.as_conv().input_shape, _conj(w), _extended(x, spec),
                     backend=backend, **_conv_args(spec))
    return _add_bias(y, b)


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
    input_size = _size("input_size", input_size, (3, 4))
    w = _array("weight", weight)
    gy = _array("grad_output", grad_output, w.dtype, like="weight")
    spec = layer_spec(input_size, w.shape, w.dtype, bias=False, stride=stride,
                      padding=padding, output_padding=output_padding, groups=groups,
                      dilation=dilation)
    _check_shape("grad_output", gy, spec.output_shape)
    budget.check(spec, what="conv_transpose2d_input", outputs=("grad_input",))
    gx = conv2d(gy, _conj(w), None, backend=backend, **_conv_args(spec))
    return _cropped(gx, spec)


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
    x = _array("input", input)
    gy = _array("grad_output", grad_output, x.dtype)
    weight_size = _size("weight_size", weight_size, (4,))
    spec = layer_spec(x.shape, weight_size, x.dtype, bias=False, stride=stride,
                      padding=padding, output_padding=output_padding, groups=groups,
                      dilation=dilation)
    _check_shape("grad_output", gy, spec.output_shape)
    budget.check(spec, what="conv_transpose2d_weight", outputs=("grad_weight",))
    gw = conv2d_weight(gy, weight_size, _extended(x, spec), backend=backend,
                       **_conv_args(spec))
    return np.conjugate(gw, out=gw) if np.iscomplexobj(gw) else gw


def compute_transposed(
    spec: LayerSpec,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    gy: np.ndarray,
    backend: str = "numpy",
) -> ConvResults:
    """`core.conv.compute` of a transposed spec, on arrays and a budget it has checked: the
    Conv2d's forward and backward in one pass over ``spec.as_conv()`` (its grad_input is
    this layer's output, its output this layer's grad_input)."""
    got = compute(spec.as_conv(), gy, _conj(w), None, _extended(x, spec), backend)
    grad_weight = got.grad_weight.conj() if np.iscomplexobj(w) else got.grad_weight
    results = ConvResults(
        output=_add_bias(got.grad_input, b),
        grad_input=_cropped(got.output, spec),
        grad_weight=grad_weight,
        grad_bias=conv2d_bias(gy) if spec.bias else None,
    )
    for a in (results.output, results.grad_input, results.grad_weight, results.grad_bias):
        if a is not None:
            a.flags.writeable = False
    return results
