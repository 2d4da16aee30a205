"""The diagram figure: only the tensors, their labels, the highlights and the sum.

No spin boxes, buttons or status bar — a clean picture for slides, like conv_arithmetic's.
`build_diagram` turns a session, its results and (optionally) a selected entry and step
into a frozen `Diagram`: which tensors, which 2D slice of each, the cells to mark and the
lines of the sum. `gui.diagram_layout` lays it out and `gui.diagram_paint` paints it (PNG,
SVG, GIF frames).

Which tensors: a selected entry shows the tensors its sum reads and the tensor it writes
(``output[…]``: input ⊛ weight + bias = output; ``grad_weight[…]``: input ⋆ grad_output =
grad_weight; …), each on the slice the current term reads; no selection shows all eight,
forward above backward, as the window does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from core.conv import ConvResults
from core.explain import TARGETS, Terms, explain_spec
from core.padding import pad
from core.session import Session
from core.tensors import BACKWARD, EDITABLE, FORWARD, operator, title

from .equation import padding_note, running_sums, symbolic, term_text
from .padded_frame import padded_grid
from .provenance import Highlights, Provenance, arrows_note
from .widgets.plane_axes import fit_lead, follow_depth, lead_names, padded_lead, plane_pads
from .widgets.tensor_info import to_view

#: The rows of tensors and the operators between them, per selected tensor (None: none),
#: as a Conv2d's (`_operator` writes ⊛ and ⊛ᵀ as the layer computes them).
LAYOUTS: dict[str | None, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {
    None: ((FORWARD, ("⊛", "+", "=")), (BACKWARD, ("←", "", "←"))),
    "output": ((FORWARD, ("⊛", "+", "=")),),
    "grad_input": ((("grad_output", "weight", "grad_input"), ("⊛ᵀ", "=")),),
    "grad_weight": ((("input", "grad_output", "grad_weight"), ("⋆", "=")),),
    "grad_bias": ((("grad_output", "grad_bias"), ("Σ =",)),),
}
#: Drawing order of the highlight styles (later on top).
STYLE_ORDER = ("pending", "window", "read", "done", "source", "write", "current")


@dataclass(frozen=True, eq=False)
class Panel:
    """One tensor's shown 2D slice and its marks.

    Attributes
    ----------
    name : str
        The tensor ('input', 'grad_weight', …).
    title, subtitle : str
        'input x' and e.g. 'n=0, c=1 · (1, 3, 5, 5)'.
    values : ndarray, shape (rows, cols)
        Real numbers to colour and print (complex tensors in the chosen view; the input
        padded; the bias as one column).
    real : tuple of int
        (top, left, rows, cols) of the real cells inside ``values`` (the rest is border).
    limit : float
        The colour scale is symmetric, ±limit, fitted to this slice.
    marks : mapping style -> ndarray of int, shape (k, 2)
        (row, col) cells of ``values`` to mark in each style.
    links : ndarray of int, shape (k, 4)
        Copy arrows: (row, col) of a border cell, then of the pixel it copies.
    """

    name: str
    title: str
    subtitle: str
    values: np.ndarray
    real: tuple[int, int, int, int]
    limit: float
    marks: Mapping[str, np.ndarray] = field(default_factory=dict)
    links: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.int64))


@dataclass(frozen=True, eq=False)
class Diagram:
    """What a diagram shows: rows of panels with operators between them, and text lines.

    ``lines`` are the sum (symbolic), the current term, the running sum, and notes
    (padding, arrows left out); ``caption`` names the entry and the step.
    """

    rows: tuple[tuple[tuple[Panel, ...], tuple[str, ...]], ...]
    lines: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def panels(self) -> list[Panel]:
        return [p for panels, _ in self.rows for p in panels]

    def panel(self, name: str) -> Panel:
        return next(p for p in self.panels() if p.name == name)


def _limit(values: np.ndarray) -> float:
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    return top if top > 0 else 1.0


def _array(session: Session, results: ConvResults, name: str) -> np.ndarray | None:
    if name in EDITABLE:
        return session.tensor(name)
    return getattr(results, name)


def _lead_of(array: np.ndarray, wanted: tuple[int, ...] | None) -> tuple[int, ...]:
    """The slice to show: ``wanted`` when it fits the leading axes, else the first."""
    lead_shape = array.shape[:-2] if array.ndim > 2 else ()
    if wanted is not None and len(wanted) == len(lead_shape) and all(
            0 <= i < s for i, s in zip(wanted, lead_shape, strict=True)):
        return tuple(int(i) for i in wanted)
    return tuple(0 for _ in lead_shape)


def _panel(session: Session, results: ConvResults, name: str, lead: tuple[int, ...] | None,
           h: Highlights, mode: str) -> Panel | None:
    spec = session.spec
    array = _array(session, results, name)
    if array is None:
        return None
    if array.size == 0:  # an empty batch: a title and nothing to draw
        return Panel(name, title(name, spec), f"{tuple(array.shape)} · empty", np.zeros((0, 0)),
                     (0, 0, 0, 0), 1.0)
    if array.ndim == 1:  # the bias: one column
        lead, plane = (), array[:, None]
    else:
        lead = _lead_of(array, lead)
        plane = array[lead]
    top = left = 0
    rows, cols = plane.shape
    padded = padded_grid(spec, name)
    pads = plane_pads(spec)
    if padded and any(pads):
        top, left = max(pads[0], 0), max(pads[2], 0)
        plane = pad(plane, pads, spec.padding_mode)
        rows, cols = min(rows, plane.shape[0] - top), min(cols, plane.shape[1] - left)
    values = np.asarray(to_view(plane, mode), dtype=np.float64)
    axes = lead_names(spec, name)[len(lead_names(spec, name)) - len(lead):] if lead else ()
    where = ", ".join(f"{a}={i}" for a, i in zip(axes, lead, strict=False))
    shifted = padded_lead(spec, name, lead) if padded else None
    in_padded = lead if shifted is None else shifted  # a Conv3d input's padded depth
    view = "" if not np.iscomplexobj(array) else f" · {mode}"
    subtitle = f"{where + ' · ' if where else ''}{tuple(array.shape)}{view}"
    marks = {s: _in_slice(h.get(name, s), in_padded if padded else lead, (top, left), padded,
                          array.ndim) for s in STYLE_ORDER}
    marks = {s: m for s, m in marks.items() if len(m)}
    links = np.zeros((0, 4), np.int64)
    if padded:
        parts = [np.concatenate([_in_slice(f, in_padded, (0, 0), True, array.ndim),
                                 _in_slice(t, in_padded, (0, 0), True, array.ndim)], axis=1)
                 for f, t in h.links.values() if len(f)]
        if parts:
            links = np.unique(np.concatenate(parts), axis=0)
    return Panel(name, title(name, spec), subtitle, values, (top, left, rows, cols),
                 _limit(values), marks, links)


def _in_slice(cells: np.ndarray, lead: tuple[int, ...], offset: tuple[int, int],
              padded: bool, ndim: int) -> np.ndarray:
    """(row, col) of the cells (full indices) that lie in slice ``lead``."""
    if len(cells) == 0 or cells.ndim != 2 or cells.shape[1] != ndim:
        return np.zeros((0, 2), np.int64)
    if ndim == 1:
        return np.stack([cells[:, 0], np.zeros(len(cells), np.int64)], axis=1)
    keep = np.all(cells[:, :-2] == np.asarray(lead, np.int64), axis=1) if lead else \
        np.ones(len(cells), bool)
    rc = cells[keep][:, -2:].astype(np.int64)
    return rc if padded else rc + np.asarray(offset, np.int64)


def build_diagram(session: Session, results: ConvResults, tensor: str | None = None,
                  index: tuple[int, ...] | None = None, step: int | None = None,
                  mode: str = "real", leads: Mapping[str, tuple[int, ...]] | None = None,
                  terms: Terms | None = None, provenance: Provenance | None = None) -> Diagram:
    """The diagram of ``session`` with entry ``tensor[index]`` explained up to ``step``.

    Parameters
    ----------
    tensor, index : the selected entry (a result tensor) or None for no selection
    step : int or None
        The current term (None: the whole sum).
    mode : str
        The view of complex values: 'real', 'imag', 'abs' or 'phase'.
    leads : mapping tensor -> leading index, optional
        The slice to show of tensors the highlights do not place (the window's selectors).
    terms : Terms, optional
        ``explain_spec`` of the entry, when the caller has it (GIF frames reuse one).
    provenance : Provenance, optional
        ``Provenance(terms)``, likewise (building it costs a sort of every term's cells).
    """
    leads = dict(leads or {})
    h, lines, notes = Highlights(), [], []
    if tensor in TARGETS and index is not None:
        if terms is None:
            terms = explain_spec(session.spec, tensor, index, **session.tensors())
        if step is not None and not 0 <= step < len(terms):
            raise IndexError(f"step {step} is out of range for {len(terms)} terms")
        h = (provenance if provenance is not None else Provenance(terms)).at(step)
        for name, focus in h.focus.items():
            leads[name] = _followed(session.spec, name, focus, leads.get(name), h)
        sums = running_sums(terms)
        # at a step the figure states the entry's value too, as the Sum panel does: a grid
        # too dense to print it left it in no frame but the last (review r13 S8)
        value = terms.sum() if step is not None and terms.value is not None else None
        lines.append(symbolic(terms) + ("" if value is None else f"   = {_number(value)}"))
        if step is not None:
            lines.append(f"term {step} of 0–{len(terms) - 1}:  {term_text(terms, step)}")
            if sums is not None:
                lines.append(f"running sum after term {step}:  {_number(sums[step])}")
        elif sums is not None and len(sums):
            n = len(terms)
            lines.append(f"= {_number(sums[-1])}  ({n} term{'' if n == 1 else 's'})")
        notes = [n for n in (padding_note(session.spec), arrows_note(terms)) if n]
    else:
        tensor = None
    rows = []
    for names, ops in LAYOUTS[tensor]:
        panels, kept_ops = [], []
        for i, name in enumerate(names):
            p = _panel(session, results, name, leads.get(name), h, mode)
            if p is None:  # no bias: the operator after it joins its neighbours
                continue
            if panels:
                kept_ops.append(_operator(ops[i - 1], session.spec))
            panels.append(p)
        rows.append((tuple(panels), tuple(kept_ops)))
    return Diagram(tuple(rows), tuple(lines), tuple(notes))


def _followed(spec, name: str, focus: tuple, old: tuple | None, h: Highlights) -> tuple:
    """The slice of ``name`` a diagram shows for a focus (None on an axis: keep the
    grid's, or 0), fitted to a Conv1d strip's or a Conv3d slice's lead axes, a Conv3d at
    the depth of the current term (or one the sum reads)."""
    shape = spec.shape(name)
    length = 0 if shape is None else max(len(shape) - 2, 0)
    focus = fit_lead(focus, length)
    old = fit_lead(old or (0,) * length, length)
    lead = tuple((0 if o is None else o) if f is None else f
                 for f, o in zip(focus, old, strict=True))
    reads, current = h.get(name, "read"), h.get(name, "current")
    if not len(current):  # the tensor holding the entry: the entry's own slice
        current = h.get(name, "write")
    depth = follow_depth(spec, name, lead, current,
                         reads if len(reads) else h.get(name, "window"), padded_grid(spec, name))
    return lead if depth is None else (*lead[:-1], depth)


def _operator(op: str, spec) -> str:
    """A LAYOUTS operator for this layer: a transposed layer's output is x ⊛ᵀ W, its
    grad_input gy ⊛ W."""
    return {"⊛": operator(spec), "⊛ᵀ": operator(spec, "grad_input")}.get(op, op)


def _number(value) -> str:
    from .equation import fmt

    return fmt(value, 6)
