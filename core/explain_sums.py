"""What each sum of the convolution multiplies, and one term of it as plain numbers.

Each result (`TARGETS`) is a sum of terms: a term multiplies one value of each tensor in
`FACTORS` (autograd's complex gradients conjugate those in `CONJUGATED`), and an output's
bias term adds the bias. A term's place is the columns of its link (`core.explain_links`);
`index_columns` turns them into the index of each tensor it touches (an entry of a target is
laid out as its twin, `LAYOUT`), and `read_values` reads the factors there and multiplies
them. `Term` is one term as plain numbers; `core.explain_terms.Terms` holds many as columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .spec import LayerSpec, SpecError
from .tensors import EDITABLE, RESULTS, tensor

TARGETS = RESULTS
SOURCES = EDITABLE

# The tensor whose index layout (and link table) an entry of each target shares: its twin.
LAYOUT = {target: tensor(target).twin for target in TARGETS}
# The factors each target's terms multiply (bias is added, on its own term), and the
# conjugated ones (autograd's convention for complex gradients).
FACTORS = {
    "output": ("input", "weight"),
    "grad_input": ("weight", "grad_output"),
    "grad_weight": ("grad_output", "input"),
    "grad_bias": ("grad_output",),
}
CONJUGATED = {"output": (), "grad_input": ("weight",), "grad_weight": ("input",), "grad_bias": ()}

Scalar = float | complex


@dataclass(frozen=True)
class Term:
    """One term of a sum: what it reads, what it adds, and where to draw it.

    Attributes
    ----------
    target : str
        The tensor whose entry this term adds to.
    entry : tuple of int
        That entry's full index (2 + d numbers for an unbatched output or grad_input).
    reads : mapping str -> tuple of int
        Full index into each tensor the term reads (``input``, ``weight``, ``bias``,
        ``grad_output``), unbatched tensors without the sample.
    factors : mapping str -> scalar
        The value read from each tensor, before any conjugation; empty without tensors.
    value : scalar or None
        The contribution: the product of the factors, those in `conjugated` conjugated
        (the bias term: the bias). None when the terms were found without tensors.
    conjugated : tuple of str
        The factors that enter `value` conjugated: ``('weight',)`` for grad_input,
        ``('input',)`` for grad_weight.
    out : tuple of d ints
        The output position the term belongs to ((oi, oj) in 2D).
    tap : tuple of d ints, or None
        The kernel tap ((kh, kw) in 2D); None for the bias term and grad_bias terms.
    padded : tuple of d ints, or None
        The cell of the padded input the input read comes from (for grad_input: the cell
        the contribution lands on before the padding adjoint folds it onto `pixel`).
    pixel : tuple of d ints, or None
        The real input pixel that padded cell copies.

    For a transposed layer (`core.explain_transposed`) `padded` is the cell of the output
    before padding crops it that the term's kernel copy lands on (``out`` plus the padding
    before each axis), and `pixel` the input pixel that paints the copy.
    """

    target: str
    entry: tuple[int, ...]
    reads: Mapping[str, tuple[int, ...]]
    factors: Mapping[str, Scalar]
    value: Scalar | None
    conjugated: tuple[str, ...]
    out: tuple[int, ...]
    tap: tuple[int, ...] | None
    padded: tuple[int, ...] | None
    pixel: tuple[int, ...] | None


def index_columns(spec: LayerSpec, columns: Mapping[str, np.ndarray], name: str, *,
                  with_sample: bool = False) -> list[np.ndarray]:
    """Per axis of tensor ``name``, each term's index into it, from the link ``columns``:
    a weight's (out, in/groups, *k) or, transposed, (in, out/groups, *k); the sample left
    out of an unbatched layer unless ``with_sample``."""
    col = columns
    layout = LAYOUT.get(name, name)
    if layout == "weight" and spec.transposed:  # (in, out/groups, *k)
        return [col["c"], col["o"] % spec.out_per_group, *col["tap"]]
    if layout == "weight":
        return [col["o"], col["c"] % spec.in_per_group, *col["tap"]]
    if layout == "bias":
        return [col["o"]]
    if layout == "input":
        index = [col["n"], col["c"], *col["pixel"]]
    else:
        index = [col["n"], col["o"], *col["out"]]
    return index if with_sample or spec.batched else index[1:]


def read_values(
    target: str,
    spec: LayerSpec,
    columns: Mapping[str, np.ndarray],
    reading: Callable[[str], np.ndarray],
    tensors: Mapping[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], np.ndarray] | None:
    """The factors each term of ``target`` reads from ``tensors`` (the layer's; 0 where a
    term does not read one: ``reading(name)`` is False) and the terms' values; None when
    ``tensors`` holds none of them (geometry only).

    Raises
    ------
    SpecError
        When ``tensors`` holds some of the factors but not all.
    """
    needed = FACTORS[target]
    if target == "output" and spec.bias:
        needed = (*needed, "bias")
    missing = [name for name in needed if name not in tensors]
    if len(missing) == len(needed):
        return None  # geometry only
    if missing:
        raise SpecError(
            f"the values of {target} terms need {', '.join(needed)}; "
            f"missing: {', '.join(missing)}",
            missing,
        )
    factors = {}
    for name in needed:
        a = tensors[name]
        if name in ("input", "grad_output") and not spec.batched:
            a = a[None]
        index = index_columns(spec, columns, name, with_sample=True)
        mask = reading(name)
        if mask.all():
            factors[name] = a[tuple(index)]
        else:
            factors[name] = np.zeros(mask.size, dtype=a.dtype)
            factors[name][mask] = a[tuple(i[mask] for i in index)]
    parts = [
        np.conj(factors[n])
        if n in CONJUGATED[target] and np.iscomplexobj(factors[n])
        else factors[n]
        for n in FACTORS[target]
    ]
    with np.errstate(all="ignore"):  # 0·inf is nan, quietly, as in torch
        value = parts[0] * parts[1] if len(parts) == 2 else parts[0]
        if "bias" in factors:
            value = value + factors["bias"]
    return factors, value
