"""The Conv2d and the ConvTranspose2d that are each other's backward pass (and likewise the
Conv1d / Conv3d and their transposed forms: everything here is per spatial axis).

A ConvTranspose2d's forward pass *is* a Conv2d's input gradient: for a transposed layer
(in → out channels, weight (in, out/groups, kH, kW)) with input x, the ``nn.Conv2d(out, in,
...)`` with the same stride, padding, dilation, groups and the same weight array (read as
Conv2d's (out', in'/groups, kH, kW)), on an input as large as the transposed output and run
backward with ``grad_output = x``, has ``grad_input`` equal to the transposed output minus
its bias (for complex numbers the twin holds the conjugate weight: autograd's convention,
``grad_input = conv_transpose2d(grad_output, conj(W))``). And the other way round: a
Conv2d's grad_input is the forward pass of the ConvTranspose2d whose input is that
grad_output, with the output_padding that gives back the Conv2d's input size. `twin` builds
the other layer; `compare_with_twin` computes it and puts the two arrays side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .conv import ConvResults, compute
from .session import Session
from .spec import AXES, LayerSpec


@dataclass(frozen=True)
class TwinComparison:
    """One result of a layer beside the equal result of its twin.

    ours, theirs : the names (``output`` or ``grad_input``) of the compared results.
    ours_values : this layer's result (a transposed output without its bias).
    theirs_values : the twin's result, computed by `core.compute` on `twin_session`.
    twin_session : the other layer, with the tensors it reads.
    """

    ours: str
    theirs: str
    ours_values: np.ndarray
    theirs_values: np.ndarray
    twin_session: Session
    bias_removed: bool

    @property
    def max_abs_delta(self) -> float:
        diff = np.abs(self.ours_values - self.theirs_values)
        return float(diff.max(initial=0.0))


def twin(session: Session) -> Session:
    """The other kind of layer whose forward/backward pass equals this one's backward/forward.

    For a ConvTranspose2d: the Conv2d whose grad_input equals this output (its grad_output is
    this input, its own input zeros: grad_input never reads it). For a Conv2d: the
    ConvTranspose2d whose output equals this grad_input (its input is this grad_output, its
    grad_output ones). Both without bias, with the same weight array (conjugated for complex
    dtypes).

    Raises
    ------
    ValueError
        When there is no such layer: a padding_mode other than 'zeros', padding 'same' that
        pads unevenly (an even kernel), or an output_padding as large as the stride (allowed
        below the dilation) that no Conv2d's output size gives back.
    """
    spec = session.spec
    if spec.padding_mode != "zeros":
        raise ValueError(
            f"padding_mode {spec.padding_mode!r} has no transposed twin: a "
            f"ConvTranspose{spec.dims}d pads with zeros only"
        )
    before, after = spec.pads[::2], spec.pads[1::2]
    if before != after:
        what = _uneven(spec)
        raise ValueError(
            f"padding {spec.padding!r} pads unevenly ({what}): a "
            f"ConvTranspose{spec.dims}d crops the same amount from both sides"
        )
    dtype = np.dtype(spec.dtype)
    weight = np.conj(session.weight) if dtype.kind == "c" else session.weight
    if spec.transposed:
        other = spec.as_conv()
        if any(spec.conv_extra):
            raise ValueError(
                f"output_padding {spec.output_padding} is not smaller than the stride "
                f"{spec.stride}: the Conv{spec.dims}d on a {spec.output_size} input gives "
                f"{other.output_size}, not this input's {spec.input_size}"
            )
        return Session(spec=other, input=np.zeros(other.input_shape, dtype), weight=weight,
                       grad_output=session.input)
    output_padding = tuple(
        (size + 2 * pad - d * (k - 1) - 1) % s
        for size, pad, d, k, s in zip(spec.input_size, before, spec.dilation,
                                      spec.kernel_size, spec.stride, strict=True)
    )
    other = LayerSpec(in_channels=spec.out_channels, out_channels=spec.in_channels,
                      kernel_size=spec.kernel_size, stride=spec.stride, padding=before,
                      dilation=spec.dilation, groups=spec.groups, bias=False,
                      input_size=spec.output_size, batch=spec.batch, dtype=spec.dtype,
                      transposed=True, output_padding=output_padding, dims=spec.dims)
    return Session(spec=other, input=session.grad_output, weight=weight,
                   grad_output=np.ones(other.output_shape, dtype))


def _uneven(spec: LayerSpec) -> str:
    """'1/2 rows, 0/0 columns' (2D), or per axis by name ('length 4/0' for a causal Conv1d)."""
    pairs = list(zip(spec.pads[::2], spec.pads[1::2], strict=True))
    if spec.dims == 2:
        (top, bottom), (left, right) = pairs
        return f"{top}/{bottom} rows, {left}/{right} columns"
    return ", ".join(f"{name} {a}/{b}" for name, (a, b) in zip(AXES[spec.dims], pairs,
                                                              strict=True))


def compare_with_twin(session: Session, results: ConvResults) -> TwinComparison:
    """This layer's output (transposed) or grad_input (Conv2d) beside its twin's equal
    result, computed by `core.compute` on `twin` (see there for the ValueError)."""
    other = twin(session)
    theirs = compute(other.spec, other.input, other.weight, other.bias, other.grad_output)
    if session.spec.transposed:
        ours = np.asarray(results.output)
        removed = session.bias is not None
        if removed:  # the bias is added after the painting; the Conv2d has none
            ours = ours - session.bias.reshape(-1, *(1,) * session.spec.dims)
        return TwinComparison("output", "grad_input", ours, theirs.grad_input, other, removed)
    return TwinComparison("grad_input", "output", np.asarray(results.grad_input),
                          theirs.output, other, False)
