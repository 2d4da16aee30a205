"""gui.diagram's model on its own (no Qt): the panels, marks, equation lines and copy arrows
of the diagram figure. Drawing it (PNG, SVG, GIF) is tested in tests/gui/test_diagram.py."""

from __future__ import annotations

import dataclasses

import numpy as np

from core.explain import explain_spec
from gui.diagram import build_diagram
from gui.equation import symbolic
from gui.provenance import MAX_LINKS, Provenance, arrows_note, border_copies
from tests.views.explainer_scene import preset_scene, results_of


def test_an_output_entry_shows_what_its_sum_reads():
    session, results = preset_scene("default")
    index = (0, 1, 2, 2)
    d = build_diagram(session, results, "output", index, step=3)
    assert [p.name for p in d.panels()] == ["input", "weight", "bias", "output"]
    assert d.rows[0][1] == ("⊛", "+", "=")
    terms = explain_spec(session.spec, "output", index, **session.tensors())
    # the entry's value stated at any step (review r13 S8), as the output holds it
    assert d.lines[0].startswith(symbolic(terms) + "   = ")
    stated = float(d.lines[0].rsplit("= ", 1)[1].replace("−", "-"))
    assert abs(stated - results.output[0, 1, 2, 2]) <= 1e-5 * max(1.0, abs(stated))
    assert build_diagram(session, results, "output", index).lines[0] == symbolic(terms)
    out = d.panel("output")
    assert out.marks["write"].tolist() == [[2, 2]]
    np.testing.assert_array_equal(out.values, results.output[0, 1])
    weight = d.panel("weight")  # the slice of the current term's kernel tap
    assert weight.subtitle.startswith(f"o=1, c={terms.c[3]}")
    kh, kw = terms.kh[3], terms.kw[3]
    assert weight.marks["current"].tolist() == [[kh, kw]]
    top, left = session.spec.pads[0], session.spec.pads[2]
    assert d.panel("input").real[:2] == (top, left)  # drawn padded, the real cells inside


def test_no_selection_shows_all_eight_and_no_bias_drops_its_operator():
    session, results = preset_scene("default")
    d = build_diagram(session, results)
    assert len(d.panels()) == 8 and d.lines == ()
    session = session.with_spec(dataclasses.replace(session.spec, bias=False))
    d = build_diagram(session, results_of(session), "output", (0, 0, 0, 0))
    assert [p.name for p in d.panels()] == ["input", "weight", "output"]
    assert d.rows[0][1] == ("⊛", "=")


def test_a_transposed_layer_writes_its_own_operations():
    """x ⊛ᵀ W = y forward, and its grad_input is the plain convolution gy ⊛ W."""
    session, results = preset_scene("transposed_stride2_padding")
    d = build_diagram(session, results, "output", (0, 0, 1, 1))
    assert d.rows[0][1] == ("⊛ᵀ", "=")  # no bias
    assert d.panel("output").title == "output y = x ⊛ᵀ W"
    d = build_diagram(session, results, "grad_input", (0, 0, 1, 1))
    assert d.rows[0][1] == ("⊛", "=")
    assert build_diagram(session, results).rows[0][1] == ("⊛ᵀ", "=")


# -- copy arrows ----------------------------------------------------------------------------
def test_many_copies_draw_only_the_current_arrow_and_a_legend():
    session, results = preset_scene("reflect_padding")
    terms = explain_spec(session.spec, "grad_weight", (0, 0, 1, 1), **session.tensors())
    p = Provenance(terms)
    assert p.copies == border_copies(terms) > MAX_LINKS  # a whole padded plane is read
    assert "read" not in p.at(None).links  # no arrows for the whole sum …
    assert "border cells copy a real pixel" in arrows_note(terms)  # … a legend instead
    for step in range(len(p)):
        links = p.at(step).links
        assert set(links) <= {"current"} and len(links["current"][0]) <= 1
    d = build_diagram(session, results, "grad_weight", (0, 0, 1, 1), None)
    assert len(d.panel("input").links) == 0 and any("copy a real pixel" in n for n in d.notes)


def test_few_copies_draw_every_arrow_without_a_legend():
    session, results = preset_scene("reflect_padding")
    terms = explain_spec(session.spec, "output", (0, 0, 0, 0), **session.tensors())
    p = Provenance(terms)
    assert 0 < p.copies <= MAX_LINKS
    assert len(p.at(None).links["read"][0]) == p.copies and arrows_note(terms) == ""
    d = build_diagram(session, results, "output", (0, 0, 0, 0), None)
    assert len(d.panel("input").links) == p.copies
