"""Document and its undo commands, without a window."""

from __future__ import annotations

import numpy as np
import pytest

from core.session import Session
from core.spec import LayerSpec
from gui.document import CellEdit, Document, default_session, new_merge_key

DEFAULT_SPEC = default_session().spec


def _doc() -> Document:
    return Document(default_session())


def _same(a: Session, b: Session) -> bool:
    if a.spec != b.spec:
        return False
    return all(
        (x is None and y is None) or np.array_equal(x, y)
        for x, y in zip(a.tensors().values(), b.tensors().values(), strict=True)
    ) and a.tensors().keys() == b.tensors().keys()


def test_default_session_is_the_default_scene():
    doc = Document()
    assert doc.spec.input_shape == (1, 3, 16, 16)
    assert doc.spec.weight_shape == (4, 3, 3, 3)
    assert np.all(doc.session.grad_output == 1)


def test_edit_undo_redo(qtbot):
    doc = _doc()
    before = doc.session
    with qtbot.waitSignal(doc.sessionChanged):
        doc.apply_edit(CellEdit("input", (0, 1, 2, 3), np.array(7.5)))
    assert doc.tensor("input")[0, 1, 2, 3] == 7.5
    after = doc.session
    doc.undo_stack.undo()
    assert _same(doc.session, before)
    doc.undo_stack.redo()
    assert _same(doc.session, after)


def test_equal_edit_pushes_nothing():
    doc = _doc()
    value = doc.tensor("weight")[0, 0, 0, 0]
    doc.apply_edit(CellEdit("weight", (0, 0, 0, 0), np.array(value)))
    assert doc.undo_stack.count() == 0


def test_scrub_merges_into_one_step():
    doc = _doc()
    key = new_merge_key()
    original = doc.tensor("weight")[1, 2, 0, 1]
    for v in np.linspace(0, 3, 20):
        doc.apply_edit(CellEdit("weight", (1, 2, 0, 1), np.array(v), "Scrub", key))
    assert doc.undo_stack.count() == 1
    assert doc.tensor("weight")[1, 2, 0, 1] == 3.0
    doc.undo_stack.undo()
    assert doc.tensor("weight")[1, 2, 0, 1] == original


def test_spec_change_keeps_values_and_undo_restores_everything():
    doc = _doc()
    before = doc.session
    doc.set_spec(doc.spec.replace(kernel_size=(2, 2)), "kernel_size")
    doc.set_spec(doc.spec.replace(in_channels=1), "in_channels")
    assert doc.spec.weight_shape == (4, 1, 2, 2)
    np.testing.assert_array_equal(doc.tensor("weight"), before.weight[:, :1, :2, :2])
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert _same(doc.session, before)  # nothing lost, even what the smaller kernel cut off


def test_spin_steps_of_one_field_merge():
    doc = _doc()
    for k in (4, 5, 6):
        doc.set_spec(doc.spec.replace(out_channels=k), "out_channels")
    assert doc.undo_stack.count() == 1
    doc.set_spec(doc.spec.replace(stride=2), "stride")
    assert doc.undo_stack.count() == 2


def test_fill_and_replace_session():
    doc = _doc()
    doc.fill("bias", np.zeros(4), "Zero bias")
    assert np.all(doc.tensor("bias") == 0)
    other = Session.default(LayerSpec(1, 1, 1, input_size=(2, 2)))
    with pytest.raises(ValueError):
        doc.apply_edit(CellEdit("input", (0, 0, 0, 99), np.array(1.0)))  # out of range
    doc.replace_session(other, "Load preset")
    assert doc.spec == other.spec
    doc.undo_stack.undo()
    assert doc.spec == DEFAULT_SPEC


def test_edit_of_missing_bias_raises():
    doc = Document(Session.default(DEFAULT_SPEC.replace(bias=False)))
    with pytest.raises(ValueError, match="no bias"):
        doc.apply_edit(CellEdit("bias", (0,), np.array(1.0)))


def test_empty_batch_can_become_unbatched():
    doc = _doc()
    doc.set_spec(doc.spec.replace(batch=0), "batch")
    assert doc.tensor("input").shape == (0, 3, 16, 16)
    doc.set_spec(doc.spec.replace(batch=None), "batch")
    assert doc.tensor("input").shape == (3, 16, 16)
    assert np.all(doc.tensor("grad_output") == 1)
