"""Session: validation of tensors against the spec, and shape changes that keep values."""

from __future__ import annotations

import numpy as np
import pytest

from core import LayerSpec, SpecError
from core.session import Session, resize


def test_default_has_ones_grad_output_and_spec_shapes() -> None:
    spec = LayerSpec(3, 4, 3, padding=1, input_size=(6, 5), batch=2)
    s = Session.default(spec)
    assert s.input.shape == (2, 3, 6, 5)
    assert s.weight.shape == (4, 3, 3, 3)
    assert s.bias.shape == (4,)
    assert np.all(s.grad_output == 1) and s.grad_output.shape == (2, 4, 6, 5)
    assert not s.input.flags.writeable


def test_growing_the_kernel_keeps_typed_values() -> None:
    s = Session.default(LayerSpec(2, 2, 3, input_size=(6, 6)))
    grown = s.with_spec(s.spec.replace(kernel_size=(5, 4)))
    np.testing.assert_array_equal(grown.weight[:, :, :3, :3], s.weight)
    assert np.all(grown.weight[:, :, 3:, :] == 0) and np.all(grown.weight[:, :, :, 3:] == 0)
    # the output shrank: grad_output keeps its overlap
    np.testing.assert_array_equal(grown.grad_output, s.grad_output[:, :, :2, :3])


def test_new_grad_output_cells_are_ones() -> None:
    s = Session.default(LayerSpec(1, 1, 3, input_size=(4, 4)))
    grown = s.with_spec(s.spec.replace(padding=1))
    assert np.all(grown.grad_output == 1)


def test_unbatching_keeps_sample_zero_and_back() -> None:
    s = Session.default(LayerSpec(2, 1, 1, input_size=(3, 3), batch=3))
    single = s.with_spec(s.spec.replace(batch=None))
    np.testing.assert_array_equal(single.input, s.input[0])
    again = single.with_spec(single.spec.replace(batch=2))
    np.testing.assert_array_equal(again.input[0], s.input[0])
    assert np.all(again.input[1] == 0)


def test_dtype_change_casts_and_drops_imaginary_part() -> None:
    s = Session.default(LayerSpec(1, 1, 1, input_size=(2, 2), dtype="complex128"))
    real = s.with_spec(s.spec.replace(dtype="float32"))
    assert real.input.dtype == np.float32
    np.testing.assert_allclose(real.input, s.input.real.astype(np.float32))


def test_bias_toggle() -> None:
    s = Session.default(LayerSpec(1, 2, 1, input_size=(2, 2), bias=False))
    assert s.bias is None and "bias" not in s.tensors()
    on = s.with_spec(s.spec.replace(bias=True))
    assert on.bias.shape == (2,) and np.all(on.bias == 0)


def test_wrong_shape_names_the_tensor_and_both_shapes() -> None:
    spec = LayerSpec(1, 1, 3, input_size=(4, 4))
    s = Session.default(spec)
    message = r"weight shape \(1, 1, 2, 2\) does not fit .*\(1, 1, 3, 3\)"
    with pytest.raises(SpecError, match=message) as info:
        s.with_tensor("weight", np.zeros((1, 1, 2, 2)))
    assert info.value.fields == ("weight",)
    assert info.value.numbers == {"shape": (1, 1, 2, 2), "expected": (1, 1, 3, 3)}
    with pytest.raises(SpecError, match="bias is off") as info:
        Session(spec.replace(bias=False), s.input, s.weight, s.grad_output, bias=s.bias)
    assert info.value.fields == ("bias",)
    with pytest.raises(SpecError, match="grad_output dtype int64") as info:
        s.with_tensor("grad_output", np.zeros((1, 1, 2, 2), dtype=np.int64))
    assert info.value.fields == ("grad_output",)
    with pytest.raises(SpecError, match=r"input is missing; the spec needs shape \(1, 1, 4, 4\)"):
        Session(spec, None, s.weight, s.grad_output, bias=s.bias)
    with pytest.raises(ValueError, match="unknown tensor 'output'"):
        s.tensor("output")


def test_resize_cuts_and_pads() -> None:
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(resize(a, (3, 2), np.dtype("float64")), [[0, 1], [3, 4], [0, 0]])


def test_empty_batch_can_become_unbatched() -> None:
    s = Session.default(LayerSpec(2, 1, 1, input_size=(3, 3), batch=0))
    single = s.with_spec(s.spec.replace(batch=None))
    assert single.input.shape == (2, 3, 3) and np.all(single.input == 0)
    assert np.all(single.grad_output == 1)


@pytest.mark.parametrize(
    "spec, weight",
    [
        (LayerSpec(3, 4, 3, padding=1, input_size=(6, 6)),
         "weight regrouped (4, 3, 3, 3) → (3, 4, 3, 3) (each value"),
        # the same shape, but the values move: [o, c] → [c, o]
        (LayerSpec(2, 2, 3, dims=1, causal=True, input_size=8),
         "weight regrouped in its shape (2, 2, 3) (each value"),
        # one channel in and out per group: nothing moves
        (LayerSpec(4, 4, 3, groups=4, dims=1, input_size=8),
         "weight kept (one input and one output channel per group)"),
    ],
)
def test_a_kind_switch_says_what_the_weight_became_and_that_causal_went(spec, weight) -> None:
    """Review r12 F6: "weight regrouped (2, 2, 3) → (2, 2, 3)" read as a no-op, and a causal
    layer's switch did not say causal went."""
    from core.session import kind_switch_note, regroup_weight

    before = Session.default(spec)
    after = before.with_spec(spec.replace(transposed=True, causal=False))
    note = kind_switch_note(before, after)
    assert weight in note
    moved = not np.array_equal(regroup_weight(before.weight, spec.groups), before.weight)
    assert moved == ("regrouped" in note)
    assert ("causal dropped: a ConvTranspose1d has no causal form" in note) == spec.causal
