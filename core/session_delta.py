"""What one session holds that another cannot supply: the undo history's record of a change.

A layer change keeps every value where the old and new shapes overlap, so undoing it needs
only what the change dropped (the cells outside the overlap), not a copy of every tensor.
`diff(src, dst)` keeps just that; `apply(src, delta)` rebuilds ``dst`` exactly, bit for bit.
A tensor the change left alone costs nothing (the rebuilt session shares the array), a
region of one repeated value costs one value, and a tensor whose overlap cannot be
recovered (a lossy dtype change, another file's values) is kept whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .session import EDITABLE, Session
from .spec import LayerSpec


def freeze(a: np.ndarray) -> np.ndarray:
    """``a`` marked read-only (a `Session` then takes it without copying)."""
    a.flags.writeable = False
    return a


def compact(values: np.ndarray) -> np.ndarray:
    """``values``, or one value that broadcasts to them when they are all the same."""
    values = np.asarray(values)
    if values.size > 1:
        first = values.flat[0]
        if np.array_equal(values, np.broadcast_to(first, values.shape)):
            return freeze(np.full((1,) * values.ndim, first, dtype=values.dtype))
    return values


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal shapes, dtypes and bytes (so NaN equals NaN and -0.0 differs from 0.0)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return np.array_equal(_bytes(a), _bytes(b))


def _bytes(a: np.ndarray) -> np.ndarray:
    try:
        return a.view(np.uint8)  # no copy when the last axis is contiguous (a box of a tensor)
    except ValueError:
        return np.ascontiguousarray(a).view(np.uint8)


def cast(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``a`` in ``dtype`` as `core.session.resize` converts it (complex to real: the real part)."""
    if np.iscomplexobj(a) and np.dtype(dtype).kind != "c":
        a = a.real
    return a.astype(dtype, copy=False)


def outside(shape: tuple[int, ...], overlap: tuple[int, ...]) -> list[tuple[slice, ...]]:
    """Disjoint boxes that cover ``shape`` minus the box ``overlap`` (at most one per axis)."""
    boxes = []
    for k, (size, kept) in enumerate(zip(shape, overlap, strict=True)):
        if kept < size:
            boxes.append(tuple(slice(0, overlap[j]) for j in range(k)) + (slice(kept, size),)
                         + tuple(slice(None) for _ in range(k + 1, len(shape))))
    return boxes


@dataclass(frozen=True, eq=False)
class TensorDelta:
    """How to build one tensor of the target from the source's (see `diff`)."""

    shape: tuple[int, ...]
    dtype: np.dtype
    whole: np.ndarray | None  # the target tensor itself, when the source cannot supply it
    patches: tuple[tuple[tuple[slice, ...], np.ndarray], ...] = ()  # (box, values) outside

    @property
    def nbytes(self) -> int:
        own = self.whole.nbytes if self.whole is not None else 0
        return own + sum(values.nbytes for _, values in self.patches)


@dataclass(frozen=True, eq=False)
class SessionDelta:
    """Everything `apply` needs besides the source session."""

    spec: LayerSpec
    tensors: dict[str, TensorDelta | None]

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tensors.values() if t is not None)


def _tensor_delta(src: np.ndarray | None, dst: np.ndarray) -> TensorDelta:
    shape, dtype = dst.shape, dst.dtype
    if src is dst:
        return TensorDelta(shape, dtype, None)
    if src is None or src.ndim != dst.ndim:
        return TensorDelta(shape, dtype, compact(dst))
    overlap = tuple(min(s, t) for s, t in zip(src.shape, shape, strict=True))
    box = tuple(slice(0, o) for o in overlap)
    if not same_bits(cast(src[box], dtype), dst[box]):
        return TensorDelta(shape, dtype, compact(dst))
    patches = tuple((b, compact(np.array(dst[b], copy=True))) for b in outside(shape, overlap))
    return TensorDelta(shape, dtype, None, patches)


def diff(src: Session, dst: Session) -> SessionDelta:
    """What `apply` needs, besides ``src``, to rebuild ``dst`` exactly."""
    tensors = {}
    for name in EDITABLE:
        target = dst.tensor(name)
        tensors[name] = None if target is None else _tensor_delta(src.tensor(name), target)
    return SessionDelta(dst.spec, tensors)


def _build(src: np.ndarray | None, delta: TensorDelta) -> np.ndarray:
    if delta.whole is not None:
        whole = delta.whole
        if whole.shape == delta.shape:
            return whole
        return freeze(np.full(delta.shape, whole.flat[0], dtype=delta.dtype))
    assert src is not None, "a delta without its source tensor"
    if not delta.patches and src.shape == delta.shape and src.dtype == delta.dtype:
        return src  # untouched: share the array
    out = np.empty(delta.shape, delta.dtype)
    box = tuple(slice(0, min(s, t)) for s, t in zip(src.shape, delta.shape, strict=True))
    out[box] = cast(src[box], delta.dtype)
    for patch_box, values in delta.patches:
        out[patch_box] = values
    return freeze(out)


def apply(src: Session, delta: SessionDelta) -> Session:
    """The session `diff` ``(src, dst)`` was taken for: ``dst``, rebuilt from ``src``."""
    tensors = {name: None if d is None else _build(src.tensor(name), d)
               for name, d in delta.tensors.items()}
    return Session(spec=delta.spec, **tensors)
