"""Import one ``.npy`` into an editable tensor, and propose the layer that would fit it.

The app's flow: ``imp = import_npy(path, "input", session)``; if ``imp.fits`` use
``imp.apply(session)``; else if ``imp.proposal`` ask "reshape the layer
(``describe_change(session.spec, imp.proposal)``)?" and on yes ``imp.apply(session)``;
else refuse with ``imp.problem``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..budget import ENV_VAR, check, format_bytes, limit
from ..session import EDITABLE, Session
from ..spec import LayerSpec, SpecError
from ..torch_layer import layer_class
from . import untrusted

_COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


class TensorFileError(ValueError):
    """A ``.npy`` file that cannot be imported; the message names the file and the reason."""


def _header(f: BinaryIO, path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from a ``.npy`` header, refusing what must not be read.

    Nothing past the header is read: the size the header promises is compared with the
    bytes the file holds and with the memory limit first, so that a 128-byte file claiming
    terabytes is refused by its figures instead of failing to allocate them.
    """
    if f.read(4) == b"PK\x03\x04":
        raise TensorFileError(f"cannot read {path}: a .npz archive, not a single .npy array")
    f.seek(0)
    try:
        shape, dtype = untrusted.npy_header(f)
    except (ValueError, EOFError, SyntaxError, TypeError) as e:
        raise TensorFileError(f"cannot read {path}: not a .npy array ({e})") from e
    if dtype.hasobject:
        raise TensorFileError(
            f"cannot read {path}: it holds pickled Python objects, which are never loaded"
        )
    if dtype.kind not in "fc":
        raise TensorFileError(
            f"cannot read {path}: dtype {dtype.name}; a float or complex array is needed"
        )
    needed, allowed = math.prod(shape) * dtype.itemsize, limit()
    if needed > allowed:
        raise TensorFileError(
            f"cannot read {path}: its header declares shape {tuple(shape)} of {dtype.name}, "
            f"{format_bytes(needed)}, over the memory limit of {format_bytes(allowed)} "
            f"(set {ENV_VAR} to change it)"
        )
    stored = os.fstat(f.fileno()).st_size - f.tell()
    if stored != needed:
        raise TensorFileError(
            f"cannot read {path}: its header declares shape {tuple(shape)} of {dtype.name} "
            f"({needed} bytes) but the file holds {stored} bytes of data; truncated or corrupt"
        )
    return tuple(shape), dtype


def read_npy(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one float or complex array from a ``.npy`` file, never unpickling anything.

    The header is checked before any data is read (see `_header`).

    Raises
    ------
    TensorFileError
        For a missing or unreadable file, pickled or object data, a ``.npz`` archive, a
        dtype that is not float or complex, a header that promises more bytes than the file
        holds, or an array over the memory limit (`core.budget.limit`).
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            _header(f, path)
            f.seek(0)
            return np.load(f, allow_pickle=False)
    except OSError as e:
        raise TensorFileError(f"cannot read {path}: {e.strerror or e}") from e
    except (ValueError, EOFError) as e:
        if isinstance(e, TensorFileError):
            raise
        raise TensorFileError(f"cannot read {path}: not a .npy array ({e})") from e
    except MemoryError as e:  # within the limit, yet more than this machine has free
        raise TensorFileError(f"cannot read {path}: not enough memory for its array") from e


def expected_shape(spec: LayerSpec, name: str) -> tuple[int, ...] | None:
    """The shape the spec gives tensor ``name`` (None for the bias of a layer without one)."""
    if name not in EDITABLE:
        raise ValueError(f"unknown tensor {name!r}; editable tensors are {', '.join(EDITABLE)}")
    return spec.shape(name)


def _dtype_for(spec: LayerSpec, array: np.ndarray) -> str:
    """The spec's dtype, made complex when the array is complex and the spec is not."""
    if array.dtype.kind == "c" and spec.dtype in _COMPLEX_OF:
        return _COMPLEX_OF[spec.dtype]
    return spec.dtype


def problem_with(spec: LayerSpec, name: str, array: np.ndarray) -> str | None:
    """Why ``array`` cannot be tensor ``name`` of this layer as it is, or None when it fits."""
    shape = expected_shape(spec, name)
    if shape is None:
        return f"the layer has no bias (bias=False); a bias of shape {array.shape} needs one"
    if array.shape != shape:
        return f"{name} of shape {array.shape} does not fit the layer, which needs {shape}"
    if _dtype_for(spec, array) != spec.dtype:
        return f"complex values do not fit a {spec.dtype} layer"
    return None


def _transposed_size_for(spec: LayerSpec, output_size: tuple[int, ...]) -> dict[str, Any]:
    """The input size (and output_padding, where the current one cannot reach it) of a
    transposed layer giving ``output_size``: out = (H − 1)·stride − pads + extent +
    output_padding per axis, so H follows from the output, and output_padding takes the
    remainder (always below the stride, so torch accepts it) only when the current one
    leaves one."""
    size, extra = [], []
    for i in range(spec.dims):
        pads = spec.pads[2 * i] + spec.pads[2 * i + 1]
        span = output_size[i] - spec.kernel_extent[i] + pads  # (H − 1)·stride + output_padding
        steps, rest = divmod(span - spec.output_padding[i], spec.stride[i])
        if rest:
            steps, rest = divmod(span, spec.stride[i])
        else:
            rest = spec.output_padding[i]
        size.append(steps + 1)
        extra.append(rest)
    return {"input_size": tuple(size), "output_padding": tuple(extra)}


def _input_size_for(spec: LayerSpec, output_size: tuple[int, ...]) -> tuple[int, ...]:
    """An input size giving ``output_size``: the current one where it does, else the nearest."""
    if spec.padding == "same":
        return output_size
    size = []
    for i in range(spec.dims):
        pads = spec.pads[2 * i] + spec.pads[2 * i + 1]
        smallest = (output_size[i] - 1) * spec.stride[i] + spec.kernel_extent[i] - pads
        largest = smallest + spec.stride[i] - 1
        size.append(min(max(spec.input_size[i], smallest), largest))
    return tuple(size)


def _changes(spec: LayerSpec, name: str, shape: tuple[int, ...]) -> dict[str, Any] | None:
    d = spec.dims  # the rank fixes the shape's meaning: another rank is another layer
    if name in ("input", "grad_output") and len(shape) in (d + 1, d + 2):
        batch, channels, size = shape[: len(shape) - d - 1], shape[-d - 1], shape[-d:]
        changes: dict[str, Any] = {"batch": batch[0] if batch else None}
        if name == "input":
            return changes | {"in_channels": channels, "input_size": tuple(size)}
        changes["out_channels"] = channels
        if spec.transposed:
            return changes | _transposed_size_for(spec, size)
        return changes | {"input_size": _input_size_for(spec, size)}
    if name == "weight" and len(shape) == d + 2:
        first, per_group, *kernel = shape
        if spec.transposed:  # (in, out/groups, *k)
            return {"in_channels": first, "out_channels": per_group * spec.groups,
                    "kernel_size": tuple(kernel)}
        return {"out_channels": first, "in_channels": per_group * spec.groups,
                "kernel_size": tuple(kernel)}
    if name == "bias" and len(shape) == 1:
        return {"out_channels": shape[0], "bias": True}
    return None


def _ranks(name: str, dims: int) -> tuple[int, ...]:
    """The numbers of dimensions ``name`` has in a layer with ``dims`` spatial axes."""
    return {"input": (dims + 1, dims + 2), "grad_output": (dims + 1, dims + 2),
            "weight": (dims + 2,), "bias": (1,)}[name]


def _rank_refusal(spec: LayerSpec, name: str, shape: tuple[int, ...]) -> str:
    expected = spec.shape(name) or (spec.out_channels,)
    n, said = len(shape), " or ".join(str(r) for r in _ranks(name, spec.dims))
    article = "an" if name[0] in "aeiou" else "a"
    dimensions = f"{n} dimension{'s' if n != 1 else ''}"
    text = (f"{article} {name} cannot have {dimensions} in a {layer_class(spec)} (its {name} "
            f"has {said}, now {expected})")
    # the rank another number of spatial axes takes: say which, so the user can switch
    others = [d for d in (1, 2, 3) if d != spec.dims and n in _ranks(name, d)]
    if others:
        kind = "ConvTranspose" if spec.transposed else "Conv"
        kinds = " or ".join(f"{kind}{d}d" for d in others)
        text += (f"; {dimensions} fit a {kinds}: switch the layer to "
                 f"{' or '.join(f'{d}D' for d in others)} first")
    return text


def fitting_spec(spec: LayerSpec, name: str, array: np.ndarray) -> LayerSpec:
    """The layer closest to ``spec`` whose tensor ``name`` has ``array``'s shape and kind.

    Only what the shape dictates changes, and never the number of spatial axes (an array
    of another rank is refused): for an input (N, C, *size), ``batch``,
    ``in_channels`` and ``input_size``; for a weight, ``out_channels``, ``in_channels`` and
    ``kernel_size`` (read as the layer's kind: a transposed layer's weight is (in,
    out/groups, *k)); for a bias, ``out_channels``; for a grad_output, ``batch``,
    ``out_channels`` and the nearest ``input_size`` giving that output size (a transposed
    layer's is exact, with the ``output_padding`` below the stride that reaches it when the
    current one cannot). A complex array also makes the dtype complex.

    Raises
    ------
    SpecError
        When no such layer exists, saying why (the rank is wrong, or the layer the shape
        asks for is invalid, e.g. channels not divisible by ``groups``); its fields are the
        tensor's name and those of the layer's refusal.
    """
    changes = _changes(spec, name, array.shape)
    if changes is None:
        raise SpecError(_rank_refusal(spec, name, array.shape), (name,), shape=array.shape,
                        dims=spec.dims)
    changes["dtype"] = _dtype_for(spec, array)
    try:
        fitted = spec.replace(**changes)
    except SpecError as e:
        raise SpecError(f"no layer fits {name} of shape {array.shape}: {e}",
                        (name, *e.fields), **(e.numbers | {"shape": array.shape})) from e
    if expected_shape(fitted, name) != array.shape:
        raise SpecError(
            f"no layer fits {name} of shape {array.shape}: with these hyperparameters the "
            f"closest is {expected_shape(fitted, name)}",
            (name,), shape=array.shape, closest=expected_shape(fitted, name),
        )
    return fitted


def describe_change(old: LayerSpec, new: LayerSpec) -> str:
    """The fields that differ, as ``"in_channels 3 → 5, input_size (16, 16) → (8, 8)"``."""
    before, after = old.to_dict(), new.to_dict()
    parts = []
    for key, value in after.items():
        if before[key] != value:
            show = [tuple(v) if isinstance(v, list) else v for v in (before[key], value)]
            parts.append(f"{key} {show[0]} → {show[1]}")
    return ", ".join(parts)


@dataclass(frozen=True)
class TensorImport:
    """An array read for tensor ``name``, and whether and how it fits the layer.

    Attributes
    ----------
    name : str
        One of ``input``, ``weight``, ``bias``, ``grad_output``.
    array : ndarray
        The values as read.
    problem : str or None
        Why it does not fit the current layer; None when it fits.
    proposal : LayerSpec or None
        When it does not fit: the closest layer it fits, if any (offer "reshape the layer").
    refusal : str or None
        When it does not fit and no layer can take it: the reason to show.
    """

    name: str
    array: np.ndarray
    problem: str | None
    proposal: LayerSpec | None
    refusal: str | None

    @property
    def fits(self) -> bool:
        return self.problem is None

    def apply(self, session: Session) -> Session:
        """``session`` with this tensor in place, reshaping the layer to `proposal` if needed.

        Raises
        ------
        SpecError
            When the tensor neither fits nor has a proposal (the message is `refusal`).
        """
        if self.fits:
            return session.with_tensor(self.name, self.array)
        if self.proposal is None:
            raise SpecError(str(self.refusal), (self.name,), shape=self.array.shape)
        return session.with_spec(self.proposal).with_tensor(self.name, self.array)


def import_npy(path: str | os.PathLike[str], name: str, session: Session) -> TensorImport:
    """Read ``path`` for tensor ``name`` of ``session`` and work out how it fits.

    Raises
    ------
    TensorFileError
        When the file cannot be read as one float or complex array (see `read_npy`).
    ValueError
        For an unknown tensor name.
    """
    expected_shape(session.spec, name)
    array = read_npy(path)
    problem = problem_with(session.spec, name, array)
    if problem is None:
        return TensorImport(name, array, None, None, None)
    try:
        proposal = fitting_spec(session.spec, name, array)
        check(proposal, what="the layer that fits it")
    except ValueError as e:  # BudgetError included: the layer it fits is too large
        return TensorImport(name, array, problem, None, f"{problem}; {e}")
    return TensorImport(name, array, problem, proposal, None)
