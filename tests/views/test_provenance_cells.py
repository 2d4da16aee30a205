"""gui.provenance: the cells highlighted for a selection, a step or a hover are exactly the
cells core.explain's terms read (input border cells included, mapped to the pixel they copy)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from provenance_checks import cell_set, padded_to_real

from core.explain import SOURCES, TARGETS, explain_spec, readers
from core.explain_links import padding_map
from core.session import Session
from core.spec import LayerSpec
from gui.provenance import Provenance, entry_at, entry_count, grid_shape, sweep

SPECS = [
    LayerSpec(in_channels=2, out_channels=3, kernel_size=(3, 3), padding=(1, 1),
              input_size=(5, 6), padding_mode=mode)
    for mode in ("zeros", "reflect", "replicate", "circular")
] + [
    LayerSpec(in_channels=4, out_channels=4, kernel_size=(2, 3), stride=(2, 1), dilation=(1, 2),
              padding=(2, 1), groups=2, input_size=(6, 7), batch=2, padding_mode="reflect"),
    LayerSpec(in_channels=1, out_channels=2, kernel_size=(3, 2), padding=(1, 2),
              input_size=(4, 4), batch=None, padding_mode="circular", dtype="complex128"),
    LayerSpec(in_channels=3, out_channels=2, kernel_size=(1, 1), input_size=(3, 3), bias=False),
]


def _shape(spec: LayerSpec, target: str) -> tuple[int, ...]:
    return grid_shape(spec, target)


def _entries(spec: LayerSpec, target: str, k: int) -> list[tuple[int, ...]]:
    shape = _shape(spec, target)
    if shape is None:
        return []
    rng = np.random.default_rng(abs(hash((spec, target))) % 2**32)
    every = list(itertools.product(*map(range, shape)))
    picks = rng.choice(len(every), size=min(k, len(every)), replace=False)
    corners = [every[0], every[-1]]
    return corners + [every[i] for i in picks]


def _rows(a: np.ndarray) -> set[tuple[int, ...]]:
    return {tuple(int(i) for i in row) for row in a}


def _cases():
    for i, spec in enumerate(SPECS):
        for target in TARGETS:
            yield pytest.param(spec, target, id=f"{i}-{spec.padding_mode}-{target}")


def _explain(spec, target, entry):
    s = Session.default(spec, seed=3)
    return explain_spec(spec, target, entry, **s.tensors())


def _padded_reads(spec, terms, rows):
    cols = [terms.n, terms.c, terms.ph, terms.pw] if spec.batched else [terms.c, terms.ph,
                                                                      terms.pw]
    return {tuple(int(c[i]) for c in cols) for i in rows}


@pytest.mark.parametrize(("spec", "target"), list(_cases()))
def test_selection_highlights_exactly_what_explain_reads(spec, target):
    for entry in _entries(spec, target, 6):
        _check_selection(spec, target, entry)


def _check_selection(spec, target, entry):
    terms = _explain(spec, target, entry)
    h = Provenance(terms).at(None)
    for name in SOURCES:
        mask = terms.reading(name)
        if not mask.any():
            assert h.get(name, "read").size == 0, name
            continue
        reads = _rows(terms.indices(name))
        shown = cell_set(h, name, "read")
        if name == "input":
            # padded cells, border included; mapped through the padding they are the reads
            assert shown == _padded_reads(spec, terms, np.flatnonzero(mask))
            assert _rows(padded_to_real(spec, h.get("input", "read"))) == reads
        else:
            assert shown == reads, name
    assert cell_set(h, target, "write") == {tuple(entry)}


@pytest.mark.parametrize(("spec", "target"), list(_cases()))
def test_each_step_marks_its_term_and_the_terms_before_it(spec, target):
    for entry in _entries(spec, target, 2):
        _check_steps(spec, target, entry)


def _check_steps(spec, target, entry):
    terms = _explain(spec, target, entry)
    p = Provenance(terms)
    steps = sorted({0, len(terms) // 2, len(terms) - 1}) if len(terms) else []
    for step in steps:
        h = p.at(step)
        term = terms[step]
        for name in SOURCES:
            current = cell_set(h, name, "current")
            if name not in term.reads:
                assert not current, name
            elif name == "input":
                assert current == _padded_reads(spec, terms, [step])
            else:
                assert current == {term.reads[name]}, name
            mask = terms.reading(name)
            before = np.flatnonzero(mask[:step])
            if name == "input":
                assert cell_set(h, name, "done") == _padded_reads(spec, terms, before)
            elif mask.any():
                want = _rows(terms.indices(name)[: before.size])
                assert cell_set(h, name, "done") == want, name


@pytest.mark.parametrize("spec", [s for s in SPECS if s.padding_mode != "zeros"])
def test_border_links_point_at_the_pixel_the_border_cell_copies(spec):
    rows, cols = padding_map(spec)
    top, _, left, _ = spec.pads
    terms = _explain(spec, "output", (*([0] if spec.batched else []), 0, 0, 0))
    p = Provenance(terms)
    h = p.at(None)
    # every term's arrow (at a step only the current one is drawn; all at once up to 8)
    pairs = [p.at(step).links["current"] for step in range(len(p))]
    frm = np.concatenate([f for f, _ in pairs])
    to = np.concatenate([t for _, t in pairs])
    if "read" in h.links:
        assert _rows(h.links["read"][0]) == _rows(frm)
    assert len(frm) > 0, "a corner window under this padding reads the border"
    h_in, w_in = spec.input_size
    for a, b in zip(frm, to, strict=True):
        ph, pw = a[-2:]
        assert not (0 <= ph - top < h_in and 0 <= pw - left < w_in), "only border cells link"
        assert (b[-2] - top, b[-1] - left) == (rows[ph], cols[pw])
        assert tuple(a[:-2]) == tuple(b[:-2])
    assert cell_set(h, "input", "source") == _rows(to)


@pytest.mark.parametrize(
    ("spec", "source"),
    [(spec, source) for spec in SPECS for source in SOURCES if source != "bias" or spec.bias],
)
def test_hover_shows_what_the_reverse_look_up_finds(spec, source):
    s = Session.default(spec, seed=3)
    shape = grid_shape(spec, source) if source != "input" else spec.input_shape
    index = tuple(int(i) for i in np.array(shape) // 2)
    terms = readers(spec, source, index, **s.tensors())
    h = Provenance(terms).hover()
    assert cell_set(h, terms.target, "hover") == _rows(terms.entries())
    for name in SOURCES:
        mask = terms.reading(name)
        if not mask.any():
            continue
        if name == "input":
            assert cell_set(h, name, "hover") >= _padded_reads(spec, terms, np.flatnonzero(mask))
        else:
            assert cell_set(h, name, "hover") == _rows(terms.indices(name))


def test_sweep_visits_every_entry_in_order():
    spec = SPECS[4]
    n = entry_count(spec, "output")
    assert n == int(np.prod(spec.output_shape))
    h = sweep(spec, "output", 5)
    assert cell_set(h, "output", "write") == {entry_at(spec, "output", 5)}
    assert len(h.get("output", "pending")) == n - 6
    assert entry_count(SPECS[-1], "grad_bias") == 0
