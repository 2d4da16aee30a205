"""ConvTranspose2d in the app: the layer-kind switch, output_padding, and undo across them."""

from __future__ import annotations

import numpy as np
from files_support import data_home_fixture, files_fixture  # noqa: F401
from gui_checks import assert_results_match_core, marked_rows
from PySide6.QtCore import QPointF

from core.im2col_steps import im2col_steps
from core.session import regroup_weight
from gui import im2col_transposed
from gui.selection import Selection


def set_combo(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def test_switching_kinds_keeps_what_fits_and_is_one_undo_step(window):
    doc, panel = window.document, window.panel
    before = doc.session
    steps = doc.undo_stack.count()
    set_combo(panel.kind, True)
    after = doc.session
    assert after.spec == before.spec.replace(transposed=True)
    assert doc.undo_stack.count() == steps + 1
    assert doc.undo_stack.undoText() == "Switch to ConvTranspose2d"
    # input and bias as they were; each weight value still links the same two channels
    np.testing.assert_array_equal(after.input, before.input)
    np.testing.assert_array_equal(after.bias, before.bias)
    np.testing.assert_array_equal(after.weight, regroup_weight(before.weight, 1))
    assert after.weight.shape == (3, 4, 3, 3)
    note = window.status.currentMessage()
    assert "Switched to ConvTranspose2d" in note and "weight regrouped (4, 3, 3, 3)" in note
    # the panel speaks of the new layer
    assert panel.title.text() == "nn.ConvTranspose2d"
    assert "nn.ConvTranspose2d(3, 4, kernel_size=3, padding=1" in panel.call.text()
    assert panel.output_padding_h.isVisibleTo(panel)
    # its new rows take no width from the grids, and nothing in the panel is cut
    assert panel.minimumSizeHint().width() <= panel.width()
    assert "(16 − 1)·1 − 1 − 1 + 1·(3 − 1) + 0 + 1<" in panel.shapes.text()
    assert "output before cropping" in panel.shapes.text()
    # and so do the window's title, the output grid's formula and the forward heading
    assert window.windowTitle() == "untitled[*] — nn.ConvTranspose2d — ConvViz"
    grids = window.grids
    shown = grids.grids["output"]._title.text().replace("\u00a0", " ")  # unbreakable formula
    assert shown.startswith("output y = x ⊛ᵀ W + b")
    assert grids.headings[0].text() == "Forward   y = x ⊛ᵀ W + b"
    assert grids._operators[0].text() == "⊛ᵀ"
    assert_results_match_core(window)

    doc.undo_stack.undo()
    assert doc.session.spec == before.spec and not panel.kind.currentData()
    for name in ("input", "weight", "bias", "grad_output"):
        np.testing.assert_array_equal(doc.tensor(name), before.tensor(name), err_msg=name)
    assert panel.title.text() == "nn.Conv2d" and not panel.output_padding_h.isVisibleTo(panel)
    assert window.windowTitle() == "untitled[*] — nn.Conv2d — ConvViz"
    assert grids.headings[0].text() == "Forward   y = x ⊛ W + b"
    doc.undo_stack.redo()
    assert doc.spec.transposed and panel.kind.currentData()
    np.testing.assert_array_equal(doc.tensor("weight"), after.weight)


def test_output_padding_and_the_choices_a_transposed_layer_refuses(window):
    doc, panel = window.document, window.panel
    set_combo(panel.padding_mode, "reflect")
    set_combo(panel.kind, True)  # padding_mode 'reflect' is Conv2d's only: refused inline
    assert not doc.spec.transposed
    assert "padding_mode must be 'zeros' for a transposed convolution" in panel.message
    assert "padding_mode" in marked_rows(panel)
    reflect = panel.padding_mode.model().item(panel.padding_mode.findData("reflect"))
    same = panel.padding_kind.model().item(panel.padding_kind.findData("same"))
    assert not reflect.isEnabled() and not same.isEnabled()
    set_combo(panel.padding_mode, "zeros")
    assert doc.spec.transposed and not panel.message

    panel.stride_h.setValue(2)
    panel.output_padding_h.setValue(1)
    assert doc.spec.output_padding == (1, 0) and doc.spec.output_size == (32, 16)
    assert "output_padding=(1,&nbsp;0)" in panel.call.text()
    panel.output_padding_w.setValue(1)  # stride 1, dilation 1 along the width: too large
    assert "output_padding" in marked_rows(panel)
    assert "output_padding 1 must be smaller than either the stride 1" in panel.message
    assert doc.spec.output_padding == (1, 0)
    panel.output_padding_w.setValue(0)
    # back to Conv2d: output_padding goes (a Conv2d has none), and the note says so
    set_combo(panel.kind, False)
    assert not doc.spec.transposed and doc.spec.output_padding == (0, 0)
    assert "output_padding (1, 0) dropped" in window.status.currentMessage()
    assert reflect.isEnabled() and same.isEnabled()
    assert_results_match_core(window)


def test_compare_with_the_matching_conv2d_shows_equal_numbers(window):
    window.presets_menu.load("transposed_vs_conv2d")
    window.twin_action.trigger()
    view = window.twin_view
    assert view.isVisible()
    assert "nn.Conv2d(1, 2, kernel_size=3, stride=2, padding=1" in view.header.text()
    assert "max |Δ| = 0" in view.header.text()
    output = window.grids.grids["output"].array[0, 0]
    assert view.texts("ours") == view.texts("theirs")
    assert view.texts("ours")[2] == [f"{v:g}".replace("-", "−") for v in output[2]]
    # it follows an edit of the layer while shown
    window.panel.kind.setCurrentIndex(window.panel.kind.findData(False))
    assert "nn.ConvTranspose2d(1, 2, kernel_size=3, stride=2, padding=1" in view.header.text()
    assert view.comparison.ours == "grad_input" and view.comparison.max_abs_delta < 1e-12
    view.close()


def test_a_transposed_session_saves_and_opens(window, files, tmp_path):
    window.presets_menu.load("transposed_stride2_padding")
    saved = window.document.session
    assert files.save_to(tmp_path / "t.npz")
    window.panel.kind.setCurrentIndex(window.panel.kind.findData(False))
    assert not window.document.spec.transposed
    assert files.open_path(tmp_path / "t.npz") and files.prompts.errors == []
    s = window.document.session
    assert s.spec == saved.spec and window.panel.kind.currentData() is True
    np.testing.assert_array_equal(s.weight, saved.weight)
    assert_results_match_core(window)


def test_hover_paints_the_patch_and_a_selected_output_reads_the_copies(window, qtbot):
    """transposed_stride2_padding: 3×3 → 5×5, kernel 3, stride 2, padding 1."""
    window.presets_menu.load("transposed_stride2_padding")
    grids, doc = window.grids.grids, window.document
    inp = grids["input"]
    assert inp.image.image.shape == (3, 3) and inp.offset == (0, 0)  # no padded frame
    # hovering input pixel (1, 1) (the mouse, through the grid) paints output rows and
    # columns 2·1 − 1 + (0, 1, 2): its kernel copy
    inp.vb.hovered.emit(QPointF(1.5, 1.5))
    qtbot.waitUntil(lambda: bool(grids["output"].highlighted("hover")), timeout=2000)
    assert window.selection.hover.index == (0, 0, 1, 1)
    assert set(grids["output"].highlighted("hover")) == {
        (0, 0, r, c) for r in (1, 2, 3) for c in (1, 2, 3)}
    # a corner pixel's copy is cropped by the padding: 2×2 of its 3×3 cells remain
    inp.vb.hovered.emit(QPointF(0.5, 0.5))
    qtbot.waitUntil(lambda: len(grids["output"].highlighted("hover")) == 4, timeout=2000)
    assert set(grids["output"].highlighted("hover")) == {
        (0, 0, r, c) for r in (0, 1) for c in (0, 1)}
    window.selection.set_hover(Selection())

    # output[0,0,1,1] (the full result's (2, 2)) sums the copies of pixels (0..1, 0..1)
    window.selection.set_selection(Selection("output", (0, 0, 1, 1)))
    terms = window.explainer.terms
    assert len(terms) == 4
    assert set(grids["input"].highlighted("read")) == {(0, 0, h, w) for h in (0, 1)
                                                       for w in (0, 1)}
    assert set(grids["weight"].highlighted("read")) == {(0, 0, kh, kw) for kh in (0, 2)
                                                        for kw in (0, 2)}
    total = sum(doc.tensor("input")[0, 0, h, w] * doc.tensor("weight")[0, 0, 2 - 2 * h,
                                                                       2 - 2 * w]
                for h in (0, 1) for w in (0, 1))
    assert grids["output"].array[0, 0, 1, 1] == total
    # at a step, the output shows the current term's painted copy
    window.selection.set_selection(Selection("output", (0, 0, 1, 1), step=3))
    qtbot.waitUntil(lambda: bool(grids["output"].highlighted("window")), timeout=2000)
    h, w = int(terms.h[3]), int(terms.w[3])
    assert set(grids["output"].highlighted("window")) == {
        (0, 0, r, c) for r in range(2 * h - 1, 2 * h + 2) for c in range(2 * w - 1, 2 * w + 2)
        if 0 <= r < 5 and 0 <= c < 5}
    assert window.equation.formula.text() == (
        "output[0,0,1,1] = Σ_{c∈0..0,i,j} x[0,c,(2−i)/2,(2−j)/2] · W[c,0,i,j]")
    assert window.equation.running_sum() == total
    # the im2col tab: x · W = cols (each row a pixel's painted copy), folded, then cropped;
    # the four terms' copies meet in one cell of the full output, (2, 2) before the crop
    view = window.im2col
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.shown("cols", "forward") is not None, timeout=2000)
    assert view.page == "forward" and "painted copy" in view.caption.text()
    s = doc.session
    want = im2col_transposed.matrices(im2col_steps(s.spec, s.input, s.weight, s.bias,
                                                   s.grad_output))
    for name in im2col_transposed.PAGES["forward"]:
        shown = view.shown(name, "forward")
        np.testing.assert_array_equal(shown, want[name] if want[name].ndim == 2 else
                                      want[name][0], err_msg=name)
    read, current = view.marked("cols")
    rows = [3 * h + w for h in (0, 1) for w in (0, 1)]
    assert {tuple(c) for c in np.argwhere(read)} == {
        (3 * h + w, 3 * (2 - 2 * h) + 2 - 2 * w) for h in (0, 1) for w in (0, 1)}
    assert current.sum() == 1 and np.argwhere(current)[0][0] == rows[[(h, w) for h in (0, 1)
                                                                        for w in (0, 1)].index(
        (int(terms.h[3]), int(terms.w[3])))]
    read, _ = view.marked("full_output")
    assert [tuple(c) for c in np.argwhere(read)] == [(2, 2)]
    assert view.shown("full_output")[2, 2] == total
    # the backward pages follow a grad_input entry
    window.selection.set_selection(Selection("grad_input", (0, 0, 1, 1), step=0))
    qtbot.waitUntil(lambda: view.page == "grad_input", timeout=2000)
    assert view.marked("grad_input_matrix")[0][4, 0]  # row h·3 + w = 4, channel 0
    # back to the kind switch's other side, the tab on screen: a Conv2d's pages again
    set_combo(window.panel.kind, False)
    qtbot.waitUntil(lambda: view.page_box.itemData(2) == "grad_cols", timeout=2000)
    assert view.shown("product", "forward") is not None and "output positions" in \
        view.caption.text()
    window.tabs.setCurrentWidget(window.grids)


def test_the_im2col_tab_opens_on_the_sample_selected_while_it_was_hidden(make_window, qtbot):
    """A grouped, batched transposed layer with a bias: an entry of sample 1 selected on the
    Tensors tab, then the im2col tab shows sample 1's matrices with its terms marked."""
    from tests.views.explainer_scene import TENTRIES, transposed_scene

    window = make_window(transposed_scene()[0])
    view = window.im2col
    window.selection.set_selection(Selection("output", TENTRIES["output"], step=2))
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.shown("cols", "forward") is not None, timeout=2000)
    assert view.sample.value() == 1 and view.page == "forward"
    s = window.document.session
    want = im2col_transposed.matrices(im2col_steps(s.spec, s.input, s.weight, s.bias,
                                                   s.grad_output, sample=1))
    np.testing.assert_array_equal(view.shown("cols"), want["cols"])
    terms = window.explainer.terms
    read, current = view.marked("cols")
    # a cell per painted copy's tap (the group's input channels add up in one cell of x · W);
    # the bias term has none
    copies = {(h, w, i, j) for h, w, i, j in zip(terms.h, terms.w, terms.kh, terms.kw,
                                                 strict=True) if i >= 0}
    assert read.sum() == len(copies) and current.sum() == 1
    assert view.marked("input_matrix")[0].sum() == len(terms) - 1
    # grad_bias: every grad_output entry of its channel, on the grad_input page
    window.selection.set_selection(Selection("grad_bias", TENTRIES["grad_bias"]))
    qtbot.waitUntil(lambda: view.page == "grad_input", timeout=2000)
    read, _ = view.marked("grad_output")
    assert read.all() and view.plots["grad_input", "grad_output"].channel == 2
    window.tabs.setCurrentWidget(window.grids)
