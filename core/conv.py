"""``nn.Conv2d``'s forward pass and autograd's gradients, by im2col + matmul.

The pipeline, per chunk of samples::

    forward      xp = pad(x);  cols = unfold(xp);  y = W_g @ cols_g  (+ bias)
    grad_weight  dW_g += dY_g @ conj(cols_g)ᵀ
    grad_input   dcols_g = conj(W_g)ᵀ @ dY_g;  dxp = fold(dcols);  dx = pad_adjoint(dxp)
    grad_bias    db = Σ dY

``g`` runs over groups. The batch is processed in chunks so that the unfolded matrix
never holds more than about `CHUNK_BYTES`, which keeps peak memory near the tensors' own.
Complex gradients follow autograd's convention (conjugate Wirtinger): the other factor
is conjugated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backends import get_backend
from .spec import DTYPES, LayerSpec

CHUNK_BYTES = 16 * 2**20


@dataclass(frozen=True)
class ConvResults:
    """Everything one layer computes, as read-only arrays in the input's dtype."""

    output: np.ndarray
    grad_input: np.ndarray
    grad_weight: np.ndarray
    grad_bias: np.ndarray | None


# -- argument checks ---------------------------------------------------------------------
def _array(name: str, a: Any, dtype: np.dtype | None = None) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.name not in DTYPES:
        raise ValueError(
            f"{name} dtype {a.dtype.name} is not supported; use one of {', '.join(DTYPES)}"
        )
    if dtype is not None and a.dtype != dtype:
        raise ValueError(f"{name} dtype {a.dtype.name} does not match input dtype {dtype.name}")
    return a


def _check_shape(name: str, a: np.ndarray, expected: Sequence[int] | None) -> None:
    if expected is not None and a.shape != tuple(expected):
        raise ValueError(f"{name} shape {a.shape} does not match expected shape {tuple(expected)}")


def layer_spec(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    dtype: np.dtype,
    *,
    bias: bool,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    padding_mode: str,
) -> LayerSpec:
    """The `LayerSpec` behind a functional call, validated like ``nn.Conv2d``."""
    return LayerSpec.from_arrays(
        input_shape,
        weight_shape,
        bias=bias,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
        dtype=np.dtype(dtype).name,
    )


# -- the pipeline ------------------------------------------------------------------------
def _chunks(spec: LayerSpec, itemsize: int) -> Iterator[slice]:
    n = 1 if spec.batch is None else spec.batch
    oh, ow = spec.output_size
    per_sample = spec.in_channels * spec.kernel_size[0] * spec.kernel_size[1] * oh * ow * itemsize
    step = max(1, CHUNK_BYTES // max(per_sample, 1))
    for start in range(0, n, step):
        yield slice(start, min(start + step, n))


def _cols(ops, spec: LayerSpec, x) -> Any:
    """Unfolded chunk, grouped: shape (n, G, C/G·kh·kw, OH·OW)."""
    cols = ops.unfold(ops.pad(x, spec), spec)
    return cols.reshape(cols.shape[0], spec.groups, -1, cols.shape[-1])


def _run(
    spec: LayerSpec,
    backend: str,
    *,
    x: np.ndarray | None = None,
    w: np.ndarray,
    b: np.ndarray | None = None,
    gy: np.ndarray | None = None,
    want: frozenset[str],
) -> dict[str, np.ndarray]:
    """Run the pipeline once over the batch and return the requested tensors."""
    ops = get_backend(backend)
    batched = spec.batched
    g, og = spec.groups, spec.out_per_group
    oh, ow = spec.output_size
    wt = ops.asarray(w)
    w_mat = wt.reshape(g, og, -1)  # (G, O/G, C/G·kh·kw)
    xt = None if x is None else ops.asarray(x if batched else x[None])
    gyt = None if gy is None else ops.asarray(gy if batched else gy[None])
    n = 1 if spec.batch is None else spec.batch
    like = wt
    out: dict[str, Any] = {}
    if "output" in want:
        out["output"] = ops.zeros((n, spec.out_channels, oh, ow), like)
    if "grad_input" in want:
        out["grad_input"] = ops.zeros((n, spec.in_channels, *spec.input_size), like)
        w_adj = w_mat.conj().swapaxes(-1, -2)  # (G, C/G·kh·kw, O/G)
    if "grad_weight" in want:
        out["grad_weight"] = ops.zeros(w_mat.shape, like)

    for part in _chunks(spec, np.dtype(w.dtype).itemsize):
        if xt is not None and ("output" in want or "grad_weight" in want):
            cols = _cols(ops, spec, xt[part])
            if "output" in want:
                y = w_mat @ cols  # (n, G, O/G, L)
                out["output"][part] = y.reshape(y.shape[0], spec.out_channels, oh, ow)
            if "grad_weight" in want:
                dy = gyt[part].reshape(cols.shape[0], g, og, -1)
                out["grad_weight"] += (dy @ cols.conj().swapaxes(-1, -2)).sum(0)
        if "grad_input" in want:
            dy = gyt[part].reshape(-1, g, og, oh * ow)
            dcols = (w_adj @ dy).reshape(dy.shape[0], -1, oh * ow)  # (n, C·kh·kw, L)
            out["grad_input"][part] = ops.pad_adjoint(ops.fold(dcols, spec), spec)

    if "output" in want and b is not None:
        out["output"] += ops.asarray(b).reshape(1, -1, 1, 1)
    if "grad_weight" in want:
        out["grad_weight"] = out["grad_weight"].reshape(spec.weight_shape)
    result = {k: ops.to_numpy(v) for k, v in out.items()}
    if not batched:
        for k in ("output", "grad_input"):
            if k in result:
                result[k] = result[k][0]
    return result


# -- public API, with torch's names and argument order -----------------------------------
def conv2d(
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
    """Forward pass of ``nn.Conv2d``: what ``conv(input)`` returns.

    Parameters
    ----------
    input : ndarray, shape (N, C, H, W) or (C, H, W)
    weight : ndarray, shape (O, C/groups, kh, kw)
    bias : ndarray, shape (O,), or None
    stride, padding, dilation, groups, padding_mode
        As ``torch.nn.Conv2d``; ``padding`` may be ``'valid'`` or ``'same'``.
    backend : {'numpy', 'torch', 'cuda'}

    Returns
    -------
    ndarray, shape (N, O, OH, OW) or (O, OH, OW), in the input's dtype.
    """
    x = _array("input", input)
    w = _array("weight", weight, x.dtype)
    b = None if bias is None else _array("bias", bias, x.dtype)
    spec = layer_spec(x.shape, w.shape, x.dtype, bias=b is not None, stride=stride,
                      padding=padding, dilation=dilation, groups=groups,
                      padding_mode=padding_mode)
    if b is not None:
        _check_shape("bias", b, spec.bias_shape)
    return _run(spec, backend, x=x, w=w, b=b, want=frozenset({"output"}))["output"]


def conv2d_input(
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
    """Gradient of the loss w.r.t. the input, given ``grad_output`` (autograd's convention).

    Parameters
    ----------
    input_size : sequence of int, (N, C, H, W) or (C, H, W)
    weight : ndarray, shape (O, C/groups, kh, kw)
    grad_output : ndarray, the output's shape

    Returns
    -------
    ndarray, shape ``input_size``, in the weight's dtype.
    """
    w = _array("weight", weight)
    gy = _array("grad_output", grad_output, w.dtype)
    spec = layer_spec(tuple(int(s) for s in input_size), w.shape, w.dtype, bias=False,
                      stride=stride, padding=padding, dilation=dilation, groups=groups,
                      padding_mode=padding_mode)
    _check_shape("grad_output", gy, spec.output_shape)
    return _run(spec, backend, w=w, gy=gy, want=frozenset({"grad_input"}))["grad_input"]


def conv2d_weight(
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
    """Gradient of the loss w.r.t. the weight, given ``grad_output`` (autograd's convention).

    Returns
    -------
    ndarray, shape ``weight_size`` (O, C/groups, kh, kw), in the input's dtype.
    """
    x = _array("input", input)
    gy = _array("grad_output", grad_output, x.dtype)
    weight_size = tuple(int(s) for s in weight_size)
    spec = layer_spec(x.shape, weight_size, x.dtype, bias=False, stride=stride,
                      padding=padding, dilation=dilation, groups=groups,
                      padding_mode=padding_mode)
    _check_shape("grad_output", gy, spec.output_shape)
    w = np.zeros(weight_size, dtype=x.dtype)
    return _run(spec, backend, x=x, w=w, gy=gy, want=frozenset({"grad_weight"}))["grad_weight"]


def conv2d_bias(grad_output: Any) -> np.ndarray:
    """Gradient w.r.t. the bias: ``grad_output`` summed over every axis but the channel.

    ``grad_output`` is (N, O, OH, OW) or unbatched (O, OH, OW); returns shape (O,).
    """
    gy = _array("grad_output", grad_output)
    if gy.ndim not in (3, 4):
        raise ValueError(f"grad_output must be 3D or 4D, got shape {gy.shape}")
    axes = (0, 2, 3) if gy.ndim == 4 else (1, 2)
    return gy.sum(axis=axes)


def compute(
    spec: LayerSpec,
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    grad_output: np.ndarray,
    backend: str = "numpy",
) -> ConvResults:
    """Forward and backward in one pass, sharing the unfolded input (what the app shows).

    The arrays must have the spec's shapes and dtype; the results are read-only.
    """
    dtype = np.dtype(spec.dtype)
    x = _array("input", input, dtype)
    w = _array("weight", weight, dtype)
    gy = _array("grad_output", grad_output, dtype)
    _check_shape("input", x, spec.input_shape)
    _check_shape("weight", w, spec.weight_shape)
    _check_shape("grad_output", gy, spec.output_shape)
    b = None
    if spec.bias:
        if bias is None:
            raise ValueError("bias is on in the spec but no bias tensor was given")
        b = _array("bias", bias, dtype)
        _check_shape("bias", b, spec.bias_shape)
    got = _run(spec, backend, x=x, w=w, b=b, gy=gy,
               want=frozenset({"output", "grad_input", "grad_weight"}))
    results = ConvResults(
        output=got["output"],
        grad_input=got["grad_input"],
        grad_weight=got["grad_weight"],
        grad_bias=conv2d_bias(gy) if spec.bias else None,
    )
    for a in (results.output, results.grad_input, results.grad_weight, results.grad_bias):
        if a is not None:
            a.flags.writeable = False
    return results
