"""The memory a layer needs, estimated from its spec alone, and the one limit that refuses it.

Every path that would allocate a layer's tensors — the public functions, `compute`, the app's
layer changes, file loads, pastes and imports — asks `check` first, so a size that cannot fit
is refused with its figures before anything is allocated.

The limit is `DEFAULT_LIMIT` unless the environment variable ``CONVVIZ_MEMORY_LIMIT`` (bytes,
or a number with a K/M/G/T suffix) or `set_limit` says otherwise.
"""

from __future__ import annotations

import math
import os

import numpy as np

from .spec import LayerSpec

DEFAULT_LIMIT = 4 * 2**30
ENV_VAR = "CONVVIZ_MEMORY_LIMIT"
_SUFFIXES = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
_limit_override: int | None = None


class BudgetError(ValueError):
    """A layer whose estimated memory exceeds the limit; carries both figures."""

    def __init__(self, estimate: int, limit: int, what: str = "this layer") -> None:
        self.estimate = estimate
        self.limit = limit
        super().__init__(
            f"{what} needs about {format_bytes(estimate)}, over the memory limit of "
            f"{format_bytes(limit)} (set {ENV_VAR} to change it)"
        )


def format_bytes(n: int) -> str:
    """``1536`` → ``'1.5 KiB'``; for messages."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024 or unit == "PiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def parse_bytes(text: str) -> int:
    """``'512M'`` → 536870912; raises ValueError naming the text."""
    raw = text.strip().upper().removesuffix("IB").removesuffix("B")
    suffix = raw[-1:] if raw[-1:] in _SUFFIXES and raw[-1:] else ""
    number = raw[: len(raw) - len(suffix)]
    try:
        value = float(number) * _SUFFIXES[suffix]
    except ValueError:
        raise ValueError(
            f"{ENV_VAR} must be a number of bytes like 2G or 512M, got {text!r}"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{ENV_VAR} must be a positive number of bytes, got {text!r}")
    return int(value)


def limit() -> int:
    """The limit in force: `set_limit`'s, else the environment's, else `DEFAULT_LIMIT`."""
    if _limit_override is not None:
        return _limit_override
    text = os.environ.get(ENV_VAR)
    return parse_bytes(text) if text else DEFAULT_LIMIT


def set_limit(nbytes: int | None) -> None:
    """Set the limit for this process; ``None`` goes back to the environment or the default."""
    global _limit_override
    if nbytes is not None and (not isinstance(nbytes, int) or nbytes <= 0):
        raise ValueError(f"memory limit must be a positive int of bytes, got {nbytes!r}")
    _limit_override = nbytes


def tensor_elements(spec: LayerSpec) -> dict[str, int]:
    """Entries of each tensor of the layer (bias and grad_bias 0 without bias)."""
    bias = spec.out_channels if spec.bias else 0
    sizes = {
        "input": math.prod(spec.input_shape),
        "weight": math.prod(spec.weight_shape),
        "bias": bias,
        "grad_output": math.prod(spec.output_shape),
    }
    sizes["output"] = sizes["grad_output"]
    sizes["grad_input"] = sizes["input"]
    sizes["grad_weight"] = sizes["weight"]
    sizes["grad_bias"] = bias
    return sizes


def estimate_bytes(spec: LayerSpec) -> int:
    """Peak bytes one forward + backward of `spec` needs: its eight tensors plus the pipeline's
    scratch (padded input and its gradient, the im2col matrices of the chunks in flight)."""
    from . import conv  # the pipeline's tuning constants; conv imports this module

    itemsize = np.dtype(spec.dtype).itemsize
    tensors = sum(tensor_elements(spec).values())
    n = spec.batch or 1
    (hp, wp), (ho, wo) = spec.padded_size, spec.output_size
    padded = 2 * n * spec.in_channels * hp * wp
    cols = n * ho * wo * spec.in_channels * spec.kernel_size[0] * spec.kernel_size[1]
    in_flight = 2 * conv.THREADS * max(conv.CHUNK_BYTES // itemsize, 1)
    scratch = padded + 2 * min(cols, in_flight)
    return (tensors + scratch) * itemsize


def check(spec: LayerSpec, limit_bytes: int | None = None, what: str = "this layer") -> int:
    """Raise `BudgetError` when `spec` needs more than the limit; return the estimate."""
    estimate = estimate_bytes(spec)
    allowed = limit() if limit_bytes is None else limit_bytes
    if estimate > allowed:
        raise BudgetError(estimate, allowed, what)
    return estimate
