"""The Layer panel's padding row (review r12 F13, F7): a causal layer's greyed boxes show its
Conv1d's padding (0), not what the previous layer left there; checking causal sets the
padding aside and unchecking brings it back, each saying so; a refusal does not mark the
padding the panel filled in; 'valid' and 'same' hide the numbers and say what is padded."""

from __future__ import annotations

import pytest
from gui_checks import marked_rows

from core.io.presets import load_preset
from core.spec import LayerSpec
from gui.causal_note import causal_note


def set_combo(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def padding_boxes(panel) -> list[int]:
    return [spin.value() for spin in panel.axes["padding"].used()]


# -- the notes (no Qt) -----------------------------------------------------------------------
def test_causal_notes_say_what_was_set_aside_and_what_came_back():
    plain = LayerSpec(2, 3, 3, padding=1, dims=1, dilation=2, input_size=12)
    causal = LayerSpec(2, 3, 3, dims=1, dilation=2, input_size=12, causal=True)
    assert causal_note(plain, causal) == ("Causal: padding 1 set aside (back when unchecked); "
                                          "F.pad adds (k−1)·dilation = 4 zeros on the left")
    assert causal_note(causal, plain) == ("Not causal: padding back to 1 (set aside when "
                                          "causal was checked)")
    unpadded = LayerSpec(2, 3, 3, dims=1, dilation=2, input_size=12)
    assert causal_note(unpadded, causal).endswith("the Conv1d pads nothing")
    assert causal_note(causal, unpadded).startswith("Not causal: no F.pad; padding 0")
    assert causal_note(plain, plain) is None


# -- in the window -----------------------------------------------------------------------------
def test_a_causal_preset_shows_its_own_padding_not_the_previous_layers(make_window):
    """F13: the default scene (padding 1), then the causal preset: the box said 1, and
    unchecking causal made the layer padding 1 silently."""
    window = make_window()
    panel, doc = window.panel, window.document
    assert doc.spec.padding == (1, 1)
    doc.replace_session(load_preset("causal_conv1d"), "Load preset")
    assert padding_boxes(panel) == [0] and not panel.padding_w.isEnabled()
    assert "set aside" not in panel.padding_w.toolTip()
    panel.causal.setChecked(False)
    assert doc.spec.padding == (0,) and not doc.spec.causal
    assert window.status.currentMessage().startswith("Not causal: no F.pad; padding 0")


def test_checking_causal_sets_the_padding_aside_and_unchecking_brings_it_back(make_window):
    window = make_window(load_preset("conv1d_basic"))
    panel, doc = window.panel, window.document
    assert doc.spec.padding == (1,)
    panel.causal.setChecked(True)
    assert doc.spec.causal and padding_boxes(panel) == [0]
    assert "Causal: padding 1 set aside" in window.status.currentMessage()
    assert "padding 1 is set aside" in panel.padding_w.toolTip()
    doc.undo_stack.undo()
    assert doc.spec.padding == (1,) and padding_boxes(panel) == [1]
    doc.undo_stack.redo()  # the same causal layer again: its padding is still set aside
    assert doc.spec.causal and padding_boxes(panel) == [0]
    panel.kernel_w.setValue(5)  # an edit while causal keeps it too
    panel.causal.setChecked(False)
    assert doc.spec.padding == (1,) and doc.spec.kernel_size == (5,)
    assert window.status.currentMessage() == ("Not causal: padding back to 1 (set aside when "
                                              "causal was checked)")


def test_another_layer_forgets_the_padding_set_aside(make_window):
    window = make_window(load_preset("conv1d_basic"))
    panel, doc = window.panel, window.document
    panel.causal.setChecked(True)
    doc.replace_session(load_preset("causal_conv1d"), "Load preset")
    panel.causal.setChecked(False)
    assert doc.spec.padding == (0,)


def test_a_causal_refusal_marks_the_mode_not_the_padding_the_panel_filled_in(make_window):
    window = make_window(load_preset("conv1d_basic"))
    panel = window.panel
    set_combo(panel.padding_mode, "reflect")
    panel.causal.setChecked(True)
    assert "padding_mode 'zeros', not 'reflect'" in panel.message
    assert marked_rows(panel) == {"causal", "padding_mode"}
    panel.causal.setChecked(False)
    assert not panel.message and window.document.spec.padding == (1,)


# -- 'valid' and 'same' ------------------------------------------------------------------------
@pytest.fixture
def panel(qtbot):
    from gui.widgets.layer_panel import LayerPanel

    panel = LayerPanel()
    qtbot.addWidget(panel)
    panel.set_spec(LayerSpec(3, 2, 3, padding=1, dims=1, input_size=10))
    panel.show()
    return panel


def test_valid_and_same_hide_the_numbers_and_say_what_is_padded(panel):
    numbers = panel.axes["padding"].widget
    assert numbers.isVisible() and not panel.padding_note.isVisible()
    set_combo(panel.padding_kind, "valid")
    assert not numbers.isVisible() and panel.padding_note.isVisible()
    assert panel.padding_note.text().startswith("'valid': no padding")
    set_combo(panel.padding_kind, "same")
    assert panel.padding_note.text() == ("'same': padding 1 before and 1 after, so that the "
                                         "output is as long as the input")
    panel.stride_w.setValue(2)  # refused: the combo is marked, no hidden box
    assert "padding 'same' is not supported" in panel.message
    assert "padding" in marked_rows(panel) and not numbers.isVisible()
    assert "stride 1 only" in panel.padding_note.text()
    set_combo(panel.padding_kind, "numbers")
    assert numbers.isVisible() and not panel.padding_note.isVisible()


def test_same_in_3d_names_each_axis_padding(panel):
    spec = LayerSpec(2, 2, (2, 3, 4), padding="same", dims=3, input_size=(3, 4, 4))
    panel.set_spec(spec)
    assert spec.pads == (0, 1, 1, 1, 1, 2)
    text = panel.padding_note.text().replace("\u00a0", " ")
    assert "D 0 + 1, H 1 + 1, W 1 + 2" in text
    assert "D\u00a00\u00a0+\u00a01" in panel.padding_note.text()  # never broken inside
    note = panel.padding_note
    assert note.height() >= note.heightForWidth(note.width())  # not cut


def test_the_shapes_names_keep_a_gap_before_their_values(panel):
    panel.set_spec(LayerSpec(2, 2, 2, dims=3, input_size=(3, 4, 4)))
    assert "<td style='padding-right:8px'>padded input</td>" in panel.shapes.text()


def test_same_is_set_aside_by_causal_and_comes_back(panel):
    edited = []
    panel.specEdited.connect(lambda spec, field: edited.append(spec))
    panel.set_spec(LayerSpec(3, 2, 3, padding="same", dims=1, input_size=10))
    panel.causal.setChecked(True)
    assert edited[-1].causal and edited[-1].padding == (0,)
    assert panel.padding_kind.currentData() == "numbers" and padding_boxes(panel) == [0]
    panel.causal.setChecked(False)
    assert edited[-1].padding == "same" and panel.padding_note.isVisible()


def test_a_causal_layer_spelt_valid_shows_its_conv1ds_zero(panel):
    """A file may spell a causal layer's padding 'valid': the panel must not say "no
    padding" beside the F.pad that pads the left."""
    panel.set_spec(LayerSpec(3, 2, 3, padding="valid", dims=1, causal=True, input_size=10))
    assert panel.padding_kind.currentData() == "numbers" and padding_boxes(panel) == [0]
    assert not panel.padding_note.isVisible()
    assert "pads (k−1)·dilation = 2 on the left" in panel.padding_w.toolTip()
