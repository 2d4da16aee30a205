"""Conv1d and Conv3d in the Layer panel: the 1D/2D/3D switch (one undo step, keeping what
fits), the causal checkbox, the code preview per kind × d, and refusals marking the rows of
the fields core names."""

from __future__ import annotations

import numpy as np
import pytest
from gui_checks import marked_rows

from core.session_delta import same_bits
from core.spec import LayerSpec, SpecError
from core.spec_dims import DEPTH, switch_dims, switched_session


def set_combo(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def assert_same_session(a, b) -> None:
    assert a.spec == b.spec
    for name in ("input", "weight", "bias", "grad_output"):
        x, y = a.tensor(name), b.tensor(name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert same_bits(x, y), name


# -- the mapping is core's (tests/core/test_spec_dims.py) --------------------------------
def test_the_panel_and_the_document_switch_with_cores_rule():
    import gui.dims_switch

    assert gui.dims_switch.switch_dims is switch_dims
    assert gui.dims_switch.switched_session is switched_session


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


def test_a_conv_transpose1d_has_no_causal_box_to_check(panel):
    """Review r11 #15: the box was checkable on a ConvTranspose1d, and always refused."""
    edited = []
    panel.specEdited.connect(lambda spec, field: edited.append(spec))
    panel.set_spec(LayerSpec(2, 3, 3, dims=1, causal=True, input_size=12))
    set_combo(panel.kind, True)  # a causal Conv1d becomes a (plain) ConvTranspose1d
    assert not panel.message and edited[-1].transposed and not edited[-1].causal
    assert not panel.causal.isChecked() and not panel.causal.isEnabled()
    assert "a ConvTranspose1d has no causal form" in panel.causal.toolTip()
    set_combo(panel.kind, False)
    assert panel.causal.isEnabled() and not edited[-1].causal
    assert panel.causal.toolTip().startswith("causal (Conv1d only)")


def test_a_causal_layer_greys_out_the_padding_modes_but_zeros(panel):
    panel.set_spec(LayerSpec(2, 3, 3, dims=1, input_size=12))
    model = panel.padding_mode.model()
    modes = [panel.padding_mode.itemData(i) for i in range(panel.padding_mode.count())]
    assert all(model.item(i).isEnabled() for i in range(len(modes)))
    panel.causal.setChecked(True)
    for i, mode in enumerate(modes):
        assert model.item(i).isEnabled() == (mode == "zeros")
        if mode != "zeros":
            assert "not with causal" in model.item(i).toolTip()
    panel.causal.setChecked(False)
    assert all(model.item(i).isEnabled() for i in range(len(modes)))


def test_a_causal_reflect_layer_is_refused_naming_only_the_mode():
    with pytest.raises(SpecError) as info:
        LayerSpec(2, 3, 3, dims=1, causal=True, padding_mode="reflect", input_size=12)
    message = str(info.value)
    assert "needs padding_mode 'zeros', not 'reflect'" in message
    assert "(0,)" not in message and "padding 0" not in message


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
    assert label.text() == ("input\n" if dims == 3 else "input ") + " × ".join(letters)


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
