"""im2col captions and image labels (review r12 F11, F14): formulas never break inside, a
stacked 3D image's rows are labelled per depth slice, and an image drawn a channel at a time
can name the channel."""

from __future__ import annotations

import re

import pytest

from core.spec import LayerSpec
from gui import im2col_layout, im2col_transposed
from gui.im2col_axes import SliceRows, axis_labels

CONV3D = LayerSpec(2, 2, 2, dims=3, input_size=(4, 4, 3))
TRANSPOSED3D = LayerSpec(1, 1, 2, stride=2, dims=3, transposed=True, input_size=2)
FORMULA = re.compile(r"\b[LKG] = ")


@pytest.mark.parametrize("spec", [CONV3D, TRANSPOSED3D, LayerSpec(2, 3, 3, input_size=5),
                                  LayerSpec(2, 3, 3, dims=1, input_size=7),
                                  LayerSpec(2, 2, 3, transposed=True, input_size=4)])
def test_caption_formulas_do_not_break_inside(spec):
    lay = im2col_transposed if spec.transposed else im2col_layout
    text = lay.caption(spec)
    assert not FORMULA.search(text)  # "K = …" would break after "K"
    for clause in text.split(";  "):
        head = clause.split(" ")[0]  # the glued formula, up to the first breakable space
        if head.startswith("K"):
            assert "/\u2060G" in head  # no break after "C/" or "O/"
        if head.startswith(("L", "K", "G")):
            assert re.search(r"\u00a0=\u00a0\d+$", head), head  # "… = 8" all in one piece


def test_stacked_image_rows_are_labelled_per_depth_slice():
    for lay, spec, name in ((im2col_layout, CONV3D, "output"),
                            (im2col_transposed, TRANSPOSED3D, "grad_output")):
        rows, _ = lay.labels(spec)[name]
        h = lay.slices(spec)[name]
        assert isinstance(rows, SliceRows) and rows.period == h
        assert [rows(d * h) for d in range(3)] == ["0,0", "1,0", "2,0"]
        assert rows(h + 1) == "1,1"
    assert axis_labels(LayerSpec(2, 2, 2, dims=1, input_size=5), "image", 1, (5,)) is None


def test_image_titles_can_name_the_channel_drawn():
    titles = im2col_layout.titles(CONV3D, {"output": 1, "grad_input": 0})
    assert titles["output"].startswith("output, channel o = 1  (D·H × W")
    assert titles["grad_input"].startswith("pad adjoint → grad_input, channel c = 0")
    assert titles["grad_padded"] == "col2im(dcols), channel c  (D·H × W)"  # not given: the letter
    t = im2col_transposed.titles(TRANSPOSED3D, {"grad_output": 0})
    assert t["grad_output"].startswith("grad_output gy, channel o = 0")
    assert im2col_layout.titles(CONV3D)["output"].startswith("output, channel o  (")
