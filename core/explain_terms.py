"""`Term` and `Terms`: the terms of one sum, as columns, with a `Term` made only on request.

`core.explain` finds the terms; this module holds them. Each row of a `Terms` is one link
of the convolution (see `core.explain_links`) seen from its `target`: the factors it reads,
the value it adds, and where it sits (output position, kernel tap, padded cell, pixel).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import explain_links as links
from .spec import LayerSpec

TARGETS = ("output", "grad_input", "grad_weight", "grad_bias")
SOURCES = ("input", "weight", "bias", "grad_output")

# The tensor whose index layout (and link table) an entry of each target shares.
LAYOUT = {
    "output": "grad_output",
    "grad_input": "input",
    "grad_weight": "weight",
    "grad_bias": "bias",
}
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
        That entry's full index (3 numbers for an unbatched output or grad_input).
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
    out : (oi, oj)
        The output position the term belongs to.
    tap : (kh, kw) or None
        The kernel tap; None for the bias term and grad_bias terms.
    padded : (ph, pw) or None
        The cell of the padded input the input read comes from (for grad_input: the cell
        the contribution lands on before the padding adjoint folds it onto `pixel`).
    pixel : (h, w) or None
        The real input pixel that padded cell copies.

    For a transposed layer (`core.explain_transposed`) `padded` is the cell of the output
    before padding crops it that the term's kernel copy lands on (``out`` plus the top and
    left padding), and `pixel` the input pixel that paints the copy.
    """

    target: str
    entry: tuple[int, ...]
    reads: Mapping[str, tuple[int, ...]]
    factors: Mapping[str, Scalar]
    value: Scalar | None
    conjugated: tuple[str, ...]
    out: tuple[int, int]
    tap: tuple[int, int] | None
    padded: tuple[int, int] | None
    pixel: tuple[int, int] | None


class Terms(Sequence[Term]):
    """The terms of one sum (or of one reverse look-up), in animation order, as columns.

    Attributes
    ----------
    target : str
        The tensor the terms add to.
    spec : LayerSpec
    entry : tuple of int or None
        The explained entry's full index; None for a reverse look-up, whose terms add to
        several entries (see `entries`).
    n, o, c, oi, oj, kh, kw, ph, pw, h, w : ndarray of int64, shape (T,)
        Per term: sample, output channel, input channel (absolute), output position, kernel
        tap, padded input cell, real input pixel. -1 where it does not apply (the bias term
        has no c, tap or cell; n is 0 for an unbatched layer).
    value : ndarray, shape (T,), or None
        Each term's contribution; None when found without tensors.
    factors : mapping str -> ndarray, shape (T,)
        The raw value each term reads from each tensor (0 where a term does not read it).
    conjugated : tuple of str
        The factors conjugated in `value`.
    """

    n: np.ndarray
    o: np.ndarray
    c: np.ndarray
    oi: np.ndarray
    oj: np.ndarray
    kh: np.ndarray
    kw: np.ndarray
    ph: np.ndarray
    pw: np.ndarray
    h: np.ndarray
    w: np.ndarray

    def __init__(
        self,
        target: str,
        spec: LayerSpec,
        columns: Mapping[str, np.ndarray],
        factors: Mapping[str, np.ndarray],
        value: np.ndarray | None,
        entry: tuple[int, ...] | None = None,
    ) -> None:
        self.target, self.spec, self.entry = target, spec, entry
        self.conjugated = CONJUGATED[target]
        self._columns = {name: columns[name] for name in links.COLUMNS}
        for a in (*self._columns.values(), *factors.values(), value):
            if a is not None:
                a.flags.writeable = False
        for name, a in self._columns.items():
            setattr(self, name, a)
        self.factors = dict(factors)
        self.value = value

    # -- sequence ------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._columns["o"].size

    def __getitem__(self, i: Any) -> Any:
        """A `Term` for an integer; `Terms` for a slice, a boolean mask or integer array."""
        if isinstance(i, np.ndarray) and i.dtype == bool and i.shape != (len(self),):
            raise IndexError(f"a mask of shape {i.shape} does not fit {len(self)} terms")
        if isinstance(i, (slice, np.ndarray)):
            return Terms(
                self.target,
                self.spec,
                {k: a[i] for k, a in self._columns.items()},
                {k: a[i] for k, a in self.factors.items()},
                None if self.value is None else self.value[i],
                self.entry,
            )
        i = operator.index(i)
        if not -len(self) <= i < len(self):
            raise IndexError(f"term {i} is out of range for {len(self)} terms")
        return self._term(i % len(self))

    def __iter__(self) -> Iterator[Term]:
        for i in range(len(self)):
            yield self._term(i)

    def __repr__(self) -> str:
        what = self.target if self.entry is None else f"{self.target}{list(self.entry)}"
        total = "" if self.value is None else f", sum {self.sum().item()!r}"
        return f"<Terms of {what}: {len(self)} terms{total}>"

    # -- arrays --------------------------------------------------------------------------
    def sum(self) -> Any:
        """The terms' sum: the explained entry's value (0 for no terms)."""
        if self.value is None:
            raise ValueError("these terms were found without tensors and have no values")
        with np.errstate(all="ignore"):  # inf - inf is nan, quietly, as in torch
            return self.value.sum()

    def reading(self, name: str) -> np.ndarray:
        """Mask of the terms that read tensor ``name`` (one of `SOURCES`), shape (T,)."""
        if name not in SOURCES:
            raise ValueError(f"tensor must be one of {', '.join(SOURCES)}, got {name!r}")
        if self.target == "output":
            bias = self.kh < 0
            if name in ("input", "weight"):
                return ~bias
            if name == "bias":
                return bias
        return np.full(len(self), name in FACTORS[self.target])

    def indices(self, name: str) -> np.ndarray:
        """Full index into ``name`` of each term that reads it: shape (k, ndim), term order."""
        mask = self.reading(name)
        return np.stack([c[mask] for c in self._index_columns(name)], axis=1)

    def entries(self) -> np.ndarray:
        """Full index of the entry of `target` each term adds to: shape (T, ndim)."""
        return np.stack(self._index_columns(self.target), axis=1)

    def _index_columns(self, name: str, *, with_sample: bool = False) -> list[np.ndarray]:
        col = self._columns
        layout = LAYOUT.get(name, name)
        if layout == "weight" and self.spec.transposed:  # (in, out/groups, kh, kw)
            return [col["c"], col["o"] % self.spec.out_per_group, col["kh"], col["kw"]]
        if layout == "weight":
            return [col["o"], col["c"] % self.spec.in_per_group, col["kh"], col["kw"]]
        if layout == "bias":
            return [col["o"]]
        if layout == "input":
            index = [col["n"], col["c"], col["h"], col["w"]]
        else:
            index = [col["n"], col["o"], col["oi"], col["oj"]]
        return index if with_sample or self.spec.batched else index[1:]

    def _term(self, i: int) -> Term:
        col = {k: int(a[i]) for k, a in self._columns.items()}
        names = FACTORS[self.target]
        if self.target == "output" and col["kh"] < 0:
            names = ("bias",)
        reads = {n: tuple(int(a[i]) for a in self._index_columns(n)) for n in names}
        tap = None if col["kh"] < 0 else (col["kh"], col["kw"])
        cell = None if col["ph"] < 0 else (col["ph"], col["pw"])
        return Term(
            target=self.target,
            entry=tuple(int(a[i]) for a in self._index_columns(self.target)),
            reads=reads,
            factors={n: self.factors[n][i].item() for n in names if n in self.factors},
            value=None if self.value is None else self.value[i].item(),
            conjugated=self.conjugated,
            out=(col["oi"], col["oj"]),
            tap=tap,
            padded=cell,
            pixel=None if cell is None else (col["h"], col["w"]),
        )

    def _evaluated(self, tensors: Mapping[str, np.ndarray]) -> Terms:
        """These terms with their factors and values read from ``tensors`` (the layer's)."""
        needed = FACTORS[self.target]
        if self.target == "output" and self.spec.bias:
            needed = (*needed, "bias")
        missing = [name for name in needed if name not in tensors]
        if len(missing) == len(needed):
            return self  # geometry only
        if missing:
            raise ValueError(
                f"the values of {self.target} terms need {', '.join(needed)}; "
                f"missing: {', '.join(missing)}"
            )
        factors = {}
        for name in needed:
            a = tensors[name]
            if name in ("input", "grad_output") and not self.spec.batched:
                a = a[None]
            index = self._index_columns(name, with_sample=True)
            mask = self.reading(name)
            if mask.all():
                factors[name] = a[tuple(index)]
            else:
                factors[name] = np.zeros(len(self), dtype=a.dtype)
                factors[name][mask] = a[tuple(i[mask] for i in index)]
        parts = [
            np.conj(factors[n])
            if n in self.conjugated and np.iscomplexobj(factors[n])
            else factors[n]
            for n in FACTORS[self.target]
        ]
        with np.errstate(all="ignore"):  # 0·inf is nan, quietly, as in torch
            value = parts[0] * parts[1] if len(parts) == 2 else parts[0]
            if "bias" in factors:
                value = value + factors["bias"]
        return Terms(self.target, self.spec, self._columns, factors, value, self.entry)
