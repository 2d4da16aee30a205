"""Layers of 1, 2 or 3 spatial axes, Conv and ConvTranspose, and what torch makes of them.

A `Case` is one layer with its input's shape and the seed of its tensors; `valid_cases`
draws layers torch accepts (every argument, every padding mode, causal Conv1d), and
`any_cases` layers of which many stray out of range. `torch_run` is the truth: torch's own
``nn.Conv{d}d`` module (for the padding modes), ``F.pad`` then ``F.conv1d`` for a causal
layer, ``F.conv_transpose{d}d`` — forward, then autograd backward with a given
grad_output. The 3-D cases are kept tiny so that hundreds of examples run in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch_reference import Reference, quiet_torch, random_array

import core
from core import LayerSpec

MODES = ("zeros", "reflect", "replicate", "circular")


@dataclass(frozen=True)
class Case:
    dims: int
    transposed: bool
    in_channels: int
    out_channels: int
    kernel_size: tuple[int, ...]
    stride: Any
    padding: Any
    dilation: Any
    groups: int
    bias: bool
    padding_mode: str
    output_padding: Any
    causal: bool
    input_size: tuple[int, ...]
    batch: int | None
    dtype: str
    seed: int = 0

    @property
    def input_shape(self) -> tuple[int, ...]:
        shape = (self.in_channels, *self.input_size)
        return shape if self.batch is None else (self.batch, *shape)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """The weight a caller passes (valid or not: groups <= 0 taken as 1)."""
        groups = self.groups if self.groups > 0 else 1
        if self.transposed:
            return (self.in_channels, max(self.out_channels // groups, 1), *self.kernel_size)
        return (self.out_channels, max(self.in_channels // groups, 1), *self.kernel_size)

    @property
    def args(self) -> tuple[Any, ...]:
        """The hyperparameters in the public function's positional order, after bias."""
        if self.transposed:
            return (self.stride, self.padding, self.output_padding, self.groups, self.dilation)
        return (self.stride, self.padding, self.dilation, self.groups, self.padding_mode)

    def function(self, suffix: str = "") -> Any:
        """core's public function of this kind and dims: conv1d, conv_transpose3d_input..."""
        kind = "conv_transpose" if self.transposed else "conv"
        return getattr(core, f"{kind}{self.dims}d{suffix}")

    def spec(self) -> LayerSpec:
        extra = {"output_padding": self.output_padding} if self.transposed else {}
        return LayerSpec(
            self.in_channels, self.out_channels, self.kernel_size, stride=self.stride,
            padding=self.padding, dilation=self.dilation, groups=self.groups, bias=self.bias,
            padding_mode=self.padding_mode, input_size=self.input_size, batch=self.batch,
            dtype=self.dtype, transposed=self.transposed, dims=self.dims, causal=self.causal,
            **extra,
        )

    def tensors(self) -> tuple[np.random.Generator, np.ndarray, np.ndarray, np.ndarray | None]:
        rng = np.random.default_rng(self.seed)
        x = random_array(rng, self.input_shape, self.dtype)
        w = random_array(rng, self.weight_shape, self.dtype)
        b = random_array(rng, (self.out_channels,), self.dtype) if self.bias else None
        return rng, x, w, b


# -- torch ---------------------------------------------------------------------------------
def _tensor(a: np.ndarray | None, grad: bool = False) -> torch.Tensor | None:
    return None if a is None else torch.tensor(a, requires_grad=grad)


def torch_forward(case: Case, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None):
    """The layer's forward pass in torch, differentiable in x, w and b."""
    d = case.dims
    if case.transposed:
        if case.padding_mode != "zeros":  # nn.ConvTranspose{d}d refuses every other mode
            getattr(torch.nn, f"ConvTranspose{d}d")(1, 1, 1, padding_mode=case.padding_mode)
        conv = getattr(F, f"conv_transpose{d}d")
        return conv(x, w, b, case.stride, case.padding, case.output_padding, case.groups,
                    case.dilation)
    if case.causal:  # the TCN recipe: pad (k-1)·dilation on the left, then no padding
        dilation = case.dilation if isinstance(case.dilation, int) else case.dilation[0]
        left = dilation * (case.kernel_size[0] - 1)
        return F.conv1d(F.pad(x, (left, 0)), w, b, case.stride, 0, case.dilation, case.groups)
    with quiet_torch():  # torch's own module: it owns the padding modes
        module = getattr(torch.nn, f"Conv{d}d")(
            case.in_channels, case.out_channels, case.kernel_size, stride=case.stride,
            padding=case.padding, dilation=case.dilation, groups=case.groups,
            bias=case.bias, padding_mode=case.padding_mode, dtype=w.dtype,
        )
        return module._conv_forward(x, w, b)


def torch_run(case: Case, x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
              rng: np.random.Generator) -> Reference:
    """Forward, then autograd's backward of a random grad_output, as numpy arrays."""
    xt, wt, bt = _tensor(x, True), _tensor(w, True), _tensor(b, True)
    with quiet_torch():
        y = torch_forward(case, xt, wt, bt)
    gy = random_array(rng, tuple(y.shape), case.dtype)
    y.backward(torch.tensor(gy))

    def grad(t: torch.Tensor, a: np.ndarray) -> np.ndarray:
        # an input that reaches nothing (an empty batch) may keep .grad None
        return np.zeros_like(a) if t.grad is None else t.grad.numpy()

    return Reference(
        output=y.detach().numpy(), grad_output=gy, grad_input=grad(xt, x),
        grad_weight=grad(wt, w), grad_bias=None if b is None else grad(bt, b),
    )


def torch_output_shape(case: Case) -> tuple[int, ...] | None:
    """The output shape torch gives the case's input, or None where torch raises. It runs on
    one sample as well: on an empty batch torch skips some checks."""
    x = torch.zeros(case.input_shape, dtype=torch.float64)
    one = torch.zeros((1, *case.input_shape[-case.dims - 1:]), dtype=torch.float64)
    w = torch.zeros(case.weight_shape, dtype=torch.float64)
    b = torch.zeros(case.out_channels, dtype=torch.float64) if case.bias else None
    try:
        with quiet_torch():
            torch_forward(case, one, w, b)
            return tuple(torch_forward(case, x, w, b).shape)
    except (RuntimeError, TypeError, ValueError):
        return None


# -- strategies ------------------------------------------------------------------------------
def argument(draw: st.DrawFn, values: tuple[int, ...], one: bool = True) -> Any:
    """A d-tuple as torch takes one: where all are equal sometimes an int or (``one``) a
    1-tuple, which torch's convolutions expand to every axis; else the tuple."""
    if len(set(values)) == 1:
        form = draw(st.sampled_from(["int", "tuple", "one"] if one else ["int", "tuple"]))
        if form != "tuple":
            return values[0] if form == "int" else values[:1]
    return values


def _same_pads(k: int, d: int) -> tuple[int, int]:
    total = d * (k - 1)
    return total // 2, total - total // 2


@st.composite
def valid_cases(draw: st.DrawFn, dims: int,
                dtypes: tuple[str, ...] = ("float64", "complex128"), plain: bool = False) -> Case:
    """A layer torch accepts: Conv (every padding mode and string, causal for d = 1) or
    ConvTranspose (output_padding up to what torch allows), small — tiny for d = 3.
    ``plain``: a Conv with int padding under 'zeros' only (what a ConvTranspose inverts)."""
    tiny = dims == 3
    ints = lambda lo, hi: st.integers(lo, hi)  # noqa: E731
    transposed = not plain and draw(st.booleans())
    causal = dims == 1 and not (transposed or plain) and draw(ints(0, 3)) == 0
    groups = draw(ints(1, 2 if tiny else 3))
    in_per_group = draw(ints(1, 2))
    out_per_group = draw(ints(1, 2))
    kernel = tuple(draw(ints(1, 2 if tiny else 4)) for _ in range(dims))
    dilation = tuple(draw(ints(1, 2 if tiny else 3)) for _ in range(dims))
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    mode, output_padding, grow = "zeros", (0,) * dims, ints(0, 1 if tiny else 3)
    if transposed:
        stride = tuple(draw(ints(1, 3)) for _ in range(dims))
        output_padding = tuple(draw(ints(0, max(s, d) - 1))
                               for s, d in zip(stride, dilation, strict=True))
        padding = tuple(draw(ints(0, 2)) for _ in range(dims))
        size = []  # an output of at least one entry per axis
        for s, p, e, op in zip(stride, padding, extent, output_padding, strict=True):
            low = 1 + -(-max(0, 2 * p - e + 1 - op) // s)
            size.append(low + draw(grow))
    elif causal:
        stride = tuple(draw(ints(1, 3)) for _ in range(dims))
        padding = draw(st.sampled_from([0, (0,), "valid"]))
        size = [draw(ints(1, 6))]
    else:
        mode = "zeros" if plain else draw(st.sampled_from(MODES))
        side = ints(0 if mode == "zeros" else -2, 2 if tiny else 3)  # < 0 crops
        strings = st.sampled_from(["valid", "same"])
        padding = draw(st.one_of(side, st.tuples(*[side] * dims),
                                 *([] if plain else [strings])))
        stride = (1,) * dims if padding == "same" else tuple(draw(ints(1, 3))
                                                               for _ in range(dims))
        size = []
        for axis in range(dims):
            if padding == "valid":
                before = after = 0
            elif padding == "same":
                before, after = _same_pads(kernel[axis], dilation[axis])
            else:
                before = after = padding if isinstance(padding, int) else padding[axis]
            low = max(1, extent[axis] - before - after)
            if mode == "reflect":
                low = max(low, max(before, after) + 1)
            if mode == "circular":
                low = max(low, before, after)
            size.append(low + draw(grow))
    return Case(
        dims=dims, transposed=transposed, in_channels=groups * in_per_group,
        out_channels=groups * out_per_group, kernel_size=kernel,
        stride=argument(draw, stride),
        padding=(argument(draw, padding, one=mode == "zeros") if isinstance(padding, tuple)
                 else padding),  # (F.pad takes no 1-tuple for d axes: other modes refuse it)
        # (no 1-tuple dilation with 'same' under another mode: the torch bug of any_cases)
        dilation=argument(draw, dilation, one=not (padding == "same" and mode != "zeros")),
        groups=groups, bias=draw(st.booleans()),
        padding_mode=mode,
        output_padding=argument(draw, output_padding) if transposed else 0, causal=causal,
        input_size=tuple(size), batch=draw(st.sampled_from([None, 0, 1, 2])),
        dtype=draw(st.sampled_from(dtypes)), seed=draw(st.integers(0, 2**32 - 1)),
    )


@st.composite
def any_cases(draw: st.DrawFn, dims: int) -> Case:
    """Layers of which many are invalid: each field strays out of its range now and then
    (a value below its least, a tuple of the wrong length, an unknown string), so that
    about as many layers are refused as accepted."""

    def field(good: st.SearchStrategy[int], bad: st.SearchStrategy[int],
              wrong: tuple[int, ...] = (1, 2, 3)) -> Any:
        if draw(st.integers(0, 7)) == 0:  # strays
            lengths = st.sampled_from([n for n in wrong if n != dims])
            return draw(st.one_of(bad, lengths.flatmap(lambda n: st.tuples(*[good] * n))))
        return draw(st.one_of(good, st.tuples(*[good] * dims)))

    transposed = draw(st.booleans())
    kmax = 2 if dims == 3 else 3
    groups = draw(st.integers(1, 2)) if draw(st.integers(0, 7)) else draw(st.integers(-1, 4))
    channels = st.integers(1, 3).map(lambda n: n * max(groups, 1))
    mode = draw(st.sampled_from((["zeros"] * 5 if transposed else [*MODES] * 2)
                                + ["reflect", "mirror"]))
    # Under another mode than 'zeros' nn.Conv{d}d hands F.pad the padding as it is: a
    # Conv1d's 2-tuple pads the channels too, and a 1-tuple dilation with 'same' pads one
    # axis (torch bugs, notes/r11/core.md): no such tuples there.
    other = mode != "zeros"
    if draw(st.integers(0, 7)) == 0:
        padding = draw(st.sampled_from(["valid", "same", "full"]))
    else:
        wrong = (1, 3) if other and dims == 1 else (1, 2, 3)
        padding = field(st.integers(0, 2), st.integers(-2, -1), wrong)
    same_bug = padding == "same" and other and dims > 1
    out_channels = draw(channels if draw(st.integers(0, 7)) else st.integers(1, 4))
    if transposed and groups > 0:  # F.conv_transpose reads them from the weight: out/g · g
        out_channels = max(out_channels // groups, 1) * groups
    return Case(
        dims=dims, transposed=transposed,
        in_channels=draw(channels if draw(st.integers(0, 7)) else st.integers(1, 4)),
        out_channels=out_channels,
        kernel_size=tuple(draw(st.integers(0 if draw(st.integers(0, 7)) == 0 else 1, kmax))
                          for _ in range(dims)),
        stride=field(st.integers(1, 3), st.integers(-1, 0)),
        padding=padding,
        dilation=field(st.integers(1, 2), st.integers(-1, 0), (2, 3) if same_bug else (1, 2, 3)),
        groups=groups,
        bias=draw(st.booleans()),
        padding_mode=mode,
        output_padding=field(st.integers(0, 1), st.integers(-1, -1)) if transposed else 0,
        causal=False,
        input_size=tuple(draw(st.integers(1, 4 if dims == 3 else 6)) for _ in range(dims)),
        batch=draw(st.sampled_from([None, 0, 1, 2])), dtype="float64",
    )
