"""Which cells of which grid to highlight for a selected entry, an animation step or a hover.

View logic only, no arithmetic on values: every cell comes from the columns of a
`core.explain.Terms` (``explain_spec`` for a selection, ``readers`` for a hover).

Cells are full indices into the grids' tensors, as int64 arrays of shape (k, ndim), for a
layer of any number d of spatial axes (a Conv1d's input cell is (n, c, l), a Conv3d's
(n, c, d, h, w)), with one exception: a convolution's input grid is drawn padded, so its
cells are *padded* cells ``(n, c, *padded)`` (``(c, *padded)`` unbatched), every spatial
axis padded. A border cell under reflect, replicate or
circular padding copies a real pixel; `Highlights.links` pairs such cells with the padded
cell of the pixel they copy, for the grid to draw an arrow between them.

Styles (the grid decides the colours):

========  ==============================================================================
read      every cell any term of the entry reads
done      cells read by the terms already summed (before the current step)
current   the current term's factors
write     the entry itself (on its own grid); while sweeping a tensor, the current entry
window    the kernel window (zero padding included) of the current term's output position
source    the real pixel a read border cell copies
pending   entries a sweep ("Animate all") has not reached yet
hover     what a hovered cell feeds or is fed by
========  ==============================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from core.explain import SOURCES, Terms, window
from core.explain_links import source
from core.explain_sums import LAYOUT
from core.spec import LayerSpec
from core.tensors import NAMES, TENSORS

# --select ENTRY --step K is read in gui.entry_args; the app and the exporter import it here
from .entry_args import checked_entry, parse_entry  # noqa: F401
from .padded_frame import padded_grid

STYLES = ("read", "done", "current", "write", "window", "source", "pending", "hover")
#: Copy arrows for the whole read set are drawn only up to this many (more hide the numbers
#: under them: reflect padding's grad_weight entries read 49); at a step, only the current
#: term's arrow is drawn, and `arrows_note` says what is left out.
MAX_LINKS = 8


def grid_shape(spec: LayerSpec, name: str) -> tuple[int, ...] | None:
    """Shape of the cells of grid ``name``: the padded input for a Conv2d's 'input', else
    the tensor's."""
    return spec.shape(name, padded=padded_grid(spec, name))


def term_focus(terms: Terms, k: int) -> dict[str, tuple[int | None, ...]]:
    """The slice of every grid that term ``k`` of ``terms`` lies in.

    Read straight from the term's columns, the ones its factors' indices are made of
    (`Terms.indices`): output[n,o,i,j] → input (n, c), weight (o, c − g·C/G) with g the
    group of o, grad_output (n, o); each gradient the slice of its tensor. A column the term
    does not have (the bias term has no input channel) is None: that axis stays as it is.
    """
    spec = terms.spec
    per_group = {"c": spec.in_per_group, "o": spec.out_per_group}
    focus: dict[str, tuple[int | None, ...]] = {}
    for grid in NAMES:
        # the slice's leading axes are term columns (`core.explain_links.COLUMNS`); a
        # gradient shows the same slice as its tensor
        names = spec.lead_axes(grid)
        if not names:
            continue
        lead: list[int | None] = []
        for axis, name in enumerate(names):
            v = int(getattr(terms, name)[k])
            if axis == 1 and TENSORS[grid].layout == "weight" and v >= 0:
                v %= per_group[name]  # the weight's own channel within its group
            if spec.batched or name != "n":
                lead.append(v if v >= 0 else None)
        focus[grid] = tuple(lead)
    return focus


def _empty(ndim: int) -> np.ndarray:
    return np.zeros((0, ndim), dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Highlights:
    """Cells to outline, per grid and style, and the border arrows of the input grid.

    Attributes
    ----------
    cells : mapping grid -> mapping style -> ndarray of int, shape (k, ndim)
        Full indices (padded for the input). Absent grids and styles have no cells.
    links : mapping style -> (ndarray (k, ndim), ndarray (k, ndim))
        Input border cells and the padded cells of the real pixels they copy.
    focus : mapping grid -> tuple of (int or None)
        The leading index (e.g. (n, c)) of the slice each grid should show: the slice of
        the current term's factor (term 0's without a step), for every grid, see
        `term_focus`. None in a place: keep what the grid shows on that axis.
    copies : int
        How many read input border cells copy a real pixel (arrows are drawn for at most
        `MAX_LINKS` of them; see `arrows_note`).
    anchor : mapping grid -> tuple of int
        The one full cell (padded for the padded input) of each grid the current term
        touches (term 0 without a step; the target grid: the entry it adds to): where a
        grid that shows one part of its spatial axes (a Conv3d's depth slice) should look.
        Grids the term does not touch are absent.
    """

    cells: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)
    links: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    focus: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    copies: int = 0
    anchor: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def get(self, grid: str, style: str) -> np.ndarray:
        """Cells of ``grid`` in ``style``; an empty (0, 0) array when there are none."""
        return self.cells.get(grid, {}).get(style, _empty(0))

    def grids(self) -> list[str]:
        return list(self.cells)


NO_HIGHLIGHTS = Highlights()


@dataclass(frozen=True, eq=False)
class _Cells:
    """The distinct cells of one grid the terms touch, and the first term touching each."""

    cells: np.ndarray  # (U, ndim)
    first: np.ndarray  # (U,) term number
    per_term: np.ndarray  # (T,) the cell row each term touches, -1 where it touches none

    def upto(self, step: int) -> np.ndarray:
        return self.cells[self.first < step]

    def of(self, step: int) -> np.ndarray:
        row = self.per_term[step]
        return self.cells[row : row + 1] if row >= 0 else self.cells[:0]


def _distinct(index: np.ndarray, mask: np.ndarray, shape: tuple[int, ...]) -> _Cells:
    """Distinct rows of ``index`` (k, ndim) for the terms in ``mask``, in first-term order."""
    rows = np.flatnonzero(mask)
    per_term = np.full(mask.size, -1, dtype=np.int64)
    if rows.size == 0:
        return _Cells(_empty(len(shape)), np.zeros(0, np.int64), per_term)
    linear = np.ravel_multi_index(tuple(index.T), shape)
    unique, first, inverse = np.unique(linear, return_index=True, return_inverse=True)
    per_term[rows] = inverse.ravel()
    cells = np.stack(np.unravel_index(unique, shape), axis=1).astype(np.int64)
    return _Cells(cells, rows[first], per_term)


class Provenance:
    """The cells behind a set of terms, ready to highlight at any animation step.

    Built once per selection (or hover) in numpy time; `at` is cheap enough per frame.

    Parameters
    ----------
    terms : core.explain.Terms
        From ``explain_spec`` (one entry) or ``readers`` (a hover: several entries).
    """

    def __init__(self, terms: Terms) -> None:
        self.terms = terms
        self.spec = spec = terms.spec
        self._cells: dict[str, _Cells] = {}
        self._input_padded: np.ndarray | None = None
        for name in SOURCES:
            mask = terms.reading(name)
            if not mask.any():
                continue
            shape = grid_shape(spec, name)
            padded = padded_grid(spec, name)
            index = self._padded_input(mask) if padded else terms.indices(name)
            self._cells[name] = _distinct(index, mask, shape)
        all_terms = np.ones(len(terms), bool)
        self._cells_target = _distinct(terms.entries(), all_terms,
                                       grid_shape(spec, terms.target))
        self._read_links: tuple[np.ndarray, np.ndarray] | None = None
        self.copies = 0
        if "input" in self._cells and padded_grid(spec, "input"):
            frm, to = self._links(self._cells["input"].cells)
            self._sources = np.unique(to, axis=0) if len(to) else to
            self.copies = len(frm)
            if len(frm) <= MAX_LINKS:
                self._read_links = (frm, to)

    def __len__(self) -> int:
        return len(self.terms)

    # -- building ------------------------------------------------------------------------
    def _padded_input(self, mask: np.ndarray) -> np.ndarray:
        cells = self.terms.padded_cells()
        # rows by number: a boolean mask over the rows of a 2-D array costs several times more
        return cells if mask.all() else cells[np.flatnonzero(mask)]

    def _links(self, padded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Border cells among ``padded`` input cells that copy a pixel, and that pixel's cell."""
        return copy_links(self.spec, padded)

    @property
    def window_grid(self) -> str:
        """The grid the window is drawn on: a Conv2d's (padded) input, where the kernel
        window of an output position lies; a transposed layer's output, where the current
        term's input pixel paints its copy of the kernel."""
        return "output" if self.spec.transposed else "input"

    def _painted(self, step: int | None) -> np.ndarray:
        """Output cells of the kernel copy the current term's input pixel paints (the
        copy's cropped cells left out): a transposed output entry's step."""
        t, spec = self.terms, self.spec
        if step is None or t.target != "output" or not t.has_tap[step]:
            return _empty(len(spec.output_shape))
        win = window(spec, tuple(t.spatial[:, step].tolist()))
        grid = np.meshgrid(*(p[p >= 0] for p in win.pixels), indexing="ij")
        lead = [int(t.n[step]), int(t.o[step])] if spec.batched else [int(t.o[step])]
        return _with_lead(np.array(lead), np.stack([g.ravel() for g in grid], axis=1))

    def _window(self, step: int | None) -> np.ndarray:
        """Padded cells of the kernel window of the current term's output position."""
        t, spec = self.terms, self.spec
        if spec.transposed:
            return self._painted(step)
        if len(t) == 0 or t.target == "grad_bias" or t.entry is None:
            return _empty(len(grid_shape(spec, "input")))
        if step is None:
            if t.target != "output":
                return _empty(len(grid_shape(spec, "input")))
            rows = np.flatnonzero(t.has_tap)
        else:
            rows = np.array([step]) if t.has_tap[step] else np.zeros(0, np.int64)
        if rows.size == 0:
            return _empty(len(grid_shape(spec, "input")))
        cells = window(spec, tuple(t.out_spatial[:, rows[0]].tolist())).cells()
        lead = np.unique(np.stack([t.n[rows], t.c[rows]], axis=1), axis=0)
        if not spec.batched:
            lead = lead[:, 1:]
        return np.concatenate([_with_lead(ld, cells) for ld in lead])

    # -- per step ------------------------------------------------------------------------
    def at(self, step: int | None = None) -> Highlights:
        """What to highlight with the terms before ``step`` summed and term ``step`` current.

        ``step=None``: the whole sum at once (read set, the entry, the window of an output).
        """
        if step is not None and not 0 <= step < len(self):
            raise IndexError(f"step {step} is out of range for {len(self)} terms")
        cells: dict[str, dict[str, np.ndarray]] = {}
        links: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, c in self._cells.items():
            styles = cells.setdefault(name, {})
            styles["read"] = c.cells
            if step is not None:
                styles["done"] = c.upto(step)
                styles["current"] = c.of(step)
        focus = self.focus(step)
        target = cells.setdefault(self.terms.target, {})
        target["write"] = self._cells_target.cells
        if "input" in self._cells and padded_grid(self.spec, "input"):
            cells["input"]["source"] = self._sources
            if step is not None:  # the current term's arrow alone: the others would bury it
                links["current"] = self._links(cells["input"]["current"])
            elif self._read_links is not None:
                links["read"] = self._read_links
        win = self._window(step)
        if len(win):
            cells.setdefault(self.window_grid, {})["window"] = win
        return Highlights(cells, links, focus, self.copies, self.anchor(step))

    def anchor(self, step: int | None = None) -> dict[str, tuple[int, ...]]:
        """The full cell of each grid term ``step`` touches (term 0 without a step), padded
        for the padded input; the target grid: the entry (see `Highlights.anchor`)."""
        t = self.terms
        if len(t) == 0:
            entry = t.entry
            return {} if entry is None else {t.target: tuple(entry)}
        k = 0 if step is None else step
        out = {t.target: t[k].entry}
        for name, c in self._cells.items():
            row = c.per_term[k]
            if row >= 0:
                out[name] = tuple(int(i) for i in c.cells[row])
        return out

    def focus(self, step: int | None = None) -> dict[str, tuple[int | None, ...]]:
        """The slice every grid should show for term ``step`` (term 0 without a step); an
        entry of no terms: its own slice, and its tensor's."""
        if len(self.terms):
            return term_focus(self.terms, 0 if step is None else step)
        focus: dict[str, tuple[int | None, ...]] = {}
        entry, target, dims = self.terms.entry, self.terms.target, self.spec.dims
        if entry is not None and len(entry) > dims:
            focus[target] = focus[LAYOUT[target]] = tuple(entry[:-dims])
        return focus

    def hover(self) -> Highlights:
        """Everything the terms touch in one style, 'hover' (reverse look-ups)."""
        full = self.at(None)
        cells = {}
        for grid, styles in full.cells.items():
            parts = [styles[s] for s in ("read", "write", "window") if s in styles]
            cells[grid] = {"hover": np.concatenate(parts) if len(parts) > 1 else parts[0]}
        links = {"hover": full.links["read"]} if "read" in full.links else {}
        return Highlights(cells, links, full.focus, full.copies, full.anchor)


def _with_lead(lead: np.ndarray, spatial: np.ndarray) -> np.ndarray:
    """Full cells: the one leading index ``lead`` before each row of ``spatial`` (k, d)."""
    return np.column_stack([np.broadcast_to(lead, (len(spatial), lead.size)),
                            spatial]).astype(np.int64)


def copy_links(spec: LayerSpec, padded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The border cells among padded input cells ``padded`` (k, 2 + d or 1 + d) that copy a
    real pixel, and the padded cell of that pixel (what a copy arrow joins)."""
    d = spec.dims
    if spec.padding_mode == "zeros":  # a zero border copies nothing
        return padded[:0], padded[:0]
    inside = np.ones(len(padded), dtype=bool)
    copies = np.ones(len(padded), dtype=bool)
    sources = []
    for axis in range(d):  # one axis at a time: 1-D arrays, no (d, k) reductions
        p = padded[:, axis - d]
        before, size = spec.pads[2 * axis], spec.input_size[axis]
        inside &= (p >= before) & (p < before + size)
        sources.append(source(spec, axis, p))
        copies &= sources[-1] >= 0
    keep = copies & ~inside
    frm = padded[keep]
    to = frm.copy()
    for axis in range(d):
        to[:, axis - d] = sources[axis][keep] + spec.pads[2 * axis]
    return frm, to


def border_copies(terms: Terms) -> int:
    """How many distinct input border cells the terms read that copy a real pixel."""
    spec = terms.spec
    mask = terms.reading("input")
    if not mask.any() or spec.padding_mode == "zeros" or spec.transposed:
        return 0
    frm, _ = copy_links(spec, terms.padded_cells()[mask])
    return len(np.unique(frm, axis=0)) if len(frm) else 0


def arrows_note(terms: Terms) -> str:
    """The legend when copy arrows are left out (more than `MAX_LINKS`); '' otherwise."""
    copies = border_copies(terms)
    if copies <= MAX_LINKS:
        return ""
    return (f"{copies} border cells copy a real pixel ({terms.spec.padding_mode} padding): "
            f"the arrow shows the current term's only")


def sweep(spec: LayerSpec, target: str, position: int) -> Highlights:
    """'Animate all': entry ``position`` of ``target`` (C order) current, later ones pending."""
    shape = grid_shape(spec, target)
    if shape is None:
        return NO_HIGHLIGHTS
    total = int(np.prod(shape))
    if not 0 <= position < total:
        raise IndexError(f"entry {position} is out of range for {target} of shape {shape}")
    index = np.stack(np.unravel_index(np.arange(position, total), shape), axis=1)
    cells = {target: {"write": index[:1], "pending": index[1:]}}
    current = tuple(int(i) for i in index[0])
    return Highlights(cells, {}, {target: current[: -spec.dims]}, anchor={target: current})


def entry_count(spec: LayerSpec, target: str) -> int:
    """How many entries a sweep over ``target`` visits (0 when it does not exist)."""
    shape = grid_shape(spec, target)
    return 0 if shape is None else int(np.prod(shape))


def entry_at(spec: LayerSpec, target: str, position: int) -> tuple[int, ...]:
    """Full index of the sweep's entry ``position`` (C order)."""
    shape = grid_shape(spec, target)
    return tuple(int(i) for i in np.unravel_index(position, shape))
