"""gui.im2col_transposed on its own (no Qt): a transposed layer's matrices as the im2col tab
arranges them are core's, and the cells it marks for an entry are the factors of its terms."""

from __future__ import annotations

import numpy as np
import pytest

from core.explain import explain_spec
from core.im2col_steps import im2col_steps
from gui import im2col_transposed as lay
from tests.views.explainer_scene import TENTRIES, TSPEC, transposed_scene

SAMPLE = 1


@pytest.fixture(scope="module")
def scene():
    s, results = transposed_scene()
    steps = im2col_steps(TSPEC, s.input, s.weight, s.bias, s.grad_output, sample=SAMPLE)
    return s, results, steps, lay.matrices(steps)


def _terms(s, target):
    return explain_spec(TSPEC, target, TENTRIES[target], **s.tensors())


def _at(matrix: np.ndarray, cells: np.ndarray) -> np.ndarray:
    return matrix[tuple(cells.T)]


def test_arrangement_keeps_every_number_of_core(scene):
    s, results, st, m = scene
    g, k, cg = TSPEC.groups, st.cols.shape[2], TSPEC.in_per_group
    assert m["cols"].shape == (st.cols.shape[1], g * k)
    for i in range(g):
        rows, cols = slice(i * cg, (i + 1) * cg), slice(i * k, (i + 1) * k)
        np.testing.assert_array_equal(m["input_matrix"][:, rows], st.input_matrix[i])
        np.testing.assert_array_equal(m["weight_matrix"][rows, cols], st.weight_matrix[i])
        np.testing.assert_array_equal(m["weight_matrix_t"][cols, rows], st.weight_matrix[i].T)
        np.testing.assert_array_equal(m["cols"][:, cols], st.cols[i])
        np.testing.assert_array_equal(m["input_matrix_t"][rows], st.input_matrix[i].T)
        np.testing.assert_array_equal(m["grad_output_cols"][:, cols], st.grad_output_cols[i])
        np.testing.assert_array_equal(m["grad_weight_matrix"][rows, cols],
                                      st.grad_weight_matrix[i])
        np.testing.assert_array_equal(m["grad_input_matrix"][:, rows], st.grad_input_matrix[i])
    # outside the diagonal blocks: blank
    assert np.isnan(m["weight_matrix"]).sum() == g * (g - 1) * cg * k
    # the images are this sample's tensors: what the grids show (summed in another order)
    np.testing.assert_allclose(m["output"], results.output[SAMPLE], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m["grad_input"], results.grad_input[SAMPLE], rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_array_equal(m["grad_output"], s.grad_output[SAMPLE])


def test_the_dashed_frame_is_what_the_crop_keeps(scene):
    s, results, _, m = scene
    top, left, rows, cols = lay.boxes(TSPEC)["full_output"]
    kept = m["full_output"][:, top : top + rows, left : left + cols]
    np.testing.assert_allclose(kept + s.bias[:, None, None], results.output[SAMPLE],
                               rtol=1e-10, atol=1e-12)
    assert (rows, cols) == TSPEC.output_size
    assert lay.boxes(TSPEC.replace(padding=0, output_padding=0)) == {}  # nothing cropped


@pytest.mark.parametrize("target", ["output", "grad_input", "grad_weight"])
def test_marked_cells_are_each_terms_factors(scene, target):
    """Term by term, the two marked cells of the product's factors multiply to the term's
    value; the product's marked cell is the term's row and column."""
    s, _, _, m = scene
    terms = _terms(s, target)
    kept = np.flatnonzero((terms.n == SAMPLE) & (terms.kh >= 0))
    assert kept.size  # the entry reads this sample
    step = int(kept[-1])
    found = lay.marks(terms, SAMPLE, step)
    assert found.page == lay.PAGE_OF[target]
    mk = found.marks
    a, b, product = {
        "output": ("input_matrix", "weight_matrix", "cols"),
        "grad_input": ("grad_output_cols", "weight_matrix_t", "grad_input_matrix"),
        "grad_weight": ("input_matrix_t", "grad_output_cols", "grad_weight_matrix"),
    }[target]
    values = _at(m[a], mk[a].read) * _at(m[b], mk[b].read)
    np.testing.assert_allclose(values, terms.value[kept], rtol=1e-12)
    # a's column (row for the transposed factor) meets b's row in the product's cell
    np.testing.assert_array_equal(mk[product].read, np.stack(
        [mk[a].read[:, 0], mk[b].read[:, 1]], axis=1))
    for name, mark in mk.items():
        np.testing.assert_array_equal(mark.current, mark.read[-1:], err_msg=name)
    for name in lay.PAGES[found.page]:
        cells = mk[name].read
        shape = m[name].shape
        assert ((cells >= 0) & (cells < shape[-cells.shape[1]:])).all(), name


def test_output_marks_the_entry_before_and_after_the_crop(scene):
    s, results, _, m = scene
    terms = _terms(s, "output")
    n, o, oi, oj = TENTRIES["output"]
    mk = lay.marks(terms, SAMPLE).marks
    top, left, _, _ = lay.boxes(TSPEC)["full_output"]
    assert {tuple(c) for c in mk["full_output"].read} == {(o, oi + top, oj + left)}
    assert {tuple(c) for c in mk["output"].read} == {(o, oi, oj)}
    assert mk["output"].channel == mk["full_output"].channel == o
    # the copies' cells add up to the full output's entry: fold
    cells = {tuple(c) for c in mk["cols"].read}
    total = sum(m["cols"][c] for c in cells)
    assert total == pytest.approx(m["full_output"][o, oi + top, oj + left], rel=1e-12)
    assert total + s.bias[o] == pytest.approx(results.output[n, o, oi, oj], rel=1e-12)


def test_grad_input_and_grad_bias_mark_grad_output(scene):
    s, _, _, m = scene
    terms = _terms(s, "grad_input")
    mk = lay.marks(terms, 0).marks  # the entry is sample 1's: sample 0's matrices show none
    assert all(len(mark.read) == 0 for mark in mk.values())
    mk = lay.marks(terms, SAMPLE, 2).marks
    # gy's cells under the copy, each the unfolded cell it became
    np.testing.assert_array_equal(_at(m["grad_output"], mk["grad_output"].read),
                                  _at(m["grad_output_cols"], mk["grad_output_cols"].read))
    assert mk["grad_output"].channel == terms.o[2]  # the current term's channel on screen
    assert lay.PAGE_OF["grad_bias"] == "grad_input"
    gb = lay.marks(explain_spec(TSPEC, "grad_bias", (2,), **s.tensors()), SAMPLE).marks
    cells = gb["grad_output"].read
    assert set(cells[:, 0]) == {2} and len(cells) == TSPEC.output_size[0] * TSPEC.output_size[1]
    assert _at(m["grad_output"], cells).sum() == pytest.approx(s.grad_output[SAMPLE, 2].sum(),
                                                               rel=1e-12)


def test_caption_names_the_sizes():
    text = lay.caption(TSPEC).replace("\u00a0", " ").replace("\u2060", "")  # glued formulas
    assert "L = 3·5 = 15 input positions" in text  # 4 columns and the Conv2d's extra one
    assert "(the last 1 column: past the input, zeros that paint nothing)" in text
    assert "K = O/G·kh·kw = 3·3·2 = 18" in text and "G = 2" in text
    assert "crops the 8×7 full output to 6×7" in text
