"""Layers from checkpoints: list a file's convolution weights and import one into the session.

The file is read by `core.io.checkpoint_formats` (``.pt``/``.pth`` with
``torch.load(weights_only=True)`` only, or ``.safetensors`` without torch). Then
``conv_weights(ckpt)`` lists the 3-D to 5-D float tensors (Conv1d/2d/3d weights: the
rank gives the spatial axes) with their ``….bias``, and ``session_with_layer(session, ckpt,
key, groups, transposed)`` sets axes, channels, kernel size, groups and the tensors. Stride,
padding and dilation are not in a state_dict: the session's stay. Nor is the layer's class:
a Conv2d's weight is (out, in/groups, kH, kW), a ConvTranspose2d's (in, out/groups, kH, kW),
so the caller says which (the session's kind by default) and `describe_layer` names it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .. import budget
from ..session import Session
from ..spec_args import AXES
from ..spec_dims import spec_with_dims
from ..torch_layer import kind_name, layer_class
from .checkpoint_formats import Checkpoint, CheckpointError, Entry

NOT_IN_STATE_DICT = ("stride, padding, output_padding, dilation and padding_mode are not "
                     "stored in a state_dict: the layer keeps its own; set them to the "
                     "model's")
#: The ranks a convolution's weight has: 2 + its spatial axes (Conv1d's 3 … Conv3d's 5).
WEIGHT_RANKS = tuple(d + 2 for d in AXES)


def weight_layout(transposed: bool, dims: int = 2) -> str:
    """A weight's axes, e.g. 'out_channels, in_channels/groups, kH, kW' (Conv2d); what a
    "read as" choice shows beside `core.torch_layer.kinds(dims)`."""
    kernel = ", ".join(f"k{a[0].upper()}" for a in AXES[dims])
    if transposed:
        return f"in_channels, out_channels/groups, {kernel}"
    return f"out_channels, in_channels/groups, {kernel}"


@dataclass(frozen=True)
class ConvWeight:
    """A tensor that can be a Conv or ConvTranspose weight (3-D to 5-D: `dims` spatial axes),
    and its ``….bias`` (a 1-D float tensor; None when the file has none). Which of its
    lengths fits depends on the kind the weight is read as (`channels`)."""

    key: str
    shape: tuple[int, ...]
    bias_key: str | None
    bias_shape: tuple[int, ...] | None = None

    @property
    def dims(self) -> int:
        """The layer's spatial axes: the weight is (channels, channels, *kernel)."""
        return len(self.shape) - 2

    def label(self) -> str:
        bias = f", bias {self.bias_key} {self.bias_shape}" if self.bias_key else ", no bias"
        return f"{self.key} {self.shape}{bias}"

    def channels(self, transposed: bool, groups: int) -> tuple[int, int]:
        """(in_channels, out_channels) of the layer this weight makes, read as ``transposed``
        (ConvTranspose) or not (Conv), with ``groups``."""
        first, per_group = self.shape[:2]
        return (first, per_group * groups) if transposed else (per_group * groups, first)


def conv_weights(ckpt: Checkpoint) -> list[ConvWeight]:
    """Every 3-D, 4-D or 5-D float tensor with no zero dimension (a Conv1d, Conv2d or Conv3d
    weight, or a transposed one's), and its ``….bias`` (1-D float).

    Raises
    ------
    CheckpointError
        When there is none, saying which ranks the file does hold.
    """
    found = []
    for e in ckpt.entries:
        if len(e.shape) in WEIGHT_RANKS and e.is_float and 0 not in e.shape:
            bias_key = e.key[: -len("weight")] + "bias" if e.key.endswith("weight") else None
            bias = ckpt.get(bias_key) if bias_key else None
            ok = bias is not None and len(bias.shape) == 1 and bias.is_float
            found.append(ConvWeight(e.key, e.shape, bias_key if ok else None,
                                    bias.shape if ok else None))
    if not found:
        ranks = Counter(len(e.shape) for e in ckpt.entries)
        held = ", ".join(f"{n} of rank {r}" for r, n in sorted(ranks.items())) or "no tensors"
        raise CheckpointError(
            f"{ckpt.path.name} has no tensor that can be a Conv2d weight (4-D: "
            f"{weight_layout(False)}) or a ConvTranspose2d weight ({weight_layout(True)}), nor "
            "a 3-D one (Conv1d, "
            f"ConvTranspose1d) or a 5-D one (Conv3d, ConvTranspose3d); it holds {held}")
    return found


def group_choices(shape: tuple[int, ...]) -> list[int]:
    """The groups a weight allows: every divisor g of its first axis (a Conv's
    out_channels, a ConvTranspose's in_channels; the other count is g × the second axis).
    The shape alone cannot tell which one the model used; 1 is torch's default."""
    o = shape[0]
    return [g for g in range(1, o + 1) if o % g == 0]


def weight_problem(entry: Entry) -> str | None:
    """Why ``entry`` cannot be a convolution's weight, or None."""
    if len(entry.shape) not in WEIGHT_RANKS:
        return (f"tensor {entry.key!r} has shape {entry.shape}: a Conv2d weight is 4-D "
                f"({weight_layout(False)}), and so is a ConvTranspose2d's "
                f"({weight_layout(True)}); a Conv1d's or ConvTranspose1d's is 3-D, a Conv3d's "
                "or ConvTranspose3d's 5-D")
    if 0 in entry.shape:
        return f"tensor {entry.key!r} has shape {entry.shape}, with a zero dimension"
    if not entry.is_float:
        return (f"tensor {entry.key!r} has dtype {entry.dtype}; a convolution's weight is a "
                "float tensor")
    return None


def session_with_layer(session: Session, ckpt: Checkpoint, key: str, groups: int = 1,
                       transposed: bool | None = None) -> Session:
    """``session`` with the layer of weight ``key`` read as a ConvTranspose's (``transposed``)
    or a Conv's; None: as the session's own kind. The spatial axes (the weight's rank − 2:
    Conv1d, 2d or 3d), in/out channels, kernel size and ``groups`` come from its shape, then
    the weight and the bias (``bias=False`` without one). Another number of axes than the
    session's changes the per-axis fields as `core.spec_dims.spec_with_dims` does.
    Stride, padding, dilation, padding_mode, batch, input size and dtype are the session's,
    and output_padding when it stays transposed (a Conv2d has none: `kind_note` says so); the
    input keeps its values where the shapes overlap.

    Raises
    ------
    CheckpointError
        When ``key`` is missing or cannot be a weight, ``groups`` does not divide its first
        axis, the bias's length is not the out_channels of the kind asked for, or the layer
        with these hyperparameters is invalid or over budget.
    """
    weights = conv_weights(ckpt)  # first: a file with none says so, whatever the key
    entry = ckpt.entry(key)
    problem = weight_problem(entry)
    if problem:
        raise CheckpointError(problem)
    if transposed is None:
        transposed = session.spec.transposed
    dims = len(entry.shape) - 2
    kind = kind_name(transposed, dims)
    if groups not in group_choices(entry.shape):
        axis = "in_channels" if transposed else "out_channels"
        raise CheckpointError(f"groups {groups} does not divide {axis} {entry.shape[0]} of "
                              f"{key!r} read as {kind}")
    match = next(c for c in weights if c.key == entry.key)  # (as listed: `Checkpoint.entry`)
    in_channels, out_channels = match.channels(transposed, groups)
    if match.bias_key is not None and match.bias_shape != (out_channels,):
        raise CheckpointError(_bias_problem(match, transposed, groups))
    changes = dict(in_channels=in_channels, out_channels=out_channels,
                   kernel_size=entry.shape[2:], groups=groups,
                   bias=match.bias_key is not None, transposed=transposed)
    if not transposed:
        changes["output_padding"] = 0
    else:  # a transposed layer is never causal (`kind_note` says so)
        changes["causal"] = False
    try:
        spec = spec_with_dims(session.spec, dims).replace(**changes)
        budget.check(spec, what=f"the layer of {key!r}")
    except ValueError as e:
        raise CheckpointError(f"the layer of {key!r} {entry.shape} read as {kind} does not fit "
                              f"this session: {e}") from None
    new = session.with_spec(spec).with_tensor("weight", ckpt.array(key))
    if match.bias_key is not None:
        new = new.with_tensor("bias", ckpt.array(match.bias_key))
    return new


def _bias_problem(weight: ConvWeight, transposed: bool, groups: int) -> str:
    """Why ``weight``'s bias cannot be the layer's, and the reading it would fit if any."""
    (n,) = weight.bias_shape or (0,)
    out = weight.channels(transposed, groups)[1]
    said = (f"bias {weight.bias_key!r} has {n} values but {weight.key!r} {weight.shape} read "
            f"as {kind_name(transposed, weight.dims)} with groups {groups} has out_channels "
            f"{out}")
    fits = [f"{kind_name(t, weight.dims)} with groups {g}" for t in (False, True)
            for g in group_choices(weight.shape) if weight.channels(t, g)[1] == n]
    if fits:
        return f"{said}; the bias fits it read as {' or '.join(fits)}"
    return f"{said}, and no reading of it fits the bias"


def kind_note(before: Session, after: Session) -> str:
    """What an import changed of the layer's kind, for the message ('' when it stayed)."""
    old, new = before.spec, after.spec
    if (old.transposed, old.dims) == (new.transposed, new.dims):
        return ""
    note = f"the layer is now a {layer_class(new)} (was {layer_class(old)})"
    if old.transposed and not new.transposed and any(old.output_padding):
        note += f"; output_padding {old.output_padding} dropped: a {layer_class(new)} has none"
    if old.causal and not new.causal:
        note += f"; no longer causal: a {layer_class(new)} has no causal form"
    return note


def describe_layer(ckpt: Checkpoint, key: str, groups: int, transposed: bool = False,
                   dtype: str | None = None) -> str:
    """'features.0.weight (64, 3, 7, 7) with bias from resnet.pt, read as Conv2d (out_channels,
    in_channels/groups, kH, kW), groups 1' for messages; with the session's ``dtype``, how
    the file's values were converted when it is another ('its float16 values as float64')."""
    entry = ckpt.entry(key)
    match = next((c for c in conv_weights(ckpt) if c.key == entry.key), None)
    bias = " with bias" if match and match.bias_key else " without bias"
    shape = entry.shape
    dims = len(shape) - 2 if len(shape) in WEIGHT_RANKS else 2
    held = entry.torch_dtype
    converted = f", its {held} values as {dtype}" if dtype and held != dtype else ""
    return (f"{key} {shape}{bias} from {ckpt.path.name}, read as "
            f"{kind_name(transposed, dims)} ({weight_layout(transposed, dims)}), groups {groups}"
            f"{converted}")
