"""gui.provenance for Conv1d / Conv3d layers (and their transposed and causal forms): the cells
highlighted are full-rank cells of the d-dimensional tensors, exactly what core.explain's
terms read, at every step, on hover and in a sweep."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from provenance_checks import cell_set, padded_to_real

from core.explain import SOURCES, TARGETS, explain_spec, readers
from core.session import Session
from core.spec import LayerSpec
from gui.provenance import (
    Provenance,
    border_copies,
    checked_entry,
    entry_at,
    entry_count,
    grid_shape,
    parse_entry,
    sweep,
)

SPECS = [
    LayerSpec(2, 4, 3, padding=2, dilation=2, padding_mode="reflect", groups=2, input_size=7,
              dims=1, batch=2),
    LayerSpec(2, 2, 3, dilation=2, causal=True, input_size=6, dims=1, batch=None),
    LayerSpec(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2, input_size=4, dims=1,
              transposed=True),
    LayerSpec(2, 2, (2, 2, 3), padding=(1, 0, 1), padding_mode="circular", input_size=(3, 3, 4),
              dims=3, dtype="complex128"),
    LayerSpec(2, 2, 2, stride=(1, 2, 1), padding=1, padding_mode="replicate", groups=2,
              input_size=(2, 3, 3), dims=3, batch=None),
    LayerSpec(2, 2, (2, 1, 2), stride=(2, 1, 2), padding=(1, 0, 0), output_padding=(1, 0, 0),
              input_size=(2, 2, 2), dims=3, transposed=True, bias=False),
]
IDS = ["1d-reflect", "1d-causal", "1d-transposed", "3d-circular", "3d-replicate",
       "3d-transposed"]


def _rows(a: np.ndarray) -> set[tuple[int, ...]]:
    return {tuple(int(i) for i in row) for row in a}


def _entries(spec: LayerSpec, target: str, k: int = 5) -> list[tuple[int, ...]]:
    every = list(itertools.product(*map(range, spec.shape(target))))
    rng = np.random.default_rng(len(every))
    picks = rng.choice(len(every), size=min(k, len(every)), replace=False)
    return [every[0], every[-1], *(every[i] for i in picks)]


def _explain(spec, target, index):
    return explain_spec(spec, target, index, **Session.default(spec, seed=5).tensors())


def _cases():
    for spec, name in zip(SPECS, IDS, strict=True):
        for target in TARGETS:
            if target != "grad_bias" or spec.bias:
                yield pytest.param(spec, target, id=f"{name}-{target}")


@pytest.mark.parametrize(("spec", "target"), list(_cases()))
def test_selection_and_steps_highlight_exactly_what_explain_reads(spec, target):
    for index in _entries(spec, target):
        terms = _explain(spec, target, index)
        p = Provenance(terms)
        h = p.at(None)
        for name in SOURCES:
            mask = terms.reading(name)
            shown = h.get(name, "read")
            if not mask.any():
                assert shown.size == 0
                continue
            assert shown.shape[1] == len(grid_shape(spec, name))
            if name == "input" and not spec.transposed:  # padded cells, (n, c, *padded)
                assert _rows(shown) == _rows(terms.padded_cells()[mask])
                assert _rows(padded_to_real(spec, shown)) == _rows(terms.indices(name))
            else:
                assert _rows(shown) == _rows(terms.indices(name)), name
        assert cell_set(h, target, "write") == {index}
        for step in sorted({0, len(terms) // 2, len(terms) - 1}) if len(terms) else []:
            _check_step(spec, terms, p.at(step), step)


def _check_step(spec, terms, h, step):
    term = terms[step]
    for name in SOURCES:
        current = cell_set(h, name, "current")
        if name not in term.reads:
            assert not current, name
        elif name == "input" and not spec.transposed:
            assert current == _rows(terms.padded_cells()[step:step + 1])
            assert h.anchor[name] == tuple(terms.padded_cells()[step])
        else:
            assert current == {term.reads[name]}, name
            assert h.anchor[name] == term.reads[name]
    assert h.anchor[terms.target] == term.entry
    window = cell_set(h, "output" if spec.transposed else "input", "window")
    if term.tap is None or (terms.target != "output" and spec.transposed):
        assert not window
    elif spec.transposed:  # the copy the term's pixel paints, cropped cells left out
        painted = readers(spec, "input", term.reads["input"]).entries()
        lead = term.entry[: -spec.dims]  # (n, o): the output channel the entry is in
        assert window == {c for c in _rows(painted) if c[: len(lead)] == lead}
    else:  # every padded cell of the term's window, zero padding included
        spans = [term.out[a] * spec.stride[a] + np.arange(spec.kernel_size[a]) * spec.dilation[a]
                 for a in range(spec.dims)]
        lead = tuple(terms.padded_cells()[step][: -spec.dims])
        assert window == {(*lead, *cell) for cell in itertools.product(*spans)}


@pytest.mark.parametrize("spec", [s for s in SPECS if s.padding_mode != "zeros"],
                         ids=[i for s, i in zip(SPECS, IDS, strict=True)
                              if s.padding_mode != "zeros"])
def test_border_links_point_at_the_pixel_the_border_cell_copies(spec):
    d, before = spec.dims, np.array(spec.pads[::2])
    terms = _explain(spec, "output", (*([0] if spec.batched else []), 0, *(0,) * d))
    p = Provenance(terms)
    pairs = [p.at(step).links["current"] for step in range(len(p))]
    frm = np.concatenate([f for f, _ in pairs])
    to = np.concatenate([t for _, t in pairs])
    assert len(frm) > 0, "a corner window under this padding reads the border"
    for a, b in zip(frm, to, strict=True):
        inside = (a[-d:] >= before) & (a[-d:] - before < np.array(spec.input_size))
        assert not inside.all(), "only border cells link"
        assert _rows(padded_to_real(spec, a[None])) == {(*a[:-d], *(b[-d:] - before))}
    assert border_copies(terms) == len(_rows(frm))
    assert cell_set(p.at(None), "input", "source") == _rows(to)


@pytest.mark.parametrize(("spec", "source"), [
    pytest.param(spec, source, id=f"{i}-{source}") for spec, i in zip(SPECS, IDS, strict=True)
    for source in SOURCES if source != "bias" or spec.bias])
def test_hover_shows_what_the_reverse_look_up_finds(spec, source):
    index = tuple(int(i) for i in np.array(spec.shape(source)) // 2)
    terms = readers(spec, source, index, **Session.default(spec, seed=3).tensors())
    h = Provenance(terms).hover()
    assert cell_set(h, terms.target, "hover") == _rows(terms.entries())
    for name in SOURCES:
        mask = terms.reading(name)
        if mask.any() and not (name == "input" and not spec.transposed):
            assert cell_set(h, name, "hover") == _rows(terms.indices(name))
        elif mask.any():
            assert cell_set(h, name, "hover") >= _rows(terms.padded_cells()[mask])


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_sweeps_visit_every_d_dimensional_entry_in_order(spec):
    for target in ("output", "grad_input", "grad_weight"):
        shape = spec.shape(target)
        assert len(shape) == (2 if target == "grad_weight" else 1 + spec.batched) + spec.dims
        total = entry_count(spec, target)
        assert total == int(np.prod(shape))
        position = total // 2
        h = sweep(spec, target, position)
        current = entry_at(spec, target, position)
        assert cell_set(h, target, "write") == {current}
        assert len(h.get(target, "pending")) == total - position - 1
        assert h.focus[target] == current[: -spec.dims] and h.anchor[target] == current
    assert entry_count(spec, "grad_bias") == (spec.out_channels if spec.bias else 0)


def test_entries_of_d_dimensional_tensors_parse_and_are_checked():
    spec = SPECS[3]  # (1, 2, 3, 3, 4) input, batched 3D
    assert parse_entry("output[0, 1, 2, 0, -1]") == ("output", (0, 1, 2, 0, -1))
    tensor, index = checked_entry("output[0,1,2,0,-1]", 0, spec)
    assert index == (0, 1, 2, 0, spec.output_size[2] - 1)
    shape = spec.output_shape
    assert shape == (1, 2, 4, 2, 4)
    with pytest.raises(ValueError, match=r"whose shape is \(1, 2, 4, 2, 4\)"):
        checked_entry("output[0,1,2,0]", None, spec)
    count = len(explain_spec(spec, "grad_weight", (1, 0, 1, 1, 2)))
    with pytest.raises(ValueError, match=f"sum of {count} terms"):
        checked_entry("grad_weight[1,0,1,1,2]", count, spec)
    # unbatched (2, 6): the first output reads the last tap of each of 2 input channels (the
    # others read the left padding), plus the bias
    causal = SPECS[1]
    assert checked_entry("output[1,0]", 2, causal) == ("output", (1, 0))
    with pytest.raises(ValueError, match="sum of 3 terms"):
        checked_entry("output[1,0]", 3, causal)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_focus_is_the_lead_index_of_each_grid(spec):
    target = "grad_weight"
    terms = _explain(spec, target, tuple(n - 1 for n in spec.shape(target)))
    p = Provenance(terms)
    for step in range(len(terms)):
        focus = p.focus(step)
        for name in ("input", "grad_output", "grad_weight"):
            cell = terms.cells(name)[step]
            lead = len(spec.shape(name)) - spec.dims
            assert focus[name] == tuple(cell[:lead].tolist()), name
        assert focus["weight"] == focus["grad_weight"]
