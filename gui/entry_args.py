"""The entry the command line's ``--select ENTRY --step K`` names, read and checked against
the layer: any tensor, any number of spatial axes (``output[0,1,2,0,3]`` for a Conv3d).
Qt-free; `gui.provenance` hands the names on to the app and the exporter."""

from __future__ import annotations

import re

from core.explain import SOURCES, TARGETS, explain_spec
from core.spec import LayerSpec

_ENTRY = re.compile(r"^\s*([a-z_]+)\s*\[\s*(-?\d+(?:\s*,\s*-?\d+)*)\s*,?\s*\]\s*$")


def parse_entry(text: str) -> tuple[str, tuple[int, ...]]:
    """'grad_weight[0,0,1,1]' → ('grad_weight', (0, 0, 1, 1)); ValueError when malformed."""
    m = _ENTRY.match(text)
    names = (*TARGETS, *SOURCES)
    if m is None or m.group(1) not in names:
        raise ValueError(f"cannot read {text!r}: write a tensor and an index, e.g. "
                         f"grad_weight[0,0,1,1] (tensors: {', '.join(names)})")
    return m.group(1), tuple(int(i) for i in m.group(2).split(","))


def checked_entry(text: str, step: int | None, spec: LayerSpec) -> tuple[str, tuple[int, ...]]:
    """The entry ``--select TEXT --step K`` names, checked against ``spec``; negative numbers
    count from the end. ValueError, with the shape or the number of terms, when it does not fit.
    """
    tensor, index = parse_entry(text)
    shape = spec.shape(tensor)
    if shape is None:
        raise ValueError(f"{tensor} does not exist: the layer has no bias")
    if len(index) != len(shape) or not all(-s <= i < s for i, s in zip(index, shape,
                                                                         strict=True)):
        raise ValueError(f"{tensor}{list(index)} is not an entry of {tensor}, whose shape is "
                         f"{tuple(shape)}")
    index = tuple(i % s for i, s in zip(index, shape, strict=True))
    if step is not None:
        if tensor not in TARGETS:
            raise ValueError(f"--step needs an entry of {', '.join(TARGETS)}, not {tensor}")
        n = len(explain_spec(spec, tensor, index))
        if n == 0:
            raise ValueError(f"--step {step} has nothing to show: {tensor}{list(index)} is a "
                             "sum of no terms (no window of this layer reaches it, or it reads "
                             "only zero padding)")
        if not 0 <= step < n:
            raise ValueError(f"--step {step} is out of range: {tensor}{list(index)} is a sum "
                             f"of {n} term{'s' if n != 1 else ''} (steps 0 to {n - 1})")
    return tensor, index
