"""``nn.Conv1d/2d/3d``'s forward pass and autograd's gradients, by im2col + matmul.

One implementation for every number of spatial axes d (`forward`, `input_grad`,
`weight_grad`, `bias_grad`, `compute`); `conv2d` and its gradients here, and conv1d/conv3d
in `core.conv_family`, are thin wrappers with torch's names and argument order. They check
their arguments like ``nn.Conv{d}d`` and run the pipeline of `core.pipeline` (numpy with
two spatial axes: its fast path, `core.backends.numpy_fast`)::

    forward      xp = pad(x);  cols = unfold(xp);  y = W_g @ cols_g  (+ bias)
    grad_weight  dW_g += dY_g @ conj(cols_g)ᵀ
    grad_input   dcols_g = conj(W_g)ᵀ @ dY_g;  dxp = fold(dcols);  dx = pad_adjoint(dxp)
    grad_bias    db = Σ dY

A layer whose windows skip most of its padded input (a stride or dilation far beyond the
kernel, a padding far beyond the input) runs as a small layer over just the pixels the
windows read (`core.compact`), so the cost follows the output and the kernel. Every public
function asks `core.budget.check` first and raises `core.budget.BudgetError` (a ValueError
naming the estimate and the limit) before allocating what would exceed the memory limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import budget, compact, pipeline
from .backends import get_backend, numpy_fast
from .spec import DTYPES, LayerSpec, SpecError
from .spec_args import _is_int


@dataclass(frozen=True)
class ConvResults:
    """Everything one layer computes, as read-only arrays in the input's dtype."""

    output: np.ndarray
    grad_input: np.ndarray
    grad_weight: np.ndarray
    grad_bias: np.ndarray | None


# -- argument checks ---------------------------------------------------------------------
_DTYPES = frozenset(np.dtype(name) for name in DTYPES)


def _array(name: str, a: Any, dtype: np.dtype | None = None, like: str = "input") -> np.ndarray:
    """``a`` as an array of a supported dtype (and ``dtype``, that of the argument ``like``)."""
    a = np.asarray(a)
    if a.dtype not in _DTYPES and a.dtype.name not in DTYPES:  # (the set: native byte order)
        raise SpecError(
            f"{name} dtype {a.dtype.name} is not supported; use one of {', '.join(DTYPES)}",
            (name,), dtype=a.dtype.name,
        )
    if dtype is not None and a.dtype != dtype:
        raise SpecError(f"{name} dtype {a.dtype.name} does not match {like} dtype {dtype.name}",
                        (name,), dtype=a.dtype.name, expected=dtype.name)
    return a


def _size(name: str, value: Any, lengths: tuple[int, ...]) -> tuple[int, ...]:
    """A tensor size as torch takes one: a tuple, list or torch.Size of ints (numpy ints too;
    no bool, float, string or array), of one of ``lengths``."""
    if not isinstance(value, (tuple, list)) or not all(_is_int(v) for v in value):
        raise SpecError(f"{name} must be a tuple of ints, got {value!r}", (name,))
    if len(value) not in lengths:
        raise SpecError(
            f"{name} must have {' or '.join(map(str, lengths))} entries, got {len(value)}: "
            f"{tuple(value)!r}",
            (name,), entries=len(value), allowed=lengths,
        )
    return tuple(int(v) for v in value)


def _check_shape(name: str, a: np.ndarray, expected: Sequence[int] | None) -> None:
    if expected is not None and a.shape != tuple(expected):
        raise SpecError(f"{name} shape {a.shape} does not match expected shape {tuple(expected)}",
                        (name,), shape=a.shape, expected=tuple(expected))


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
    dims: int = 2,
) -> LayerSpec:
    """The `LayerSpec` behind a functional call, validated like ``nn.Conv{dims}d``.

    Specs are remembered by the value of the arguments, with their types (`_value_key`):
    building and checking one costs more than a small layer's whole computation. The
    shapes are tuples of ints (an array's ``shape``, or checked by `_size`).
    """
    args = (dims, tuple(input_shape), tuple(weight_shape), dtype, bias, stride, padding,
            dilation, groups, padding_mode)
    hyper = args[4:]
    kinds = tuple(map(type, hyper))
    if all(k in _KEY_SCALARS for k in kinds):  # the usual call: plain ints and strings
        key = (*args[:4], hyper, kinds)
    else:
        key = _value_key(args)
    spec = None if key is None else _SPECS.get(key)
    if spec is None:
        spec = LayerSpec.from_arrays(
            args[1],
            args[2],
            bias=bias,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            padding_mode=padding_mode,
            dtype=np.dtype(dtype).name,
            dims=dims,
        )
        if key is not None:
            if len(_SPECS) >= _SPECS_MAX:
                _SPECS.clear()
            _SPECS[key] = spec
    return spec


_SPECS: dict[tuple, LayerSpec] = {}
_SPECS_MAX = 256


def _value_key(args: tuple) -> tuple | None:
    """A cache key for a call's arguments: their values with the type of every part, so
    that values that compare equal but validate differently (``True`` and ``1``, ``1.0``
    and ``1``, a list and a tuple) get different keys; None where an argument is anything
    but a scalar (int, str, numpy int or dtype) or a flat tuple or list of them (then the
    call is not cached)."""
    parts = []
    for value in args:
        kind = type(value)
        if kind is tuple or kind is list:
            kinds = tuple(map(type, value))
            if not all(k in _KEY_SCALARS or issubclass(k, np.integer) for k in kinds):
                return None
            parts.append((kind, kinds, tuple(value)))
        elif kind in _KEY_SCALARS or issubclass(kind, (np.integer, np.dtype)):
            parts.append((kind, value))
        else:
            return None
    return tuple(parts)


_KEY_SCALARS = frozenset({int, bool, str})


def _hyper(stride: Any, padding: Any, dilation: Any, groups: Any, padding_mode: str) -> dict:
    return {
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "padding_mode": padding_mode,
    }


# -- the pipeline ------------------------------------------------------------------------
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
    """Run the pipeline once over the batch and return the requested tensors.

    numpy runs the fast path for two spatial axes (`core.backends.numpy_fast`: the same
    steps, rearranged, on several threads); torch's backends, and numpy for one or three
    axes, the textbook pipeline (`core.pipeline`). A layer
    whose windows read little of its padded input runs as its small equivalent
    (`core.compact`).
    """
    small = compact.plan(spec)
    if small is not None:
        xc = None if x is None else small.gather(x)
        got = _run(small.spec, backend, x=xc, w=w, b=b, gy=gy, want=want)
        if "grad_input" in got:
            got["grad_input"] = small.scatter(got["grad_input"], spec.input_size)
        return got
    if backend == "numpy" and numpy_fast.serves(spec):  # 2-D, 1-D as 2-D, 3-D at stride 1
        return numpy_fast.run(spec, x=x, w=w, b=b, gy=gy, want=want)
    # torch's backends, and numpy where the fast path does not serve: the textbook pipeline
    return pipeline.run(spec, get_backend(backend), x=x, w=w, b=b, gy=gy, want=want)


# -- the public functions of every dims, with torch's names and argument order -------------
# `conv2d` and its gradients below, conv1d/conv3d in `core.conv_family`: thin wrappers of
# these, which take the number of spatial axes and the caller's name (for the budget).
def forward(dims: int, what: str, input: Any, weight: Any, bias: Any, stride: Any,
            padding: Any, dilation: Any, groups: Any, padding_mode: str,
            backend: str) -> np.ndarray:
    """``F.conv{dims}d`` (with ``padding_mode`` as ``nn.Conv{dims}d``)."""
    x = _array("input", input)
    w = _array("weight", weight, x.dtype)
    b = None if bias is None else _array("bias", bias, x.dtype)
    hyper = _hyper(stride, padding, dilation, groups, padding_mode)
    spec = layer_spec(x.shape, w.shape, x.dtype, bias=b is not None, dims=dims, **hyper)
    if b is not None:
        _check_shape("bias", b, spec.bias_shape)
    want = frozenset({"output"})
    budget.check(spec, what=what, outputs=want)
    return _run(spec, backend, x=x, w=w, b=b, want=want)["output"]


def input_grad(dims: int, what: str, input_size: Sequence[int], weight: Any, grad_output: Any,
               stride: Any, padding: Any, dilation: Any, groups: Any, padding_mode: str,
               backend: str) -> np.ndarray:
    """``torch.nn.grad.conv{dims}d_input``."""
    input_size = _size("input_size", input_size, (dims + 1, dims + 2))
    w = _array("weight", weight)
    gy = _array("grad_output", grad_output, w.dtype, like="weight")
    hyper = _hyper(stride, padding, dilation, groups, padding_mode)
    spec = layer_spec(input_size, w.shape, w.dtype, bias=False, dims=dims, **hyper)
    _check_shape("grad_output", gy, spec.output_shape)
    want = frozenset({"grad_input"})
    budget.check(spec, what=what, outputs=want)
    return _run(spec, backend, w=w, gy=gy, want=want)["grad_input"]


def weight_grad(dims: int, what: str, input: Any, weight_size: Sequence[int], grad_output: Any,
                stride: Any, padding: Any, dilation: Any, groups: Any, padding_mode: str,
                backend: str) -> np.ndarray:
    """``torch.nn.grad.conv{dims}d_weight``."""
    x = _array("input", input)
    gy = _array("grad_output", grad_output, x.dtype)
    weight_size = _size("weight_size", weight_size, (dims + 2,))
    hyper = _hyper(stride, padding, dilation, groups, padding_mode)
    spec = layer_spec(x.shape, weight_size, x.dtype, bias=False, dims=dims, **hyper)
    _check_shape("grad_output", gy, spec.output_shape)
    want = frozenset({"grad_weight"})
    budget.check(spec, what=what, outputs=want)
    w = np.zeros(weight_size, dtype=x.dtype)
    return _run(spec, backend, x=x, w=w, gy=gy, want=want)["grad_weight"]


def bias_grad(dims: int, grad_output: Any) -> np.ndarray:
    """``grad_output`` (N, O, *out) or unbatched (O, *out) summed over all but the channel."""
    gy = _array("grad_output", grad_output)
    if gy.ndim not in (dims + 1, dims + 2):
        raise SpecError(f"grad_output must be {dims + 1}D or {dims + 2}D, got shape {gy.shape}",
                        ("grad_output",), shape=gy.shape)
    channel = gy.ndim - dims - 1
    return gy.sum(axis=tuple(a for a in range(gy.ndim) if a != channel))


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
    return forward(2, "conv2d", input, weight, bias, stride, padding, dilation, groups,
                   padding_mode, backend)


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
    return input_grad(2, "conv2d_input", input_size, weight, grad_output, stride, padding,
                      dilation, groups, padding_mode, backend)


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
    return weight_grad(2, "conv2d_weight", input, weight_size, grad_output, stride, padding,
                       dilation, groups, padding_mode, backend)


def conv2d_bias(grad_output: Any) -> np.ndarray:
    """Gradient w.r.t. the bias: ``grad_output`` summed over every axis but the channel.

    ``grad_output`` is (N, O, OH, OW) or unbatched (O, OH, OW); returns shape (O,).
    """
    return bias_grad(2, grad_output)


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
    if not isinstance(spec, LayerSpec):
        raise SpecError(f"spec must be a LayerSpec, got {type(spec).__name__}", ("spec",))
    dtype = np.dtype(spec.dtype)
    x = _array("input", input, dtype, like="the spec's")
    w = _array("weight", weight, dtype, like="the spec's")
    gy = _array("grad_output", grad_output, dtype, like="the spec's")
    _check_shape("input", x, spec.input_shape)
    _check_shape("weight", w, spec.weight_shape)
    _check_shape("grad_output", gy, spec.output_shape)
    b = None
    if spec.bias:
        if bias is None:
            raise SpecError("bias is on in the spec but no bias tensor was given", ("bias",))
        b = _array("bias", bias, dtype, like="the spec's")
        _check_shape("bias", b, spec.bias_shape)
    elif bias is not None:
        raise SpecError("a bias tensor was given but the spec has bias off", ("bias",))
    budget.check(spec, what="compute")
    if spec.transposed:  # this pipeline, with the roles of the Conv's tensors swapped
        from .conv_transpose import compute_transposed

        return compute_transposed(spec, x, w, b, gy, backend)
    got = _run(
        spec, backend, x=x, w=w, b=b, gy=gy, want=frozenset({"output", "grad_input", "grad_weight"})
    )
    results = ConvResults(
        output=got["output"],
        grad_input=got["grad_input"],
        grad_weight=got["grad_weight"],
        grad_bias=bias_grad(spec.dims, gy) if spec.bias else None,
    )
    for a in (results.output, results.grad_input, results.grad_weight, results.grad_bias):
        if a is not None:
            a.flags.writeable = False
    return results
