"""gui.im2col_layout on its own (no Qt): the matrices the im2col tab arranges are core's, and
the cells it marks are the ones that multiply into the selected entry."""

from __future__ import annotations

import numpy as np
import pytest

from core.im2col_steps import im2col_steps
from gui.im2col_layout import block_diagonal, marks, matrices, side_by_side
from tests.views.explainer_scene import ENTRIES, SPEC, spec_scene, spec_terms


def test_arrangement_keeps_every_number_of_core():
    s, _ = spec_scene()
    st = im2col_steps(SPEC, s.input, s.weight, s.bias, s.grad_output, sample=1)
    m = matrices(st)
    g, k = SPEC.groups, st.cols.shape[2]
    og = SPEC.out_per_group
    for i in range(g):
        np.testing.assert_array_equal(m["cols"][:, i * k : (i + 1) * k], st.cols[i])
        np.testing.assert_array_equal(m["weight_t"][i * k : (i + 1) * k, i * og : (i + 1) * og],
                                      st.weight_matrix[i].T)
        np.testing.assert_array_equal(m["grad_weight"][i * og : (i + 1) * og, i * k : (i + 1) * k],
                                      st.grad_weight_matrix[i])
        np.testing.assert_array_equal(m["grad_cols"][:, i * k : (i + 1) * k], st.grad_cols[i])
    assert np.isnan(block_diagonal(st.weight_matrix)).sum() == g * (g - 1) * og * k
    assert side_by_side(st.product).shape == (st.cols.shape[1], SPEC.out_channels)
    np.testing.assert_array_equal(m["grad_input"], st.grad_input)


def test_im2col_marks_are_the_cells_that_multiply():
    """Summing the marked products of the shown matrices gives the entry back."""
    s, results = spec_scene()
    terms = spec_terms(s, "grad_weight")
    total = 0.0
    for sample in range(SPEC.batch):
        st = im2col_steps(SPEC, s.input, s.weight, s.bias, s.grad_output, sample=sample)
        m = matrices(st)
        mk = marks(terms, sample).marks
        dy = mk["grad_output_t"].read
        cols = mk["cols"].read
        total += np.sum(m["grad_output_t"][dy[:, 0], dy[:, 1]] * m["cols"][cols[:, 0], cols[:, 1]])
    assert total == pytest.approx(results.grad_weight[ENTRIES["grad_weight"]], rel=1e-12)
