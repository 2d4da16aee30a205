"""An equivalent small layer for a layer whose windows read little of its padded input.

The pipeline in `core.conv` pads the input and lays it out by stride phase, which costs the
padded size and sh·sw phases. That is right for ordinary layers, where the windows cover
the padded input, and ruinous where they skip most of it: a stride of 4000 over a 5×5
input (16 million phases of one cell), a padding of 10⁶ read by three windows, a dilation
of 10⁶. Work must grow with the output and the kernel, not with stride, padding or dilation.

So, axis by axis, the padded positions the windows read are gathered into a small input
without padding, whose plain convolution is the same sums:

* *gathered*: each output position's kh taps side by side — ``O·k`` positions, read at
  stride k, dilation 1 (the im2col of one axis). Used where that is fewer cells than the
  windows' extent ``(O-1)·s + d·(k-1) + 1``: the windows skip cells.
* *kept*: the padded positions ``0 … extent-1`` as they are (stride s, dilation d; stride 1
  where there is one output position, whose window any stride reads alike). Then
  ``extent ≤ O·k``, and s ≤ k where O > 1, so the phases stay few.

A compact cell copies its real pixel through the padding map (`core.padding.source_index`)
or is zero; the gradient w.r.t. the small input goes back through the same map (repeats
add: replicate's edge, overlapping windows). Everything the gather touches is the size of
the output times the kernel (plus the real input, for the gradient).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .padding import source_index
from .spec import LayerSpec


def _layout(kernel: int, stride: int, dilation: int, out: int) -> tuple[int, int, int, bool]:
    """One axis of the compact layer: (length, stride, dilation, gathered?)."""
    extent = (out - 1) * stride + dilation * (kernel - 1) + 1
    if out * kernel < extent:
        return out * kernel, kernel, 1, True
    return extent, stride if out > 1 else 1, dilation, False


def small_spec(spec: LayerSpec) -> LayerSpec | None:
    """The compact layer of `spec` (no arrays made), or None where the spec's own layout
    costs no more: it is used where an axis is gathered, where a stride exceeds what the
    windows read (one output position, many phases), or where the padded axis is over
    twice what is read."""
    axes, worth = [], False
    for i in range(spec.dims):
        length, stride, dilation, gathered = _layout(
            spec.kernel_size[i], spec.stride[i], spec.dilation[i], spec.output_size[i]
        )
        worth |= gathered or spec.stride[i] > length or spec.padded_size[i] > 2 * length
        axes.append((length, stride, dilation))
    if not worth:
        return None
    size, stride, dilation = zip(*axes, strict=True)
    return LayerSpec(
        in_channels=spec.in_channels,
        out_channels=spec.out_channels,
        kernel_size=spec.kernel_size,
        stride=stride,
        padding=0,
        dilation=dilation,
        groups=spec.groups,
        bias=spec.bias,
        input_size=size,
        batch=spec.batch,
        dtype=spec.dtype,
        dims=spec.dims,
    )


@dataclass(frozen=True, eq=False)
class Compact:
    """The small layer and, per spatial axis, the real pixel each of its input cells copies
    (-1: zero)."""

    spec: LayerSpec
    maps: tuple[np.ndarray, ...]

    def _order(self, size: tuple[int, ...]) -> list[int]:
        return order(tuple(m.size for m in self.maps), size)

    def gather(self, x: np.ndarray) -> np.ndarray:
        """The small layer's input from the real one: (..., *size) → (..., *compact size)."""
        dims = len(self.maps)
        for i in self._order(x.shape[-dims:]):
            x = _take(x, self.maps[i], i - dims)
        return x

    def scatter(self, grad: np.ndarray, input_size: tuple[int, ...]) -> np.ndarray:
        """The adjoint of `gather`: a gradient w.r.t. the small input onto the real one."""
        dims = len(self.maps)
        for i in reversed(self._order(input_size)):
            grad = _put(grad, self.maps[i], input_size[i], i - dims)
        return grad


def order(small: tuple[int, ...], size: tuple[int, ...]) -> list[int]:
    """The axes in the order `Compact.gather` goes through them, from the real ``size`` to
    the ``small`` one: the one that shrinks most first, so that the next copies are of the
    smallest arrays (ties: the earlier axis); `Compact.scatter` goes the other way."""
    return sorted(range(len(size)), key=lambda i: small[i] / size[i])


def step_sizes(small: tuple[int, ...], size: tuple[int, ...]) -> list[int]:
    """Cells per channel of each array `Compact.gather` makes (``scatter``'s are the same),
    the last being the small input: what `core.budget` counts."""
    current, steps = list(size), []
    for i in order(small, size):
        current[i] = small[i]
        steps.append(math.prod(current))
    return steps


def _padded_reads(spec: LayerSpec, i: int) -> np.ndarray:
    """The padded positions axis ``i``'s (output position, tap) pairs read, output-major."""
    k, s, d, out = spec.kernel_size[i], spec.stride[i], spec.dilation[i], spec.output_size[i]
    return (np.arange(out)[:, None] * s + np.arange(k) * d).ravel()


def reads(spec: LayerSpec) -> tuple[np.ndarray, ...]:
    """Per axis, the real position every (output position, tap) reads, output-major
    (-1: zero padding): the maps of the gathered layout on every axis, whatever it costs."""
    return tuple(
        source_index(_padded_reads(spec, i), spec.input_size[i], spec.pads[2 * i],
                     spec.padding_mode)
        for i in range(spec.dims)
    )


@lru_cache(maxsize=256)
def plan(spec: LayerSpec) -> Compact | None:
    """`small_spec` with the maps from its input cells to the real pixels (once per spec,
    a value key: asked on every call of the pipeline; the maps are read-only)."""
    small = small_spec(spec)
    if small is None:
        return None
    maps = []
    for i in range(spec.dims):
        k, out = spec.kernel_size[i], spec.output_size[i]
        if small.stride[i] == k and small.dilation[i] == 1 and small.input_size[i] == out * k:
            padded = _padded_reads(spec, i)  # gathered
        else:
            padded = np.arange(small.input_size[i])
        index = source_index(padded, spec.input_size[i], spec.pads[2 * i], spec.padding_mode)
        index.flags.writeable = False
        maps.append(index)
    return Compact(small, tuple(maps))


def _as_slice(index: np.ndarray) -> slice | None:
    """``index`` as a slice where it is an increasing run at a fixed step (a view, no copy)."""
    if index.size == 0 or index[0] < 0:
        return None
    step = int(index[1] - index[0]) if index.size > 1 else 1
    if step < 1 or not np.array_equal(index, index[0] + step * np.arange(index.size)):
        return None
    return slice(int(index[0]), int(index[-1]) + 1, step)


def _at(axis: int, where: slice | np.ndarray) -> tuple:
    return (Ellipsis, where) + (slice(None),) * (-axis - 1)


def _take(a: np.ndarray, index: np.ndarray, axis: int) -> np.ndarray:
    run = _as_slice(index)
    if run is not None:
        return a[_at(axis, run)]
    zero = index < 0
    out = np.take(a, np.where(zero, 0, index), axis=axis)
    if zero.any():
        out[_at(axis, zero)] = 0
    return out


def _put(g: np.ndarray, index: np.ndarray, size: int, axis: int) -> np.ndarray:
    shape = list(g.shape)
    shape[axis] = size
    out = np.zeros(shape, dtype=g.dtype)
    run = _as_slice(index)
    if run is not None:
        out[_at(axis, run)] = g
        return out
    real = index >= 0
    target, values = index[real], np.compress(real, g, axis=axis)
    moved_out, moved_values = np.moveaxis(out, axis, 0), np.moveaxis(values, axis, 0)
    if np.unique(target).size == target.size:
        moved_out[target] = moved_values
    else:  # several cells copy one pixel: their gradients add
        np.add.at(moved_out, target, moved_values)
    return out
