"""Cross-check: the same layer run by torch's own layer (``nn.Conv1d/2d/3d`` or
``nn.ConvTranspose1d/2d/3d``; a causal Conv1d after ``F.pad``) and autograd.

The app shows its own numbers (`core.conv.compute`) and, in the background, compares them
with what torch computes for the same spec and tensors. torch is imported lazily, inside
`torch_reference`, so ``import core.verify.crosscheck`` stays free of torch.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..conv import ConvResults
from ..spec import LayerSpec
from ..tensors import RESULTS
from ..torch_layer import causal_pad, layer_arguments, layer_class


@dataclass(frozen=True)
class CrossCheck:
    """How far our results are from torch's.

    Attributes
    ----------
    deltas : dict of str to float
        max |ours − torch| per result tensor (``grad_bias`` only when the layer has a bias)
        over the entries finite in both; inf where the two put nan, inf or −inf in
        different places (`_delta`).
    tolerances : dict of str to float
        The largest difference accepted per tensor: float rounding of the longest sum it holds.
    nonfinite : dict of str to int
        Entries that are nan or ±inf per tensor, in ours and torch's alike (an inf or nan
        typed into a tensor spreads through the sums in both).
    """

    deltas: dict[str, float]
    tolerances: dict[str, float]
    nonfinite: dict[str, int] = field(default_factory=dict)

    @property
    def max_abs_delta(self) -> float:
        return max(self.deltas.values(), default=0.0)

    @property
    def ok(self) -> bool:
        return all(self.deltas[k] <= self.tolerances[k] for k in self.deltas)

    @property
    def worst(self) -> str | None:
        """The tensor with the largest difference relative to its tolerance."""
        if not self.deltas:
            return None
        return max(self.deltas, key=lambda k: self.deltas[k] / max(self.tolerances[k], 1e-300))

    def summary(self) -> str:
        """One line for a status bar, e.g. ``matches torch, max |Δ| = 2.2e-16``."""
        count = sum(self.nonfinite.values())
        if self.ok:
            same = f" ({count:,} nan/inf entries where torch has them)" if count else ""
            return f"matches torch, max |Δ| = {self.max_abs_delta:.2g}{same}"
        worst = self.worst
        if math.isinf(self.deltas[worst]):
            return f"differs from torch: nan/inf in other places than torch's in {worst}"
        return f"differs from torch: max |Δ| = {self.deltas[worst]:.2g} in {worst}"


def torch_reference(
    spec: LayerSpec,
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    grad_output: np.ndarray,
    device: str = "cpu",
) -> dict[str, np.ndarray | None]:
    """Run torch's layer (``layer_class(spec)``: ``nn.Conv{d}d`` or ``nn.ConvTranspose{d}d``)
    forward and ``backward(grad_output)`` on copies of the tensors. A causal layer runs as
    its snippet does: ``conv(F.pad(x, ((k-1)*dilation, 0)))``, and grad_input is the
    gradient with respect to the unpadded ``x``.

    Returns
    -------
    dict with ``output``, ``grad_input``, ``grad_weight``, ``grad_bias`` (None without bias),
    as numpy arrays in the spec's dtype.
    """
    import torch

    # torch's own performance note on 'same' with an even kernel is no finding of the
    # check; on the app's stderr it read as one (a filter, not catch_warnings: this runs on
    # a worker thread, and catch_warnings swaps the process's filters)
    warnings.filterwarnings("ignore", message="Using padding='same' with even kernel",
                            category=UserWarning)
    dtype = getattr(torch, spec.dtype)
    layer = getattr(torch.nn, layer_class(spec))
    conv = layer(**layer_arguments(spec), dtype=dtype, device=device)
    with torch.no_grad():
        # torch.tensor copies: the app's arrays are read-only, which from_numpy warns about.
        conv.weight.copy_(torch.tensor(np.asarray(weight)))
        if spec.bias:
            conv.bias.copy_(torch.tensor(np.asarray(bias)))
    x = torch.tensor(np.asarray(input), device=device, requires_grad=True)
    pad = causal_pad(spec)
    y = conv(x if pad is None else torch.nn.functional.pad(x, pad))
    y.backward(torch.tensor(np.asarray(grad_output), device=device))

    def out(t):
        return None if t is None else t.detach().cpu().numpy()

    return {
        "output": out(y),
        "grad_input": out(x.grad),
        "grad_weight": out(conv.weight.grad),
        "grad_bias": out(conv.bias.grad) if spec.bias else None,
    }


def _reduction_lengths(spec: LayerSpec) -> dict[str, int]:
    """How many products each entry of each result sums (bounds its rounding error)."""
    n = 1 if spec.batch is None else max(spec.batch, 1)
    taps = math.prod(spec.kernel_size)
    positions = n * math.prod(spec.output_size)
    if spec.transposed:  # the output sums what the input pixels paint; grad_weight sums
        # over the input's pixels, grad_bias over the output's
        return {
            "output": spec.in_per_group * taps + 1,
            "grad_input": spec.out_per_group * taps,
            "grad_weight": n * math.prod(spec.input_size),
            "grad_bias": positions,
        }
    return {
        "output": spec.in_per_group * taps + 1,
        # padding adjoints pile up a few more: 2 per padded axis
        "grad_input": spec.out_per_group * taps * 2 ** spec.dims,
        "grad_weight": positions,
        "grad_bias": positions,
    }


def crosscheck(
    spec: LayerSpec,
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    grad_output: np.ndarray,
    results: ConvResults,
) -> CrossCheck:
    """Compare ``results`` (ours) with torch's own layer + autograd on the same tensors."""
    ref = torch_reference(spec, input, weight, bias, grad_output)
    eps = float(np.finfo(np.dtype(spec.dtype)).eps)
    lengths = _reduction_lengths(spec)
    deltas: dict[str, float] = {}
    tolerances: dict[str, float] = {}
    nonfinite: dict[str, int] = {}
    for name in RESULTS:
        theirs = ref[name]
        ours = getattr(results, name)
        if theirs is None or ours is None:
            continue
        if ours.shape != theirs.shape:
            raise ValueError(f"{name}: our shape {ours.shape} differs from torch's {theirs.shape}")
        finite = np.isfinite(theirs)
        deltas[name] = _delta(ours, theirs, finite)
        nonfinite[name] = int(finite.size - np.count_nonzero(finite))
        scale = 1.0 + float(np.max(np.abs(theirs[finite]), initial=0.0))
        tolerances[name] = 8.0 * eps * lengths[name] * scale
    return CrossCheck(deltas=deltas, tolerances=tolerances, nonfinite=nonfinite)


def _delta(ours: np.ndarray, theirs: np.ndarray, finite: np.ndarray) -> float:
    """max |ours − theirs| over the entries where torch's are finite (0 for none), or inf
    where the two differ in which entries are nan, +inf or −inf: inf − inf is nan, so
    those are compared by place and sign, not subtracted. A complex entry only by place:
    which of its parts ends up nan and which ±inf depends on the order of the operations
    (torch's ConvTranspose1d gives nan+nanj where the textbook sum gives −inf+nanj)."""
    if not np.array_equal(np.isfinite(ours), finite):
        return math.inf
    if not np.iscomplexobj(theirs):
        inf = np.isinf(theirs)
        if not (np.array_equal(np.isinf(ours), inf) and np.array_equal(ours[inf], theirs[inf])):
            return math.inf
    if not finite.any():
        return 0.0
    return float(np.max(np.abs(ours[finite] - theirs[finite])))
