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
from collections.abc import Collection, Sequence
from functools import lru_cache

import numpy as np

from . import compact
from .backends.numpy_taps import TAPWISE_MAX_OUT_PER_GROUP
from .spec import LayerSpec, SpecError
from .tensors import NAMES

DEFAULT_LIMIT = 4 * 2**30
ENV_VAR = "CONVVIZ_MEMORY_LIMIT"
_SUFFIXES = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
_limit_override: int | None = None


class BudgetError(SpecError):
    """A layer whose estimated memory exceeds the limit; carries both figures.

    ``fields`` are the size fields it concerns (`size_fields`: those lowering would shrink
    the layer), ``numbers`` the estimate and the limit.
    """

    def __init__(self, estimate: int, limit: int, what: str = "this layer",
                 fields: Sequence[str] = ()) -> None:
        super().__init__(
            f"{what} needs about {format_bytes(estimate)}, over the memory limit of "
            f"{format_bytes(limit)} (set {ENV_VAR} to change it)",
            fields, estimate=estimate, limit=limit,
        )
        self.estimate = estimate
        self.limit = limit


#: The fields a layer's memory grows with, in the order an editor shows them.
SIZE_FIELDS = ("batch", "in_channels", "out_channels", "kernel_size", "stride", "input_size")


def size_fields(spec: LayerSpec) -> tuple[str, ...]:
    """The `SIZE_FIELDS` of ``spec`` above their least value: lowering any shrinks the
    layer (the stride only for a transposed layer, whose output it widens)."""
    ones = (1,) * spec.dims
    above = {
        "batch": spec.batch is not None and spec.batch > 1,
        "in_channels": spec.in_channels > 1,
        "out_channels": spec.out_channels > 1,
        "kernel_size": spec.kernel_size != ones,
        "stride": spec.transposed and spec.stride != ones,
        "input_size": spec.input_size != ones,
    }
    return tuple(name for name in SIZE_FIELDS if above[name])


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
    if nbytes is not None and (isinstance(nbytes, bool) or not isinstance(nbytes, int)
                               or nbytes <= 0):
        raise ValueError(f"memory limit must be a positive int of bytes, got {nbytes!r}")
    _limit_override = nbytes


def tensor_elements(spec: LayerSpec) -> dict[str, int]:
    """Entries of each tensor of the layer (bias and grad_bias 0 without bias)."""
    shapes = {name: spec.shape(name) for name in NAMES}
    return {name: 0 if shape is None else math.prod(shape) for name, shape in shapes.items()}


RESULTS = ("output", "grad_input", "grad_weight")
OVERHEAD = 64 * 2**10  # the run's Python objects and index arrays


def estimate_bytes(spec: LayerSpec, outputs: Collection[str] | None = None) -> int:
    """Peak bytes a forward + backward of `spec` needs, from the spec alone.

    With ``outputs=None``: the layer's eight tensors plus `core.conv.compute`'s scratch
    (what the app holds and computes). With ``outputs``, a subset of `RESULTS`: only what a
    public function computing those allocates (the caller's arrays exist already), e.g.
    ``{"output"}`` for `core.conv.conv2d`.

    The scratch follows the numpy pipeline (`core.backends.numpy_fast`): a layer whose
    windows skip most of its padded input runs as its small equivalent (`core.compact`:
    the gathered input and its gradient);
    the batch runs in chunks of ``m`` samples on up to ``THREADS`` workers, each holding a
    chunk's padded input and/or its gradient (more copies under a non-zero padding mode)
    and one band of the im2col matrix, with the output and grad_output in its layout.
    """
    want = outputs if type(outputs) is frozenset else frozenset(RESULTS if outputs is None
                                                                  else outputs)
    if not want <= _RESULTS:
        unknown = want - _RESULTS
        raise ValueError(f"outputs must be among {', '.join(RESULTS)}, got {sorted(unknown)}")
    return _estimate(spec, want, outputs is None, _fast().tuning())


_RESULTS = frozenset(RESULTS)


def _fast():
    """`core.backends.numpy_fast`, for the pipeline's tuning (imported late: `core.conv`
    imports this module, and `import core.budget` alone stays light)."""
    global _FAST
    if _FAST is None:
        from .backends import numpy_fast

        _FAST = numpy_fast
    return _FAST


_FAST = None


@lru_cache(maxsize=256)
def _estimate(spec: LayerSpec, want: frozenset[str], everything: bool, tuning: tuple) -> int:
    """`estimate_bytes`, once per (spec, outputs, tuning): values, so a cache key."""
    if spec.transposed:
        return _estimate_transposed(spec, want, everything, tuning)
    itemsize = np.dtype(spec.dtype).itemsize
    sizes = tensor_elements(spec)
    if everything:
        total = sum(sizes.values())
    else:
        total = sum(sizes[name] for name in want)
    small = compact.small_spec(spec)
    if small is not None:
        n = spec.batch or 1
        # gather and scatter go one axis at a time: the result and the largest step before
        steps = compact.step_sizes(small.input_size, spec.input_size)
        cells = steps[-1] + max(steps[:-1], default=0)
        if want & {"output", "grad_weight"}:
            total += n * spec.in_channels * cells
        if "grad_input" in want:
            total += n * spec.in_channels * cells
        spec = small
    flat = _fast().as_2d(spec)  # the Conv2d numpy's fast path runs (`core.conv._run`)
    if flat is None:  # numpy's textbook pipeline, or the fast one in `numpy_volume`'s layout
        scratch = _textbook_elements(spec, want, tuning[0])
        volume = _fast().as_3d(spec)
        if volume is not None:
            from .backends import numpy_volume

            fast = numpy_volume.scratch_elements(volume, want, tuning)
            # the textbook's only where `numpy_volume.run` may redo a result by it
            unused = numpy_volume.computes_unused(volume, tuning)
            scratch = max(scratch, fast) if unused else fast
        return (total + scratch) * itemsize + OVERHEAD
    return (total + _scratch_elements(flat, want, itemsize, tuning)) * itemsize + OVERHEAD


def _textbook_elements(spec: LayerSpec, want: frozenset[str], chunk_bytes: int) -> int:
    """The scratch of `core.pipeline.run` on numpy, one chunk of ``m`` samples at a time:
    the padded chunk and/or its gradient (more copies under a non-zero padding mode), the
    im2col matrix (reused for its gradient), grad_output's conjugate and the grad_weight
    sums."""
    n = spec.batch or 1
    c, o = spec.in_channels, spec.out_channels
    taps, positions = math.prod(spec.kernel_size), math.prod(spec.output_size)
    per_sample = c * taps * positions * np.dtype(spec.dtype).itemsize
    m = min(n, max(1, chunk_bytes // max(per_sample, 1)))
    padded = math.prod(spec.padded_size) if any(spec.pads) or "grad_input" in want else 0
    copies = padded_copies(spec, want)  # (grad_input: fold's sum, even without padding)
    weight = math.prod(spec.weight_shape)
    per_weight = 3 * ("grad_weight" in want) + ("grad_input" in want)
    # fold's strided adds go through numpy's ufunc buffers, a few `np.getbufsize()` each
    buffers = 3 * np.getbufsize() if "grad_input" in want else 0
    return (m * (copies * c * padded + c * taps * positions + o * positions)
            + per_weight * weight + buffers)


def padded_copies(spec: LayerSpec, want: frozenset[str]) -> int:
    """Padded-sized arrays a chunk holds: the padded input (np.pad's copy and its crop
    under a non-zero mode) and/or its gradient (and pad_adjoint's copies per axis)."""
    other_mode = spec.padding_mode != "zeros" and any(spec.pads)
    copies = 0
    if want & {"output", "grad_weight"}:
        copies += 2 if other_mode else 1
    if "grad_input" in want:
        copies += 3 if other_mode else 1
    return copies


def _scratch_elements(spec: LayerSpec, want: frozenset[str], itemsize: int,
                      tuning: tuple) -> int:
    """Per worker: the padded chunk (and/or its gradient), one band, a grad_weight sum (the
    fast path of two spatial axes, `core.backends.numpy_fast`)."""
    chunk_bytes, threads, min_band, min_band_taps, wide_max_ratio = tuning
    n = spec.batch or 1
    c, o = spec.in_channels, spec.out_channels
    (hp, wp), (oh, ow) = spec.padded_size, spec.output_size
    kk = spec.kernel_size[0] * spec.kernel_size[1]
    width = -(-wp // spec.stride[1])  # a row of the wide layout
    wide = width <= wide_max_ratio * ow
    if not wide:
        width = ow
    per_sample = c * kk * oh * width * itemsize
    m = min(n, max(1, chunk_bytes // max(per_sample, 1)))
    workers = max(1, min(threads, -(-n // m)))
    rows = oh
    if wide and per_sample > chunk_bytes:  # one sample's matrix runs in bands
        least = min_band_taps if spec.in_per_group == 1 else min_band
        rows = min(oh, max(1, chunk_bytes // (c * kk * width * itemsize),
                           -(-least // width)))
        if workers == 1 and "grad_input" not in want:  # the workers share the bands
            workers = min(threads, -(-oh // rows))
    copies = padded_copies(spec, want)
    # Per band: the im2col matrix (or its gradient), and output-sized rows: the output,
    # grad_output spread to the band's layout, its conjugate (grad_weight), one tap's
    # products (grad_input of a depthwise-like layer).
    # (grad_input alone of a depthwise-like layer needs no matrix: `numpy_taps`)
    taps = wide and spec.in_per_group == 1 and spec.out_per_group <= TAPWISE_MAX_OUT_PER_GROUP
    matrix = bool(want & {"output", "grad_weight"}) or not taps
    outs = ("output" in want) + bool(want & {"grad_input", "grad_weight"})
    outs += ("grad_weight" in want) + ("grad_input" in want and taps)
    band = c * kk * matrix + o * outs
    weight = math.prod(spec.weight_shape)
    per_worker = weight * (("grad_weight" in want) + ("grad_input" in want))
    return workers * (m * (copies * c * hp * wp + rows * width * band) + per_worker) + weight


def check(
    spec: LayerSpec,
    limit_bytes: int | None = None,
    what: str = "this layer",
    outputs: Collection[str] | None = None,
) -> int:
    """Raise `BudgetError` (naming `size_fields`) when `spec` needs more than the limit;
    return the estimate.

    ``outputs`` as in `estimate_bytes`.
    """
    estimate = estimate_bytes(spec, outputs)
    allowed = limit() if limit_bytes is None else limit_bytes
    if estimate > allowed:
        raise BudgetError(estimate, allowed, what, size_fields(spec))
    return estimate


# A transposed layer runs as `LayerSpec.as_conv`'s pipeline with the roles swapped
# (`core.conv_transpose`): its output is the Conv's grad_input and the other way round.
_SWAPPED = {"output": "grad_input", "grad_input": "output", "grad_weight": "grad_weight"}


def _estimate_transposed(
    spec: LayerSpec, want: frozenset[str], everything: bool, tuning: tuple
) -> int:
    """The Conv's estimate plus what the swap adds: the conjugated weight (complex), the
    input widened by `LayerSpec.conv_extra` and grad_input cut from the wider result, the
    bias, its gradient and the output the bias is added to (`compute`)."""
    conv = spec.as_conv()
    total = _estimate(conv, frozenset(_SWAPPED[name] for name in want), everything, tuning)
    sizes = tensor_elements(spec)
    extra = 0
    if np.dtype(spec.dtype).kind == "c" and want & {"output", "grad_input"}:
        extra += sizes["weight"]
    if any(spec.conv_extra):
        if want & {"output", "grad_weight"}:
            extra += math.prod(conv.output_shape)
        if "grad_input" in want:
            extra += sizes["input"]
    if everything:
        extra += sizes["bias"] + sizes["grad_bias"] + (sizes["output"] if spec.bias else 0)
    return total + extra * np.dtype(spec.dtype).itemsize
