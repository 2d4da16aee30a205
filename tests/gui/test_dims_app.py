"""Conv1d and Conv3d in the Layer panel: the 1D/2D/3D switch (one undo step, keeping what
fits), the causal checkbox, the code preview per kind × d, and refusals marking the rows of
the fields core names."""

from __future__ import annotations

import numpy as np
import pytest
from gui_checks import marked_rows

from core.session_delta import same_bits
from core.spec import LayerSpec, SpecError
from gui.dims_switch import DEPTH, switch_dims


def set_combo(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def assert_same_session(a, b) -> None:
    assert a.spec == b.spec
    for name in ("input", "weight", "bias", "grad_output"):
        x, y = a.tensor(name), b.tensor(name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert same_bits(x, y), name


# -- the mapping, without Qt ---------------------------------------------------------------
BASE = LayerSpec(3, 4, (3, 5), stride=(1, 2), padding=(1, 2), dilation=(1, 2), groups=1,
                 input_size=(9, 16), batch=2, dtype="float32", padding_mode="replicate")


def test_fewer_axes_keep_the_last_ones_and_everything_else():
    one = switch_dims(BASE, 1)
    assert one == BASE.replace(dims=1, kernel_size=5, stride=2, padding=2, dilation=2,
                               input_size=16, output_padding=0)
    three = switch_dims(BASE, 3)
    assert three.input_size == (DEPTH, 9, 16) and three.kernel_size == (3, 3, 5)
    assert (three.stride, three.padding, three.dilation) == ((1, 1, 2), (1, 1, 2), (1, 1, 2))
    assert switch_dims(three, 2) == BASE  # back: the added depth goes again
    assert switch_dims(one, 2).input_size == (16, 16)  # 1D → 2D: a square
    assert switch_dims(one, 3).input_size == (DEPTH, 16, 16)
    for spec in (one, three):
        assert (spec.in_channels, spec.out_channels, spec.groups, spec.bias, spec.batch,
                spec.dtype, spec.padding_mode) == (3, 4, 1, True, 2, "float32", "replicate")


def test_an_added_axis_that_does_not_fit_takes_a_plain_one():
    big = BASE.replace(kernel_size=(7, 3), padding=0, stride=1, dilation=1,
                       padding_mode="zeros")  # a depth-7 kernel does not fit a depth of 3
    three = switch_dims(big, 3)
    assert three.kernel_size == (1, 7, 3) and three.input_size == (DEPTH, 9, 16)
    assert three.padding == (0, 0, 0) and three.stride == (1, 1, 1)


def test_causal_goes_and_a_transposed_layer_stays_transposed():
    causal = LayerSpec(2, 2, 3, dims=1, causal=True, dilation=2, input_size=10)
    two = switch_dims(causal, 2)
    assert not two.causal and two.padding == (0, 0) and two.dilation == (2, 2)
    t = LayerSpec(2, 4, (3, 3), stride=2, output_padding=1, transposed=True, input_size=5)
    assert switch_dims(t, 3).transposed and switch_dims(t, 1).output_padding == (1,)


@pytest.fixture
def memory_limit():
    from core import budget

    yield budget.set_limit
    budget.set_limit(None)


# -- the app -------------------------------------------------------------------------------
def test_switching_dims_is_one_undo_step_that_keeps_what_fits(window):
    doc, panel = window.document, window.panel
    before = doc.session
    steps = doc.undo_stack.count()
    set_combo(panel.dims, 1)
    one = doc.session
    assert doc.undo_stack.count() == steps + 1
    assert one.spec == switch_dims(before.spec, 1)
    assert one.spec.kernel_size == before.spec.kernel_size[-1:]
    assert one.spec.input_size == before.spec.input_size[-1:]
    assert one.input.shape == one.spec.shape("input") == (1, 3, 16)
    np.testing.assert_array_equal(one.bias, before.bias)  # the bias still fits: kept
    np.testing.assert_array_equal(one.grad_output, 1)
    note = window.status.currentMessage()
    assert note == ("Switched to Conv1d: input and weight reset to random, grad_output to "
                    "ones; bias kept")
    assert doc.undo_stack.undoText().startswith("Switch to")
    # the panel shows one box per argument, the length's
    assert panel.dims.currentData() == 1 and panel.kernel_w.isVisibleTo(panel)
    assert not panel.kernel_h.isVisibleTo(panel) and not panel.kernel_d.isVisibleTo(panel)
    assert panel.causal.isVisibleTo(panel)
    assert panel.findChild(type(panel.shapes), "error_kernel_size").text() == ""

    set_combo(panel.dims, 3)  # 1D → 3D: the length is the width, a small depth added
    three = doc.session
    assert doc.undo_stack.count() == steps + 2
    assert three.spec.input_size == (DEPTH, 16, 16) and three.spec.kernel_size == (3, 3, 3)
    assert all(s.isVisibleTo(panel) for s in (panel.kernel_d, panel.kernel_h, panel.kernel_w))
    assert not panel.causal.isVisibleTo(panel)
    assert panel.minimumSizeHint().width() <= panel.width()  # three boxes a row, not cut

    doc.undo_stack.undo()
    assert_same_session(doc.session, one)
    assert panel.dims.currentData() == 1 and panel.spec_from_fields() == one.spec
    doc.undo_stack.undo()
    assert_same_session(doc.session, before)
    assert panel.dims.currentData() == 2 and panel.spec_from_fields() == before.spec
    doc.undo_stack.redo()
    assert_same_session(doc.session, one)
    doc.undo_stack.redo()
    assert_same_session(doc.session, three)


def test_a_switch_to_a_layer_over_the_budget_is_refused_in_the_panel(window, memory_limit):
    from core import budget

    doc, panel = window.document, window.panel
    memory_limit(budget.estimate_bytes(doc.spec))  # the 2D layer fits, a 3D one cannot
    before = doc.session
    set_combo(panel.dims, 3)
    assert doc.session is before and panel.message
    assert "input_size" in marked_rows(panel)
    panel.revert()
    assert panel.dims.currentData() == 2 and not panel.message


# -- the panel alone -----------------------------------------------------------------------
@pytest.fixture
def panel(qtbot):
    from gui.document import default_session
    from gui.widgets.layer_panel import LayerPanel

    panel = LayerPanel()
    qtbot.addWidget(panel)
    panel.set_spec(default_session().spec)
    panel.show()
    return panel


def test_causal_builds_the_causal_layer_and_disables_the_padding(panel):
    edited = []
    panel.specEdited.connect(lambda spec, field: edited.append((spec, field)))
    panel.set_spec(LayerSpec(2, 3, 3, padding=1, dims=1, dilation=2, input_size=12))
    panel.causal.setChecked(True)
    spec, field = edited[-1]
    assert field == "causal"
    assert spec == LayerSpec(2, 3, 3, dims=1, causal=True, dilation=2, input_size=12)
    assert spec.pads == (4, 0)
    assert panel.call.text().startswith("F.pad(x,&nbsp;((3&nbsp;-&nbsp;1)&nbsp;*&nbsp;2,&nbsp;0)),"
                                        " then<br>nn.Conv1d(2, 3, kernel_size=3, padding=0")
    for w in (panel.padding_kind, panel.padding_w):
        assert not w.isEnabled()
        assert "pads (k−1)·dilation = 4 on the left itself" in w.toolTip()
    assert "Lout = 12" in panel.shapes.text().replace("<sub>", "").replace("</sub>", "")
    panel.causal.setChecked(False)  # the padding the user had is back
    assert edited[-1][0].padding == (1,) and panel.padding_w.isEnabled()
    assert "causal" not in panel.padding_w.toolTip()


def test_causal_on_a_transposed_layer_is_refused_marking_the_rows(panel):
    panel.set_spec(LayerSpec(2, 3, 3, dims=1, causal=True, input_size=12))
    set_combo(panel.kind, True)
    with pytest.raises(SpecError) as info:
        panel.spec_from_fields()
    assert panel.message == str(info.value)
    assert marked_rows(panel) == {"causal", "transposed"}  # dims sits in the kind's row
    panel.causal.setChecked(False)
    assert not panel.message and panel.spec_from_fields().transposed


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_the_code_preview_names_the_torch_class(panel, transposed, dims):
    spec = LayerSpec(2, 4, 3, padding=1, dims=dims, transposed=transposed, input_size=5)
    panel.set_spec(spec)
    name = f"{'ConvTranspose' if transposed else 'Conv'}{dims}d"
    assert panel.title.text() == f"nn.{name}"
    assert panel.call.text().startswith(f"nn.{name}(2, 4, kernel_size=3, padding=1")
    letters = {1: "L", 2: "HW", 3: "DHW"}[dims]
    text = panel.shapes.text()
    for axis, line in zip(letters, spec.output_size_formula(), strict=True):
        assert f"<b>{axis}<sub>out</sub> = 5</b>" in text
        assert line.rsplit(" = ", 1)[0] in text
    label = panel._forms["input_size"].labelForField(panel._rows["input_size"])
    assert label.text() == "input " + " × ".join(letters)


@pytest.mark.parametrize("dims", [1, 3])
def test_a_refusal_of_a_box_marks_its_rows(panel, qtbot, dims):
    set_combo(panel.dims, dims)
    panel.kernel_w.setValue(40)  # longer than the (padded) width
    error = pytest.raises(SpecError, panel.spec_from_fields).value
    assert error.fields == ("kernel_size", "dilation", "padding", "input_size")
    assert marked_rows(panel) == set(error.fields)
    panel.revert()
    assert not marked_rows(panel) and panel.spec_from_fields().dims == dims


def test_a_random_walk_of_the_panel_keeps_it_and_the_document_in_step(qtbot):
    """Hundreds of random field changes, axes and kind switches, causal toggles, undos and
    redos on a panel wired to a document: nothing raises, the document only ever holds
    layers core accepts, and the panel shows the document's layer whenever it shows no
    refusal (after an undo or redo that changed the layer always)."""
    import random

    from PySide6.QtWidgets import QSpinBox

    from core import budget
    from gui.document import Document
    from gui.widgets.layer_panel import LayerPanel

    rng = random.Random(14)
    doc, panel = Document(), LayerPanel()
    qtbot.addWidget(panel)
    panel.specEdited.connect(doc.set_spec)
    doc.sessionChanged.connect(panel.set_session)
    panel.set_spec(doc.spec)
    panel.show()
    limits = {"in_channels": 4, "out_channels": 4, "groups": 2, "batch": 2}
    switched = set()
    for _ in range(400):
        action = rng.random()
        if action < 0.5:
            spins = [s for s in panel.findChildren(QSpinBox)
                     if s.isVisibleTo(panel) and s.isEnabled()]
            spin = rng.choice(spins)
            top = limits.get(spin.objectName(), 6 if spin.property("field") == "input_size"
                             else 3)
            spin.setValue(rng.randint(max(spin.minimum(), 0), top))
        elif action < 0.65:
            set_combo(panel.dims, rng.choice([1, 2, 3]))
            switched.add(doc.spec.dims)
        elif action < 0.72:
            set_combo(panel.kind, rng.choice([False, True]))
        elif action < 0.8:
            combo = rng.choice([panel.padding_kind, panel.padding_mode, panel.dtype])
            combo.setCurrentIndex(rng.randrange(combo.count()))
        elif action < 0.86:
            rng.choice([panel.causal, panel.bias, panel.batched]).toggle()
        else:
            stack, before = doc.undo_stack, doc.spec
            (stack.undo if rng.random() < 0.6 else stack.redo)()
            if doc.spec != before:  # (nothing to undo: fields being edited stay as they are)
                assert panel.spec_from_fields() == doc.spec and not panel.message
        budget.check(doc.spec)  # the document holds a layer core accepts, within budget
        s = doc.session
        for name in ("input", "weight", "grad_output"):
            assert s.tensor(name).shape == doc.spec.shape(name)
        if not panel.message:
            assert panel.spec_from_fields() == doc.spec
            assert panel.dims.currentData() == doc.spec.dims
    assert switched == {1, 2, 3}
