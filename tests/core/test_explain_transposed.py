"""core.explain of a transposed layer: every entry's terms are what autograd says it depends on.

`test_explain`'s checks, run on random ``nn.ConvTranspose2d`` layers (output_padding past
the stride included): the entries each tensor's terms read equal the entries with a
non-zero derivative under autograd, the terms sum to the entry as `compute` has it, each
term sits where the painting picture puts it, the reverse look-ups agree with the forward
terms, and an input pixel's window is its painted kernel copy.
"""

from __future__ import annotations

import numpy as np
import pytest
import test_explain as conv2d_tests  # their bodies run on transposed layers too
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_explain import CHECKS, entry, session

from core import LayerSpec, SpecError, explain, explain_spec, readers, window
from core.explain import SOURCES, TARGETS
from core.explain_links import padding_map


@st.composite
def specs(draw, batches=(None, 1, 2), small: bool = False) -> LayerSpec:
    groups = draw(st.integers(1, 2))
    kernel = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    stride = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    dilation = draw(st.tuples(st.integers(1, 2), st.integers(1, 3)))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1))
                           for s, d in zip(stride, dilation, strict=True))
    try:
        return LayerSpec(
            in_channels=groups * draw(st.integers(1, 2)),
            out_channels=groups * draw(st.integers(1, 2)),
            kernel_size=kernel, stride=stride, dilation=dilation, groups=groups,
            padding=draw(st.tuples(st.integers(0, 2), st.integers(0, 2))),
            output_padding=output_padding, bias=draw(st.booleans()),
            input_size=draw(st.tuples(st.integers(1, 3 if small else 4), st.integers(1, 4))),
            batch=draw(st.sampled_from(batches)),
            dtype=draw(st.sampled_from(["float64", "complex128"])), transposed=True,
        )
    except ValueError:
        assume(False)
        raise


@settings(CHECKS, max_examples=100)
@given(specs(), st.sampled_from(TARGETS), st.integers(0, 2**32 - 1), st.data())
def test_terms_read_what_autograd_says_and_sum_to_the_entry(spec, target, seed, data):
    conv2d_tests.test_terms_read_what_autograd_says_and_sum_to_the_entry.hypothesis.inner_test(
        spec, target, seed, data)


@settings(CHECKS, max_examples=60)
@given(specs(small=True), st.sampled_from(TARGETS), st.integers(0, 2**32 - 1), st.data())
def test_each_term_is_its_factors_product_and_sits_on_its_painted_copy(spec, target, seed,
                                                                       data):
    assume(target != "grad_bias" or spec.bias)
    s = session(spec, seed)
    index = entry(data.draw, spec, target)
    terms = explain_spec(spec, target, index, **s.tensors())
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    top, _, left, _ = spec.pads
    for term in terms:
        assert term.entry == index
        for name, where in term.reads.items():
            assert term.factors[name] == s.tensor(name)[where]
        parts = [np.conj(v) if n in term.conjugated else v for n, v in term.factors.items()]
        assert term.value == pytest.approx(np.prod(parts))
        if term.tap is None:
            continue
        h, w = term.pixel
        kh, kw = term.tap
        # input pixel (h, w) paints tap (kh, kw) onto this cell of the output before the
        # crop; the crop moves it by the padding
        assert term.padded == (h * sh + kh * dh, w * sw + kw * dw)
        assert term.out == (term.padded[0] - top, term.padded[1] - left)
        if "input" in term.reads:
            assert term.reads["input"][-2:] == (h, w)
        if "weight" in term.reads:  # (in, out/groups, kh, kw): the channels the term joins
            c, ol, *tap = term.reads["weight"]
            assert tuple(tap) == term.tap
            if "input" in term.reads:
                assert c == term.reads["input"][-3]
            if "grad_output" in term.reads:
                o = term.reads["grad_output"][-3]
                assert ol == o % spec.out_per_group
                assert o // spec.out_per_group == c // spec.in_per_group


@settings(CHECKS, max_examples=40)
@given(specs(small=True), st.sampled_from(SOURCES), st.integers(0, 2**32 - 1), st.data())
def test_reverse_look_ups_agree_with_the_forward_terms(spec, source, seed, data):
    conv2d_tests.test_reverse_look_ups_agree_with_the_forward_terms.hypothesis.inner_test(
        spec, source, seed, data)


@settings(CHECKS, max_examples=40)
@given(specs(small=True), st.data())
def test_an_input_pixel_s_window_is_its_painted_copy(spec, data):
    """The cells the window marks real are the output positions the pixel's readers add
    to; the others are the border padding crops."""
    h, w = data.draw(st.integers(0, spec.input_size[0] - 1)), data.draw(
        st.integers(0, spec.input_size[1] - 1))
    patch = window(spec, (h, w))
    top, _, left, _ = spec.pads
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    kh, kw = spec.kernel_size
    np.testing.assert_array_equal(patch.padded_rows, h * sh + np.arange(kh) * dh)
    np.testing.assert_array_equal(patch.padded_cols, w * sw + np.arange(kw) * dw)
    painted = {(int(r), int(c)) for r in patch.rows for c in patch.cols if r >= 0 and c >= 0}
    index = (0, h, w) if spec.batch is None else (0, 0, h, w)
    covered = {tuple(e[-2:]) for e in readers(spec, "input", index).entries().tolist()}
    assert painted == covered
    oh, ow = spec.output_size
    inside = ((patch.padded_rows[:, None] - top < oh) & (patch.padded_rows[:, None] >= top)
              & (patch.padded_cols[None, :] - left < ow) & (patch.padded_cols[None, :] >= left))
    np.testing.assert_array_equal(patch.border, ~inside)
    np.testing.assert_array_equal(patch.real, inside)


def test_the_functional_form_takes_torch_s_transposed_arguments() -> None:
    spec = LayerSpec(2, 4, (3, 2), stride=2, padding=1, output_padding=1, groups=2,
                     input_size=(3, 3), batch=1, transposed=True)
    s = session(spec, 4)
    layer = dict(stride=2, padding=1, output_padding=1, groups=2, transposed=True)
    for target in TARGETS:
        got = explain(target, (0,) * len(spec.shape(target)), input=s.input, weight=s.weight,
                      grad_output=s.grad_output, bias=s.bias, **layer)
        expected = explain_spec(spec, target, (0,) * len(spec.shape(target)), **s.tensors())
        assert got.spec == spec and np.array_equal(got.value, expected.value)
    with pytest.raises(SpecError, match="padding_mode must be 'zeros' for a transposed"):
        explain("output", (0, 0, 0, 0), input=s.input, weight=s.weight,
                padding_mode="reflect", **layer)
    with pytest.raises(SpecError, match="output_padding .* is only for a transposed"):
        explain("output", (0, 0, 0, 0), input=np.ones((1, 2, 4, 4)), weight=np.ones((2, 2, 3,
                3)), output_padding=1)
    with pytest.raises(ValueError, match="index 3 is out of range for input pixel axis 0"):
        window(spec, (3, 0))


def test_the_padding_map_of_a_transposed_layer_is_its_crop() -> None:
    spec = LayerSpec(1, 1, 3, stride=2, padding=(1, 2), output_padding=1, input_size=(3, 4),
                     transposed=True)
    rows, cols = padding_map(spec)
    (oh, ow), (hp, wp) = spec.output_size, spec.padded_size
    np.testing.assert_array_equal(rows, [-1, *range(oh), -1])
    np.testing.assert_array_equal(cols, [-1, -1, *range(ow), -1, -1])
    assert (rows.size, cols.size) == (hp, wp)


ORDER = {  # the columns each target's terms are sorted by, most significant first
    "output": ("c", "h", "w", "kh", "kw"),  # the copies that cover the entry, pixel by pixel
    "grad_input": ("o", "kh", "kw"),  # the painted copy, tap by tap
    "grad_weight": ("n", "h", "w"),
    "grad_bias": ("n", "oi", "oj"),
}


@pytest.mark.parametrize("target", TARGETS)
def test_terms_come_in_animation_order(target) -> None:
    spec = LayerSpec(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2,
                     output_padding=(1, 1), input_size=(4, 3), batch=2, transposed=True)
    s = session(spec, 5)
    index = tuple(size // 2 for size in spec.shape(target))
    terms = explain_spec(spec, target, index, **s.tensors())
    terms = terms[terms.kh >= 0] if target == "output" else terms
    assert len(terms) > 1
    keys = np.stack([getattr(terms, c) for c in ORDER[target]], axis=1).tolist()
    assert keys == sorted(keys) and len(set(map(tuple, keys))) == len(keys)
