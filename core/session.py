"""Session: a layer spec plus the tensors a user edits (input, weight, bias, grad_output).

Immutable: edits produce a new Session. Changing the spec keeps every value where the old
and new shapes overlap, so a user who grows the kernel does not lose what was typed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .conv import ConvResults, compute
from .spec import LayerSpec, SpecError
from .tensors import EDITABLE
from .torch_layer import layer_class


def _frozen(a: np.ndarray) -> bool:
    """Read-only all the way down: nothing else can write it (a session may share it)."""
    while True:
        if a.flags.writeable:
            return False
        if a.base is None:
            return True
        if not isinstance(a.base, np.ndarray):
            return False
        a = a.base


def _readonly(a: np.ndarray) -> np.ndarray:
    # a frozen array is shared, not copied: an edit or a layer change then costs one copy of
    # the tensor it changes, not of all four (and undo history can share the arrays)
    if _frozen(a) and a.flags.c_contiguous:
        return a
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


def resize(a: np.ndarray, shape: tuple[int, ...], dtype: np.dtype, fill: float = 0.0):
    """``a`` cast to ``dtype`` and cut or padded with ``fill`` to ``shape``, keeping the overlap.

    A change between batched and unbatched adds or drops the leading batch axis (sample 0).
    """
    if a.ndim == len(shape) - 1:
        a = a[None]
    elif a.ndim == len(shape) + 1:
        # sample 0, or nothing at all when the batch was empty
        a = a[0] if a.shape[0] else a[:0].reshape(0, *a.shape[2:])
    if a.shape == tuple(shape) and a.dtype == dtype and _frozen(a):
        return a  # unchanged: shared, not copied
    out = np.full(shape, fill, dtype=dtype)
    overlap = tuple(slice(0, min(s, t)) for s, t in zip(a.shape, shape, strict=True))
    src = a[overlap]
    if np.iscomplexobj(src) and not np.iscomplexobj(out):
        src = src.real
    out[overlap] = src
    return out


def regroup_weight(weight: np.ndarray, groups: int) -> np.ndarray:
    """A Conv's weight (out, in/groups, *k) as a ConvTranspose's (in, out/groups, *k), or
    back (the same regrouping both ways; any number of kernel axes).

    Every value keeps its meaning: the tap linking input channel ``c`` to output channel
    ``o`` moves from ``[o, c % (in/groups)]`` to ``[c, o % (out/groups)]``.
    """
    rows, per_group, *kernel = weight.shape
    grouped = weight.reshape(groups, rows // groups, per_group, *kernel).swapaxes(1, 2)
    return grouped.reshape(groups * per_group, rows // groups, *kernel)


def kind_switch_note(old: Session, new: Session) -> str:
    """What switching between Conv and ConvTranspose kept and what it reset, in words
    (for the status bar): ``old`` and ``new`` differ in ``spec.transposed``."""
    said = [f"Switched to {layer_class(new.spec)}"]
    kept = [n for n in ("input", "bias") if getattr(new, n) is not None
            and getattr(old, n) is not None and getattr(old, n).shape == getattr(new, n).shape]
    if kept:
        said.append(f"{' and '.join(kept)} kept")
    old_w, new_w = old.spec.weight_shape, new.spec.weight_shape
    if old_w[:2] == (old.spec.groups, 1):  # one channel in and out per group: the identity
        said.append("weight kept (one input and one output channel per group)")
    elif old_w == new_w:  # the same shape, yet the channel axes swap: not a no-op
        said.append(f"weight regrouped in its shape {new_w} (each value still links the same "
                    "input and output channel)")
    else:
        said.append(f"weight regrouped {old_w} → {new_w} (each value still links the same "
                    "input and output channel)")
    old_out, new_out = old.spec.output_shape, new.spec.output_shape
    if old_out == new_out:
        said.append("grad_output kept")
    else:
        said.append(f"grad_output resized {old_out} → {new_out} (values kept where they "
                    "overlap, new cells 1)")
    if any(old.spec.output_padding) and not new.spec.transposed:
        said.append(f"output_padding {old.spec.output_padding} dropped: a "
                    f"{layer_class(new.spec)} has none")
    if old.spec.causal and not new.spec.causal:
        said.append(f"causal dropped: a {layer_class(new.spec)} has no causal form")
    return "; ".join(said)


def with_spatial_rank(a: np.ndarray, old_dims: int, new_dims: int) -> np.ndarray:
    """``a`` (spatial axes last, ``old_dims`` of them) with ``new_dims``: dropped leading
    spatial axes keep their index 0; added ones have length 1 (a 2D map is a 3D slab)."""
    if new_dims < old_dims:
        lead = a.ndim - old_dims
        return a[(slice(None),) * lead + (0,) * (old_dims - new_dims)]
    if new_dims > old_dims:
        lead = a.shape[: a.ndim - old_dims]
        return a.reshape(*lead, *(1,) * (new_dims - old_dims), *a.shape[len(lead):])
    return a


def random_normal(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Standard normal values rounded to 2 decimals (readable in a grid); complex: both parts."""
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return np.round(a, 2).astype(dtype)


@dataclass(frozen=True, eq=False)
class Session:
    """A whole document: the spec and the four editable tensors (read-only arrays)."""

    spec: LayerSpec
    input: np.ndarray
    weight: np.ndarray
    grad_output: np.ndarray
    bias: np.ndarray | None = None

    def __post_init__(self) -> None:
        dtype = np.dtype(self.spec.dtype)
        for name in EDITABLE:
            shape = self.spec.shape(name)
            a = getattr(self, name)
            if shape is None:
                if a is not None:
                    raise SpecError("bias is off in the spec but a bias tensor was given",
                                    ("bias",))
                continue
            if a is None:
                raise SpecError(f"{name} is missing; the spec needs shape {shape}", (name,),
                                expected=shape)
            a = np.asarray(a)
            if a.shape != shape:
                raise SpecError(f"{name} shape {a.shape} does not fit the spec's shape {shape}",
                                (name,), shape=a.shape, expected=shape)
            if a.dtype.kind not in "fc":
                raise SpecError(f"{name} dtype {a.dtype.name} is not a float or complex type",
                                (name,), dtype=a.dtype.name)
            object.__setattr__(self, name, _readonly(a.astype(dtype, copy=False)))

    @classmethod
    def default(cls, spec: LayerSpec, seed: int = 0) -> Session:
        """Random normal input, weight and bias; grad_output ones (the gradient of output.sum())."""
        rng = np.random.default_rng(seed)
        dtype = np.dtype(spec.dtype)
        return cls(
            spec=spec,
            input=random_normal(rng, spec.shape("input"), dtype),
            weight=random_normal(rng, spec.shape("weight"), dtype),
            bias=random_normal(rng, spec.shape("bias"), dtype) if spec.bias else None,
            grad_output=np.ones(spec.shape("grad_output"), dtype=dtype),
        )

    def tensor(self, name: str) -> np.ndarray | None:
        if name not in EDITABLE:
            raise ValueError(f"unknown tensor {name!r}; editable tensors are {', '.join(EDITABLE)}")
        return getattr(self, name)

    def tensors(self) -> dict[str, np.ndarray]:
        """The tensors that exist (bias only when the spec has one)."""
        return {n: a for n in EDITABLE if (a := getattr(self, n)) is not None}

    def with_tensor(self, name: str, value: np.ndarray) -> Session:
        """A copy with one tensor replaced (same shape required)."""
        self.tensor(name)
        return dataclasses.replace(self, **{name: value})

    def with_spec(self, spec: LayerSpec) -> Session:
        """A copy for a new spec, keeping values where old and new shapes overlap.

        New input/weight/bias cells are 0; new grad_output cells are 1, so that the default
        meaning (the gradient of ``output.sum()``) survives a change of output size. A switch
        between Conv and ConvTranspose regroups the weight (`regroup_weight`) first; another
        number of spatial axes keeps index 0 of dropped axes (`with_spatial_rank`).
        """
        dtype = np.dtype(spec.dtype)
        was, now = self.spec.dims, spec.dims
        weight = with_spatial_rank(self.weight, was, now)
        if spec.transposed != self.spec.transposed:  # another kind: the channels swap places
            weight = regroup_weight(weight, self.spec.groups)
        bias = None
        if spec.bias:
            old = self.bias if self.bias is not None else np.zeros(0, dtype=dtype)
            bias = resize(old, spec.shape("bias"), dtype)
        return Session(
            spec=spec,
            input=resize(with_spatial_rank(self.input, was, now), spec.shape("input"), dtype),
            weight=resize(weight, spec.shape("weight"), dtype),
            bias=bias,
            grad_output=resize(with_spatial_rank(self.grad_output, was, now),
                               spec.shape("grad_output"), dtype, fill=1.0),
        )


def compute_session(session: Session, backend: str = "numpy") -> ConvResults:
    """``core.compute`` on a session's spec and tensors."""
    return compute(
        session.spec, session.input, session.weight, session.bias, session.grad_output,
        backend=backend,
    )
