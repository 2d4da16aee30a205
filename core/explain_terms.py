"""`Term` and `Terms`: the terms of one sum, as columns, with a `Term` made only on request.

`core.explain` finds the terms; this module holds them. Each row of a `Terms` is one link
of the convolution (see `core.explain_links`) seen from its `target`: the factors it reads,
the value it adds, and where it sits (output position, kernel tap, padded cell, pixel).
What each sum multiplies, the single `Term` and the reading of the factors' values are
`core.explain_sums`'.

The N-d form, for a layer of d spatial axes (``spec.dims``): the lead columns ``n, o, c``
have shape (T,), the spatial ones ``out_spatial``, ``taps``, ``padded_spatial`` and
``spatial`` shape (d, T), one row per axis. A 2D layer also names those rows as before
(``oi, oj, kh, kw, ph, pw, h, w``). The exact tensor index of each term's cells comes from
`Terms.cells` (full-rank, as ``spec.shape(name)``, batched or not) and
`Terms.padded_cells` (the padded grid's).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from . import explain_links as links
from . import explain_sums as sums
from .explain_sums import CONJUGATED, FACTORS, SOURCES, Term
from .spec import LayerSpec


def _row_2d(name: str) -> property:
    """The 2D name of one row of a spatial column (``kh`` is ``taps[0]``): d=2 only, for a
    name of another number of axes would mean a different axis."""
    column, axis = links.NAMES_2D[name]

    def get(self: Terms) -> np.ndarray:
        if self.spec.dims != 2:
            raise AttributeError(
                f"Terms.{name} is a 2D name; this layer has {self.spec.dims} spatial axes: "
                f"use {_ARRAYS[column]}[axis] instead"
            )
        return self._columns[column][axis]

    return property(get, doc=f"{_ARRAYS[column]}[{axis}] of a 2D layer, shape (T,).")


# The attribute each table column is known by on `Terms`.
_ARRAYS = {"out": "out_spatial", "tap": "taps", "padded": "padded_spatial", "pixel": "spatial"}


class Terms(Sequence[Term]):
    """The terms of one sum (or of one reverse look-up), in animation order, as columns.

    The columns are numpy arrays over the T terms; the spatial ones have one row per spatial
    axis of the layer (d = ``spec.dims``: 1, 2 or 3), so that every number of dimensions
    reads the same way.

    Attributes
    ----------
    target : str
        The tensor the terms add to.
    spec : LayerSpec
    entry : tuple of int or None
        The explained entry's full index; None for a reverse look-up, whose terms add to
        several entries (see `entries`).
    n, o, c : ndarray of int64, shape (T,)
        Per term: sample, output channel, input channel (absolute). -1 where it does not
        apply (the bias term has no c; n is 0 for an unbatched layer).
    out_spatial : ndarray of int64, shape (d, T)
        The output position of each term.
    taps : ndarray of int64, shape (d, T)
        The kernel tap; -1 for the bias term and grad_bias terms (`has_tap`).
    padded_spatial : ndarray of int64, shape (d, T)
        The padded input cell read (transposed: the cell of the output before the crop);
        -1 where there is no tap.
    spatial : ndarray of int64, shape (d, T)
        The real input pixel (that the padded cell copies; transposed: that paints the
        copy); -1 where there is no tap.
    oi, oj, kh, kw, ph, pw, h, w : ndarray of int64, shape (T,)
        A 2D layer's rows of the four spatial columns by their old names (``oi`` is
        ``out_spatial[0]``, ``w`` is ``spatial[1]``); AttributeError for another d.
    value : ndarray, shape (T,), or None
        Each term's contribution; None when found without tensors.
    factors : mapping str -> ndarray, shape (T,)
        The raw value each term reads from each tensor (0 where a term does not read it).
    conjugated : tuple of str
        The factors conjugated in `value`.

    Index tuples into the tensors, full-rank as ``spec.shape(name)`` has them (batched or
    not): `cells` (every term, -1 rows where untouched), `indices` (only the terms that
    read a source), `entries` (the target's), `padded_cells` (the padded grid's). Masks:
    `has_tap`, `reading`, `through` (one padded cell). Flat numbers: `flat` (im2col's).
    """

    n: np.ndarray
    o: np.ndarray
    c: np.ndarray
    out_spatial: np.ndarray
    taps: np.ndarray
    padded_spatial: np.ndarray
    spatial: np.ndarray
    oi = _row_2d("oi")
    oj = _row_2d("oj")
    kh = _row_2d("kh")
    kw = _row_2d("kw")
    ph = _row_2d("ph")
    pw = _row_2d("pw")
    h = _row_2d("h")
    w = _row_2d("w")

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
        self._columns = {name: columns[name] for name in (*links.LEAD, *links.SPATIAL)}
        for a in (*self._columns.values(), *factors.values(), value):
            if a is not None:
                a.flags.writeable = False
        self.n, self.o, self.c = (self._columns[k] for k in links.LEAD)
        for column, attribute in _ARRAYS.items():
            setattr(self, attribute, self._columns[column])
        self.factors = dict(factors)
        self.value = value

    @property
    def dims(self) -> int:
        return self.spec.dims

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
                links.select(self._columns, i),
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

    @property
    def has_tap(self) -> np.ndarray:
        """(T,) bool: the term has a kernel tap (all but an output's bias term and the
        terms of a grad_bias)."""
        return self.taps[0] >= 0

    def reading(self, name: str) -> np.ndarray:
        """Mask of the terms that read tensor ``name`` (one of `SOURCES`), shape (T,)."""
        if name not in SOURCES:
            raise ValueError(f"tensor must be one of {', '.join(SOURCES)}, got {name!r}")
        if self.target == "output":
            if name in ("input", "weight"):
                return self.has_tap
            if name == "bias":
                return ~self.has_tap
        return np.full(len(self), name in FACTORS[self.target])

    def indices(self, name: str) -> np.ndarray:
        """Full index into ``name`` of each term that reads it: shape (k, ndim), term order."""
        mask = self.reading(name)
        return np.stack([c[mask] for c in self._index_columns(name)], axis=1)

    def entries(self) -> np.ndarray:
        """Full index of the entry of `target` each term adds to: shape (T, ndim)."""
        return np.stack(self._index_columns(self.target), axis=1)

    def cells(self, name: str) -> np.ndarray:
        """Full index into tensor ``name`` (any of the eight) of the cell each term reads or
        adds to: shape (T, ndim), ndim as ``spec.shape(name)``; a row of -1 where the term
        does not touch ``name`` (the bias term reads no weight; output terms touch no
        gradient)."""
        shape = self.spec.shape(name)
        if shape is None:
            raise ValueError(f"{name} does not exist: the layer has no bias")
        if name == self.target:
            return self.entries()
        out = np.full((len(self), len(shape)), -1, dtype=np.int64)
        if name in SOURCES:
            mask = self.reading(name)
            out[mask] = self.indices(name)
        return out

    def padded_cells(self) -> np.ndarray:
        """Index of each term's padded cell in the padded grid: (T, 2 + d), the sample left
        out unbatched; a row of -1 for a term without a tap.

        A convolution's padded input: ``(n, c, *padded_spatial)``; a transposed layer's
        output before the crop: ``(n, o, *padded_spatial)``.
        """
        channel = self.o if self.spec.transposed else self.c
        lead = [self.n, channel] if self.spec.batched else [channel]
        out = np.empty((len(self), len(lead) + self.dims), dtype=np.int64)
        for i, column in enumerate([*lead, *self.padded_spatial]):
            out[:, i] = column
        untapped = ~self.has_tap
        if untapped.any():
            out[untapped] = -1
        return out

    def through(self, padded: Sequence[int]) -> np.ndarray:
        """(T,) bool: the terms whose padded cell is ``padded`` (d numbers): what one border
        cell of the padded grid holds when hovered."""
        where = np.asarray(padded, dtype=np.int64).reshape(-1, 1)
        if where.shape[0] != self.dims:
            raise ValueError(f"a padded cell of this layer has {self.dims} numbers, "
                             f"got {tuple(padded)}")
        return (self.padded_spatial == where).all(axis=0)

    def flat(self, column: str, sizes: Sequence[int]) -> np.ndarray:
        """Row-major flat index over ``sizes`` of spatial column ``column`` (``out_spatial``,
        ``taps``, ``padded_spatial`` or ``spatial``), shape (T,); -1 where it does not
        apply. What an im2col matrix numbers its rows (output positions, ``spec.output_size``)
        and its columns within a channel (taps, ``spec.kernel_size``) by, for any d."""
        names = {v: k for k, v in _ARRAYS.items()}
        if column not in names:
            raise ValueError(f"column must be one of {', '.join(names)}, got {column!r}")
        a = self._columns[names[column]]
        if a.shape[0] != len(sizes):
            raise ValueError(f"{column} has {a.shape[0]} axes, sizes {tuple(sizes)} has "
                             f"{len(sizes)}")
        present = a[0] >= 0
        out = np.full(len(self), -1, dtype=np.int64)
        out[present] = np.ravel_multi_index(tuple(a[:, present]), tuple(sizes))
        return out

    def rows(self) -> np.ndarray:
        """Every column of each term as one row of ints: (T, 3 + 4d), `links.LEAD` then the
        rows of `links.SPATIAL` (a key that tells any two links apart)."""
        parts = [self._columns[k][None] for k in links.LEAD]
        parts += [self._columns[k] for k in links.SPATIAL]
        return np.concatenate(parts).T

    def _index_columns(self, name: str, *, with_sample: bool = False) -> list[np.ndarray]:
        return sums.index_columns(self.spec, self._columns, name, with_sample=with_sample)

    def _term(self, i: int) -> Term:
        col = self._columns
        names = FACTORS[self.target]
        tapped = bool(col["tap"][0, i] >= 0)
        if self.target == "output" and not tapped:
            names = ("bias",)
        reads = {n: tuple(int(a[i]) for a in self._index_columns(n)) for n in names}
        cell = None if col["padded"][0, i] < 0 else tuple(col["padded"][:, i].tolist())
        return Term(
            target=self.target,
            entry=tuple(int(a[i]) for a in self._index_columns(self.target)),
            reads=reads,
            factors={n: self.factors[n][i].item() for n in names if n in self.factors},
            value=None if self.value is None else self.value[i].item(),
            conjugated=self.conjugated,
            out=tuple(col["out"][:, i].tolist()),
            tap=tuple(col["tap"][:, i].tolist()) if tapped else None,
            padded=cell,
            pixel=None if cell is None else tuple(col["pixel"][:, i].tolist()),
        )

    def _evaluated(self, tensors: Mapping[str, np.ndarray]) -> Terms:
        """These terms with their factors and values read from ``tensors`` (the layer's)."""
        read = sums.read_values(self.target, self.spec, self._columns, self.reading, tensors)
        if read is None:
            return self  # geometry only
        factors, value = read
        return Terms(self.target, self.spec, self._columns, factors, value, self.entry)
