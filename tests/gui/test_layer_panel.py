"""The layer panel: every hyperparameter reaches the document; invalid ones are shown inline."""

from __future__ import annotations

import numpy as np
import pytest
from gui_checks import assert_results_match_core, marked_rows


def set_combo(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


@pytest.mark.parametrize(
    "widget, value, check",
    [
        ("in_channels", 2, lambda s: s.in_channels == 2),
        ("out_channels", 6, lambda s: s.out_channels == 6),
        ("kernel_h", 2, lambda s: s.kernel_size == (2, 3)),
        ("kernel_w", 5, lambda s: s.kernel_size == (3, 5)),
        ("stride_h", 2, lambda s: s.stride == (2, 1)),
        ("stride_w", 3, lambda s: s.stride == (1, 3)),
        ("padding_h", 0, lambda s: s.padding == (0, 1)),
        ("padding_w", 2, lambda s: s.padding == (1, 2)),
        ("dilation_h", 2, lambda s: s.dilation == (2, 1)),
        ("dilation_w", 3, lambda s: s.dilation == (1, 3)),
        ("batch", 3, lambda s: s.batch == 3),
        ("input_h", 7, lambda s: s.input_size == (7, 16)),
        ("input_w", 9, lambda s: s.input_size == (16, 9)),
    ],
)
def test_each_spin_box_sets_the_spec(window, widget, value, check):
    getattr(window.panel, widget).setValue(value)
    assert check(window.document.spec)
    assert not window.panel.message
    assert_results_match_core(window)


def test_combos_and_checkboxes(window):
    panel = window.panel
    panel.bias.setChecked(False)
    assert window.document.spec.bias is False
    assert window.grids.grids["bias"].array is None
    assert window.grids.grids["grad_bias"].array is None
    assert_results_match_core(window)
    set_combo(panel.padding_mode, "reflect")
    assert window.document.spec.padding_mode == "reflect"
    set_combo(panel.padding_kind, "valid")
    assert window.document.spec.padding == "valid"
    assert not panel.padding_h.isEnabled()
    set_combo(panel.padding_kind, "same")
    assert window.document.spec.output_size == window.document.spec.input_size
    panel.batched.setChecked(False)
    assert window.document.spec.batch is None
    assert window.grids.grids["input"].array.ndim == 3
    set_combo(panel.dtype, "float32")
    assert window.document.tensor("input").dtype == np.float32
    assert_results_match_core(window, rtol=1e-5)


def test_groups_that_do_not_divide_are_shown_inline_and_nothing_breaks(window):
    panel = window.panel
    before = window.document.session
    panel.groups.setValue(2)  # in_channels 3 is not divisible by 2
    assert "not divisible by groups 2" in panel.message
    assert {"groups", "in_channels"} <= marked_rows(panel)
    error = panel.findChild(type(panel.shapes), "error_groups")
    assert error.isVisibleTo(panel) and "divisible" in error.text()
    assert panel.groups.property("invalid") is True
    assert window.document.session is before  # the document keeps the last valid layer
    assert all(g._dimmed for g in window.grids.results())
    assert "invalid" in window.status.currentMessage()
    # fixing another field makes it valid again
    panel.in_channels.setValue(4)
    assert not panel.message and not marked_rows(panel)
    assert window.document.spec.groups == 2 and window.document.spec.in_channels == 4
    assert not any(g._dimmed for g in window.grids.results())
    assert_results_match_core(window)


@pytest.mark.parametrize(
    "changes, phrase",
    [
        ({"kernel_h": 20}, "larger than the padded input"),
        ({"padding_mode": "reflect", "padding_h": 16}, "must be smaller than the input height"),
        ({"padding_kind": "same", "stride_w": 2}, "padding 'same' is not supported"),
        ({"out_channels": 3, "groups": 3, "in_channels": 4}, "not divisible"),
    ],
)
def test_invalid_combinations_show_core_message(window, changes, phrase):
    panel = window.panel
    for name, value in changes.items():
        widget = getattr(panel, name)
        if hasattr(widget, "findData"):
            set_combo(widget, value)
        else:
            widget.setValue(value)
    assert phrase in panel.message
    assert marked_rows(panel)
    assert window.document.spec.in_channels >= 1  # still a valid spec
    assert_results_match_core(window)
    # undo (of the valid steps) and Revert put the fields back to the document's layer
    while window.document.undo_stack.canUndo():
        window.undo_action.trigger()
    panel.revert()
    assert not panel.message and not marked_rows(panel)
    assert panel.spec_from_fields() == window.document.spec


def test_shapes_and_formula(window):
    panel = window.panel
    panel.stride_h.setValue(2)
    text = panel.shapes.text()
    assert "(1, 4, 8, 16)" in text
    assert "⌊(16 + 1 + 1 − 1·(3 − 1) − 1) / 2⌋ + 1" in text


def test_undo_redo_round_trip_of_mixed_changes(window, qtbot):
    from gui.document import CellEdit

    doc = window.document
    start = doc.session
    window.panel.kernel_h.setValue(2)
    doc.apply_edit(CellEdit("weight", (1, 1, 0, 0), np.array(4.0)))
    window.panel.out_channels.setValue(2)
    window.grids.grids["input"].fill_tensor("arange")
    set_combo(window.panel.padding_mode, "circular")
    end = doc.session
    steps = doc.undo_stack.count()
    for _ in range(steps):
        window.undo_action.trigger()
    assert doc.session.spec == start.spec
    for name, a in start.tensors().items():
        np.testing.assert_array_equal(doc.tensor(name), a)
    assert window.panel.spec_from_fields() == start.spec
    assert_results_match_core(window)
    for _ in range(steps):
        window.redo_action.trigger()
    assert doc.session.spec == end.spec
    for name, a in end.tensors().items():
        np.testing.assert_array_equal(doc.tensor(name), a)
    assert_results_match_core(window)


def test_cuda_entry_disabled_until_known(window):
    panel = window.panel
    item = panel.backend.model().item(panel.backend.findData("cuda"))
    assert not item.isEnabled() and "Checking" in item.toolTip()
    panel.set_cuda_available(False)
    assert not item.isEnabled() and "not available" in item.toolTip()
    panel.set_cuda_available(True)
    assert item.isEnabled()


def test_torch_backend_computes_the_same(window):
    set_combo(window.panel.backend, "torch")
    assert window.engine.backend == "torch"
    assert window.engine.latest.backend == "torch"
    assert_results_match_core(window, rtol=1e-10)
    assert "torch" in window.status.backend.text()


def test_a_tensor_edit_keeps_an_invalid_field_being_edited(window):
    window.panel.groups.setValue(2)
    assert window.panel.message
    window.grids.grids["bias"].fill_tensor("ones")
    assert window.panel.groups.value() == 2 and window.panel.message
    assert_results_match_core(window)


# Layers beyond the panel's old limits (stride ≤ 16, padding 0–31, kernel ≤ 31, dilation ≤ 16,
# channels and groups ≤ 256, input ≤ 512, batch ≤ 64), each small enough to compute at once.
BEYOND_OLD_LIMITS = [
    dict(in_channels=1, out_channels=2, kernel_size=(2, 1), stride=(20, 17), input_size=(45, 20)),
    dict(in_channels=1, out_channels=2, kernel_size=(3, 3), padding=(-1, -1),
         padding_mode="reflect", input_size=(7, 6)),
    dict(in_channels=1, out_channels=2, kernel_size=(2, 2), padding=(-2, 1),
         padding_mode="circular", input_size=(8, 5)),
    dict(in_channels=1, out_channels=1, kernel_size=(1, 1), padding=(40, 0), input_size=(2, 2)),
    dict(in_channels=1, out_channels=1, kernel_size=(1, 1), input_size=(600, 3)),
    dict(in_channels=1, out_channels=1, kernel_size=(40, 1), input_size=(41, 2)),
    dict(in_channels=1, out_channels=1, kernel_size=(2, 1), dilation=(20, 1),
         input_size=(25, 2)),
    dict(in_channels=1, out_channels=2, kernel_size=(1, 1), input_size=(3, 3), batch=100),
    dict(in_channels=300, out_channels=1, kernel_size=(1, 1), input_size=(2, 2)),
    dict(in_channels=300, out_channels=300, kernel_size=(1, 1), groups=300, input_size=(1, 2),
         dtype="float32"),
]


def test_layers_beyond_the_old_limits_survive_an_unrelated_edit(window):
    from core.session import Session
    from core.spec import LayerSpec

    panel, doc = window.panel, window.document
    for fields in BEYOND_OLD_LIMITS:
        spec = LayerSpec(**fields)
        session = Session.default(spec, seed=1)
        doc.replace_session(session)
        assert panel.spec_from_fields() == spec, fields  # shown as it is, not cut to fit
        panel.bias.toggle()  # an unrelated edit writes the fields back
        assert not panel.message, (fields, panel.message)
        assert doc.spec == spec.replace(bias=not spec.bias), fields
        np.testing.assert_array_equal(doc.tensor("input"), session.input)
        np.testing.assert_array_equal(doc.tensor("weight"), session.weight)
        panel.bias.toggle()
        assert doc.spec == spec, fields
    assert_results_match_core(window, rtol=1e-5)


def test_a_value_no_spin_box_holds_is_kept_and_said(window):
    from core.session import Session
    from core.spec import LayerSpec

    panel, doc = window.panel, window.document
    spec = LayerSpec(2, 3, (1, 1), dilation=(10**10, 1), input_size=(5, 5))
    doc.replace_session(Session.default(spec))
    note = panel.findChild(type(panel.shapes), "error_dilation")
    assert note.isVisibleTo(panel)
    assert "10000000000" in note.text() and "2147483647" in note.text()
    assert panel.spec_from_fields() == spec
    panel.bias.toggle()
    assert doc.spec == spec.replace(bias=False)
    panel.dilation_h.setValue(3)  # the user's own value replaces the kept one
    assert doc.spec.dilation == (3, 1)
    assert not note.isVisibleTo(panel)


@pytest.fixture
def memory_limit():
    from core import budget

    yield budget.set_limit
    budget.set_limit(None)


def test_a_layer_over_the_budget_is_refused_with_its_figures(window, memory_limit):
    from core import budget

    panel, doc = window.panel, window.document
    before = doc.session
    limit = budget.estimate_bytes(doc.spec) * 4
    memory_limit(limit)
    panel.input_h.setValue(600)
    big = doc.spec.replace(input_size=(600, 16))
    estimate = budget.estimate_bytes(big)
    assert estimate > limit
    message = panel.message
    assert budget.format_bytes(estimate) in message and budget.format_bytes(limit) in message
    error = panel.findChild(type(panel.shapes), "error_input_size")
    assert error.isVisibleTo(panel) and "Revert" in error.text()
    # the size fields lowering would shrink it (the one just changed among them)
    assert marked_rows(panel) == {"in_channels", "out_channels", "kernel_size", "input_size"}
    assert doc.session is before and doc.undo_stack.count() == 0  # the document is unchanged
    assert all(g._dimmed for g in window.grids.results())
    panel.revert()
    assert not panel.message and panel.input_h.value() == 16
    assert_results_match_core(window)


def test_the_default_budget_refuses_a_16_gib_layer(make_window):
    from core import budget
    from core.session import Session
    from core.spec import LayerSpec

    spec = LayerSpec(256, 2, (1, 1), input_size=(512, 1), batch=64, dtype="float32")
    window = make_window(Session.default(spec))
    window.panel.input_w.setValue(512)  # 64 × 256 × 512 × 512 float32: 16 GiB of input alone
    assert budget.format_bytes(budget.limit()) in window.panel.message
    assert window.document.spec == spec


# -- refusals mark exactly the fields core names ---------------------------------------------
def type_into(qtbot, spin, value: int) -> None:
    """Select the spin box's text, type ``value`` and press Enter, as a user does."""
    from PySide6.QtCore import Qt

    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, str(value))
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == value  # the field holds what was typed: nothing clamped


def edit(qtbot, panel, changes) -> None:
    """Make ``changes`` (a dict, or (widget, value) pairs) one after the other."""
    for name, value in (changes.items() if isinstance(changes, dict) else changes):
        widget = getattr(panel, name)
        if hasattr(widget, "findData"):
            set_combo(widget, value)
        else:
            type_into(qtbot, widget, value)


def core_refusal(panel):
    """The SpecError core raises for the panel's fields (the layer's, else the budget's)."""
    from core import budget
    from core.spec import SpecError

    with pytest.raises(SpecError) as info:
        budget.check(panel.spec_from_fields())
    return info.value


SIZE = ("in_channels", "out_channels", "kernel_size", "input_size")


@pytest.fixture
def panel(qtbot):
    """A Layer panel alone, showing the app's default scene (faster than a whole window)."""
    from gui.document import default_session
    from gui.widgets.layer_panel import LayerPanel

    panel = LayerPanel()
    qtbot.addWidget(panel)
    panel.set_spec(default_session().spec)
    panel.show()
    return panel


@pytest.mark.parametrize(
    "changes, fields, shown_under",
    [
        ({"groups": 2}, ("in_channels", "groups"), "groups"),
        ({"in_channels": 6, "groups": 3}, ("out_channels", "groups"), "groups"),
        ({"kernel_h": 20}, ("kernel_size", "dilation", "padding", "input_size"), "kernel_size"),
        ({"padding_w": 0, "input_w": 2}, ("kernel_size", "dilation", "padding", "input_size"),
         "input_size"),
        ({"padding_mode": "reflect", "padding_h": 16}, ("padding", "padding_mode", "input_size"),
         "padding"),
        ({"padding_mode": "circular", "input_w": 3, "padding_w": 4},
         ("padding", "padding_mode", "input_size"), "padding"),
        ({"padding_kind": "same", "stride_w": 2}, ("padding", "stride"), "stride"),
        ({"padding_h": -1}, ("padding", "padding_mode"), "padding"),
        # typed below the least: said, not the "-" dropped (review r13 R3: -5 became 5)
        ({"in_channels": -5}, ("in_channels",), "in_channels"),
        ({"kernel_w": 0}, ("kernel_size",), "kernel_size"),
        ({"batch": -1}, ("batch",), "batch"),
        ([("padding_mode", "replicate"), ("padding_w", -1), ("padding_mode", "zeros")],
         ("padding", "padding_mode"), "padding_mode"),
        # over the memory budget (the limit: twice the scene's estimate)
        ({"input_h": 600}, SIZE, "input_size"),
        ({"out_channels": 40}, SIZE, "out_channels"),
        ([("dtype", "float32"), ("batch", 2), ("dtype", "complex128")], ("batch", *SIZE),
         "dtype"),  # a field of no size: the message under it, the size fields marked
    ],
)
def test_a_refusal_marks_exactly_the_fields_core_names(panel, qtbot, memory_limit, changes,
                                                       fields, shown_under):
    import html

    from core import budget

    spec = panel.spec_from_fields()
    edited = []

    def proposed(spec, _field):
        edited.append(spec)

    panel.specEdited.connect(proposed)
    memory_limit(budget.estimate_bytes(spec) * 2)
    edit(qtbot, panel, changes)
    error = core_refusal(panel)
    assert error.fields == fields
    assert panel.message == str(error)
    assert set(fields) == marked_rows(panel)
    shown = [label.objectName() for label in panel.findChildren(type(panel.shapes))
             if label.objectName().startswith("error_") and label.isVisibleTo(panel)]
    assert shown == [f"error_{shown_under}"]  # one message, under the field just edited
    label = panel.findChild(type(panel.shapes), f"error_{shown_under}")
    assert html.escape(str(error)) in label.text()
    for valid in edited:  # only valid layers that fit ever left the panel
        budget.check(valid)
    panel.revert()
    assert not panel.message and not marked_rows(panel)
    assert panel.spec_from_fields() == (edited[-1] if edited else spec)


def test_the_arrows_stop_at_the_least_a_field_takes(panel, qtbot):
    """Typing goes below the spec's least (and is refused, saying so); the arrows, the
    wheel and the keys stop there, as before."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractSpinBox

    down = QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
    for spin, least in ((panel.in_channels, 1), (panel.batch, 0), (panel.dilation_w, 1)):
        spin.setValue(least + 1)
        spin.stepBy(-5)
        assert spin.value() == least and not spin.stepEnabled() & down
        qtbot.keyClick(spin, Qt.Key.Key_Down)
        assert spin.value() == least
    panel.padding_h.setValue(0)
    panel.padding_h.stepBy(-1)  # negative padding is the spec's to judge (by mode)
    assert panel.padding_h.value() == -1


# -- ranges are LayerSpec's: nothing it accepts is clamped or rewritten ----------------------
def _layer_with(spin, value: int, dims: int = 2):
    """A layer with ``dims`` spatial axes whose field behind ``spin`` is ``value`` and is
    otherwise as small as it can be (room for any kernel, padding or crop), to ask LayerSpec
    whether it takes ``value``. A per-axis box is the last ``dims`` of (``_d``, ``_h``,
    ``_w``): its axis is its place among them."""
    from core.spec import LayerSpec

    field, name = spin.property("field"), spin.objectName()
    room = 2**40
    fields = dict(in_channels=1, out_channels=1, kernel_size=1, input_size=room,
                  padding_mode="replicate", batch=1, dims=dims)
    if field == "output_padding":  # a transposed layer's, below a stride made to fit it
        fields.update(transposed=True, padding_mode="zeros", stride=max(value, 0) + 1)
    if name.endswith(("_d", "_h", "_w")):
        axis = "dhw".index(name[-1]) - (3 - dims)
        assert axis >= 0, f"{name} is not a box of a {dims}D layer"
        sizes = [1] * dims if field not in ("padding", "output_padding") else [0] * dims
        sizes[axis] = value
        fields[field] = tuple(sizes)
    else:
        assert field in ("in_channels", "out_channels", "groups", "batch"), (
            f"{name}: tell _layer_with how to build a layer with this field")
        fields[field] = value
        if field == "groups":
            fields["in_channels"] = fields["out_channels"] = max(value, 1)
    return LayerSpec(**fields)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_every_range_is_what_layer_spec_accepts(panel, dims):
    """Every spin box a layer with ``dims`` axes shows, against LayerSpec: the least value
    its arrows step to is legal, one below (which may be typed) is refused naming its field
    (unless Qt's least: a kept crop), and anything above Qt's most is kept and said."""
    from PySide6.QtWidgets import QSpinBox

    from core.spec import SpecError
    from gui.widgets.layer_panel import SPIN_MAX

    set_combo(panel.dims, dims)
    assert panel.spec_from_fields().dims == dims
    spins = [s for s in panel.findChildren(QSpinBox) if s.isVisibleTo(panel)]
    per_axis = [s for s in spins if s.objectName().endswith(("_d", "_h", "_w"))]
    assert len(per_axis) == 5 * dims  # output_padding's row shows for a transposed layer
    assert len(spins) >= 4 + 5 * dims
    for spin in spins:
        name, field = spin.objectName(), spin.property("field")
        assert spin.minimum() == -SPIN_MAX, name  # anything may be typed
        assert _layer_with(spin, spin.floor, dims)  # the least value the arrows give is legal
        if spin.floor > -SPIN_MAX:  # and one below it is not: the spec's own minimum
            with pytest.raises(SpecError) as info:
                _layer_with(spin, spin.floor - 1, dims)
            assert field in info.value.fields, name
        else:  # below Qt's least (negative padding, a crop): legal, and kept as it is
            beyond = _layer_with(spin, spin.minimum() - 1, dims)
            panel.set_spec(beyond)
            assert panel.spec_from_fields() == beyond, name
            assert str(spin.minimum() - 1) in panel.findChild(
                type(panel.shapes), f"error_{field}").text()
        # no maximum but Qt's; anything above is kept and said
        assert spin.maximum() == SPIN_MAX, name
        beyond = _layer_with(spin, SPIN_MAX + 1, dims)
        panel.set_spec(beyond)
        assert panel.spec_from_fields() == beyond, name
        note = panel.findChild(type(panel.shapes), f"error_{field}")
        assert note.isVisibleTo(panel) and str(SPIN_MAX + 1) in note.text(), name


def test_negative_padding_is_typed_refused_for_zeros_and_taken_for_other_modes(window, qtbot):
    panel, doc = window.panel, window.document
    type_into(qtbot, panel.padding_h, -1)  # a range from 0 would not even take the '-'
    assert panel.padding_h.value() == -1
    assert "padding must be >= 0 for padding_mode 'zeros'" in panel.message
    assert marked_rows(panel) == {"padding", "padding_mode"}
    assert doc.spec.padding == (1, 1)
    set_combo(panel.padding_mode, "replicate")  # legal now: taken as typed
    assert not panel.message and not marked_rows(panel)
    assert doc.spec.padding == (-1, 1) and doc.spec.padding_mode == "replicate"
    assert panel.padding_h.value() == -1
    assert_results_match_core(window)


def test_a_loaded_negative_padding_is_shown_and_survives_unrelated_edits(window, qtbot):
    from core.session import Session
    from core.spec import LayerSpec

    panel, doc = window.panel, window.document
    spec = LayerSpec(2, 3, (2, 3), padding=(-2, -1), padding_mode="circular", input_size=(9, 8))
    doc.replace_session(Session.default(spec, seed=2))
    assert (panel.padding_h.value(), panel.padding_w.value()) == (-2, -1)  # shown, not 0
    start = doc.undo_stack.index()
    assert not [label for label in panel.findChildren(type(panel.shapes))
                if label.objectName().startswith("error_") and label.isVisibleTo(panel)]
    type_into(qtbot, panel.out_channels, 5)
    set_combo(panel.dtype, "float32")
    panel.bias.toggle()
    type_into(qtbot, panel.input_w, 10)
    assert doc.spec == spec.replace(out_channels=5, dtype="float32", bias=False,
                                    input_size=(9, 10))
    assert_results_match_core(window, rtol=1e-5)
    while doc.undo_stack.index() > start:
        window.undo_action.trigger()
    assert doc.spec == spec
    assert (panel.padding_h.value(), panel.padding_w.value()) == (-2, -1)


def test_a_kept_value_stays_said_while_the_other_half_of_its_pair_is_edited(panel, qtbot):
    from core.spec import LayerSpec

    spec = LayerSpec(2, 3, (1, 1), dilation=(10**10, 10**11), input_size=(5, 5))
    panel.set_spec(spec)
    note = panel.findChild(type(panel.shapes), "error_dilation")
    assert "10000000000, 100000000000" in note.text()
    type_into(qtbot, panel.dilation_w, 2)
    assert panel.spec_from_fields() == spec.replace(dilation=(10**10, 2))
    assert note.isVisibleTo(panel)
    assert "10000000000" in note.text() and "100000000000" not in note.text()
    type_into(qtbot, panel.dilation_h, 3)  # the kept value replaced: nothing left to say
    assert panel.spec_from_fields().dilation == (3, 2)
    assert not note.isVisibleTo(panel)


def test_a_field_without_a_row_marks_nothing_and_the_message_still_shows(panel, qtbot,
                                                                         monkeypatch):
    """A refusal naming a field the panel has no row for (a tensor; output_padding until
    the panel shows it) marks the rows it has and shows the message all the same."""
    from PySide6.QtWidgets import QWidget

    from core import budget
    from core.spec import SpecError

    def refuse(spec, *args, **kwargs):
        raise SpecError("output_padding 3 must be smaller than either the stride 2 or the "
                        "dilation 1 (height)", ("output_padding", "stride", "weight"))

    monkeypatch.setattr(budget, "check", refuse)
    type_into(qtbot, panel.stride_h, 2)
    has_row = panel.findChild(QWidget, "row_output_padding") is not None
    assert marked_rows(panel) == {"stride"} | ({"output_padding"} if has_row else set())
    assert panel.findChild(type(panel.shapes), "error_stride").isVisibleTo(panel)
    assert "output_padding 3" in panel.message


def test_a_wrapped_note_shrinks_again_when_it_widens(qtbot):
    """A note fitted once at a narrow width (many lines) kept that height when it widened:
    Qt's heightForWidth is never less than the minimum height it had been given (four
    lines at the bottom of a 182 px box under 'same' padding after a resize)."""
    from gui.widgets.wrapped_note import WrappedNote

    note = WrappedNote("note")
    qtbot.addWidget(note)
    note.show()
    note.setText("'same': padding (before + after) D 0 + 1, H 0 + 1, W 0 + 1, so that the "
                 "output is as large as the input")
    note.resize(60, 20)
    narrow = note.minimumHeight()
    note.resize(400, 20)
    assert note.minimumHeight() < narrow / 2
    assert note.minimumHeight() == note.natural_height(400) > 0
