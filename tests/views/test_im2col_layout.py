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


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_every_matrix_has_a_title_and_labels_and_each_3d_image_its_slices(dims, transposed):
    from core.spec import LayerSpec
    from gui import im2col_layout, im2col_transposed

    lay = im2col_transposed if transposed else im2col_layout
    spec = LayerSpec(2, 4, 2, stride=2, padding=1, groups=2, dims=dims, transposed=transposed,
                     input_size=(3, 4, 5)[-dims:])
    shown = {name for names in lay.PAGES.values() for name in names}
    titles, labels, slices = lay.titles(spec), lay.labels(spec), lay.slices(spec)
    assert set(titles) == set(labels) == shown
    images = lay.IMAGES.sizes(spec)
    assert set(images) < shown
    # image rows labelled "d,h" in 3D; plain numbers otherwise (1D: a channel a row)
    assert all((labels[name][0] is not None) == (dims == 3) for name in images)
    if dims == 2:
        assert titles == lay.TITLES and slices == {}
    elif dims == 1:  # every image all channels at once, a row each: "(C × L)", "(O × L)"
        assert all(" × " in titles[name] and " L" in titles[name] for name in images)
        assert slices == {}
    else:  # each channel's depth slices stacked, a slice every height's rows
        assert all("(D·H × W" in titles[name] for name in images)
        assert slices == {name: size[1] for name, size in images.items()}
    assert all(titles[name] == lay.TITLES[name] for name in shown - set(images))


@pytest.mark.parametrize("transposed", [False, True])
def test_a_1d_images_title_names_the_length_it_is_drawn_with(transposed):
    """Review r12 F3: "output y (O × L)" over 9 columns when the caption's L is 4 input
    positions; each 1D image's title names its own length, and the caption gives it."""
    import re

    from core.spec import LayerSpec
    from gui import im2col_layout, im2col_transposed

    lay = im2col_transposed if transposed else im2col_layout
    spec = LayerSpec(2, 3, 3, stride=2, padding=1, dims=1, transposed=transposed, input_size=9)
    positions = (spec.as_conv() if transposed else spec).output_size[0]
    (n_in,), (n_out,), (padded,) = spec.input_size, spec.output_size, spec.padded_size
    assert n_in != n_out  # a layer that tells them apart
    lengths = {"L": positions, "L_in": n_in, "L_out": n_out, "padded L_in": padded,
               "L_out + 2·padding": padded}
    titles = lay.titles(spec)
    caption = lay.caption(spec).replace("\u00a0", " ")  # formulas are glued (F11)
    for name, (size,) in lay.IMAGES.sizes(spec).items():
        symbol = re.search(r"\(\w × ([^,)]+)", titles[name]).group(1)
        assert lengths[symbol] == size, (name, titles[name])
    assert f"L = {positions} " in caption
    assert f"L_in = {n_in} and L_out = {n_out} long" in caption
