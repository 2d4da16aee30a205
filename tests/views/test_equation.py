"""gui.equation on its own (no Qt): an entry that is a sum of no terms says why."""

from __future__ import annotations

import pytest

from core.explain import explain_spec
from core.session import Session
from core.spec import LayerSpec
from gui.equation import empty_reason


@pytest.mark.parametrize(("layer", "target", "index", "reason"), [
    ({"batch": 0}, "grad_weight", (0, 0, 1, 1), "the batch is empty"),
    ({"batch": 0, "bias": True}, "grad_bias", (0,), "the batch is empty"),
    ({"padding": 3}, "output", (0, 0, 0, 0), "every tap of its window reads"),
    ({"padding": (0, 3), "dilation": (1, 4)}, "grad_weight", (0, 0, 0, 0),
     "at every output position this tap reads zero padding"),
    ({"padding": -1, "padding_mode": "replicate"}, "grad_input", (0, 0, 0, 3), "crops"),
    ({"stride": 2, "dilation": 2}, "grad_input", (0, 0, 1, 1),
     "the stride and dilation step over it"),
])
def test_an_empty_sum_names_its_reason(layer, target, index, reason):
    """Each reason is checked against explain: the entry really has no terms."""
    spec = LayerSpec(1, 2, 3, bias=False, input_size=(5, 5), batch=1).replace(**layer)
    session = Session.default(spec)
    terms = explain_spec(spec, target, index, **session.tensors())
    assert len(terms) == 0
    assert reason in empty_reason(terms)


def test_a_cell_never_prints_a_small_value_as_a_true_zero():
    from gui.equation import cell_number

    assert cell_number(0.0168, "{:.1f}") == "≈0" and cell_number(-0.04, "{:.1f}") == "≈0"
    assert cell_number(0.0, "{:.1f}") == "0" and cell_number(-0.0, "{:.3f}") == "0"
    assert cell_number(-0.4619, "{:.1f}") == "−0.5" and cell_number(2.0, "{:.3f}") == "2"
    assert cell_number(1e-7, "{:.1e}") == "1e−7"


def test_exponents_spend_no_characters_on_plus_signs_and_zeros():
    """Review r13 R6: 249 001 printed '2e+05' (20 % off as read) in a cell where '2.5e5',
    as short, fits; the Sum panel writes them alike."""
    from gui.equation import cell_number, fmt

    assert cell_number(249001, "{:.1e}") == "2.5e5"
    assert len(cell_number(249001, "{:.1e}")) == len("2e+05")
    assert cell_number(-0.000123, "{:.2e}") == "−1.23e−4"
    assert cell_number(1e-4, "{:.2e}") == "1e−4"  # the mantissa trimmed too
    assert fmt(249001) == "2.49e5" and fmt(1e100) == "1e100"
    assert fmt(complex(1.5e5, -2e5)) == "(1.5e5−2e5j)"
    assert fmt(0.5) == "0.5" and cell_number(256.0, "{:.3f}") == "256"
