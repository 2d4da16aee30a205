"""core.explain for Conv1d and Conv3d, their transposed forms and the causal Conv1d.

`test_explain`'s promises, on layers of 1 and 3 spatial axes: the entries each tensor's terms
read equal the entries with a non-zero derivative under torch's autograd (double backward for
the gradients), the terms sum to the entry as torch computes it, each term sits where the
per-axis geometry puts it, the reverse look-ups agree with the forward terms, and the N-d
index arrays (`Terms.cells`, `padded_cells`) are full-rank indices into the tensors.
Torch is the reference (and core.compute agrees); explain itself reads no result of core's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_explain import CHECKS, MODES, autograd, entry, session, term_reads

from core import LayerSpec, compute, explain, explain_spec, readers, window
from core.explain import SOURCES, TARGETS
from core.explain_links import padding_map

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
FEW = settings(CHECKS, max_examples=60)


# -- strategies --------------------------------------------------------------------------------
def _axes(draw, dims: int, element) -> tuple[int, ...]:
    return tuple(draw(element) for _ in range(dims))


@st.composite
def conv_specs(draw, dims=(1, 3), batches=(None, 1, 2)) -> LayerSpec:
    """Convolutions, small enough that a 3D layer's every entry is a few terms."""
    d = draw(st.sampled_from(dims))
    big = d == 1
    groups = draw(st.integers(1, 2))
    kernel = _axes(draw, d, st.integers(1, 4 if big else 2))
    dilation = _axes(draw, d, st.integers(1, 3 if big else 2))
    causal = d == 1 and draw(st.sampled_from([False, False, False, True]))
    pads = st.integers(-1, 2)
    padding = 0 if causal else draw(st.one_of(pads, st.tuples(*[pads] * d),
                                              st.sampled_from(["valid", "same"])))
    stride = (1,) * d if padding == "same" else _axes(draw, d, st.integers(1, 3))
    extent = [dl * (k - 1) + 1 for k, dl in zip(kernel, dilation, strict=True)]
    size = tuple(draw(st.integers(max(1, e - 1), e + (4 if big else 2))) for e in extent)
    try:
        return LayerSpec(
            in_channels=groups * draw(st.integers(1, 2)),
            out_channels=groups * draw(st.integers(1, 2)),
            kernel_size=kernel, stride=stride, padding=padding, dilation=dilation, groups=groups,
            bias=draw(st.booleans()),
            padding_mode="zeros" if causal else draw(st.sampled_from(MODES)),
            input_size=size, batch=draw(st.sampled_from(batches)),
            dtype=draw(st.sampled_from(["float64", "complex128"])), dims=d, causal=causal,
        )
    except ValueError:
        assume(False)
        raise


@st.composite
def transposed_specs(draw, dims=(1, 3), batches=(None, 1, 2)) -> LayerSpec:
    d = draw(st.sampled_from(dims))
    big = d == 1
    groups = draw(st.integers(1, 2))
    kernel = _axes(draw, d, st.integers(1, 3 if big else 2))
    stride = _axes(draw, d, st.integers(1, 3))
    dilation = _axes(draw, d, st.integers(1, 2))
    output_padding = tuple(draw(st.integers(0, max(s, dl) - 1))
                           for s, dl in zip(stride, dilation, strict=True))
    try:
        return LayerSpec(
            in_channels=groups * draw(st.integers(1, 2)),
            out_channels=groups * draw(st.integers(1, 2)),
            kernel_size=kernel, stride=stride, dilation=dilation, groups=groups,
            padding=_axes(draw, d, st.integers(0, 2)), output_padding=output_padding,
            bias=draw(st.booleans()),
            input_size=_axes(draw, d, st.integers(1, 4 if big else 2)),
            batch=draw(st.sampled_from(batches)),
            dtype=draw(st.sampled_from(["float64", "complex128"])), dims=d, transposed=True,
        )
    except ValueError:
        assume(False)
        raise


def any_specs():
    return st.one_of(conv_specs(), conv_specs(), transposed_specs())  # convs fail more often


def torch_padded_source(spec: LayerSpec) -> np.ndarray:
    """Which real pixel (its flat index) each padded cell holds under torch's padding."""
    size = spec.input_size
    ids = torch.arange(int(np.prod(size)), dtype=torch.float64).reshape(1, 1, *size)
    widths = [p for axis in reversed(range(spec.dims)) for p in spec.pads[2 * axis:2 * axis + 2]]
    mode = {"zeros": "constant"}.get(spec.padding_mode, spec.padding_mode)
    value = -1.0 if mode == "constant" else None
    return F.pad(ids, widths, mode=mode, value=value)[0, 0].long().numpy()


# -- forward explanations ------------------------------------------------------------------------
@settings(CHECKS, max_examples=80)
@given(any_specs(), st.sampled_from(TARGETS), st.integers(0, 2**32 - 1), st.data())
def test_terms_read_what_autograd_says_and_sum_to_the_entry(spec, target, seed, data):
    assume(target != "grad_bias" or spec.bias)
    s = session(spec, seed)
    index = entry(data.draw, spec, target)
    terms = explain_spec(spec, target, index, **s.tensors())

    value, reads = autograd(spec, s, target, index)
    assert term_reads(terms, spec) == reads
    np.testing.assert_allclose(terms.sum(), value, rtol=0, atol=1e-10)
    # and as core computes it (the numbers the app shows beside the sum)
    result = getattr(compute(spec, s.input, s.weight, s.bias, s.grad_output), target)
    np.testing.assert_allclose(terms.sum(), result[index], rtol=0, atol=1e-10)
    assert (terms.entries() == index).all()


@FEW
@given(conv_specs(batches=(None, 2)), st.sampled_from(TARGETS), st.integers(0, 2**32 - 1),
       st.data())
def test_each_term_sits_where_the_per_axis_geometry_says(spec, target, seed, data):
    assume(target != "grad_bias" or spec.bias)
    s = session(spec, seed)
    index = entry(data.draw, spec, target)
    terms = explain_spec(spec, target, index, **s.tensors())
    source = torch_padded_source(spec)
    stride, dilation = np.array(spec.stride), np.array(spec.dilation)
    for term in terms:
        assert term.entry == index
        for name, where in term.reads.items():
            assert term.factors[name] == s.tensor(name)[where]
        parts = [np.conj(v) if n in term.conjugated else v for n, v in term.factors.items()]
        assert term.value == pytest.approx(np.prod(parts))
        assert len(term.out) == spec.dims
        if term.padded is None:
            continue
        assert term.padded == tuple(np.array(term.out) * stride + np.array(term.tap) * dilation)
        assert source[term.padded] == np.ravel_multi_index(term.pixel, spec.input_size)
        if "input" in term.reads:
            assert term.reads["input"][-spec.dims:] == term.pixel


@FEW
@given(transposed_specs(batches=(None, 2)), st.sampled_from(TARGETS),
       st.integers(0, 2**32 - 1), st.data())
def test_each_transposed_term_sits_on_its_painted_copy(spec, target, seed, data):
    assume(target != "grad_bias" or spec.bias)
    s = session(spec, seed)
    terms = explain_spec(spec, target, entry(data.draw, spec, target), **s.tensors())
    stride, dilation = np.array(spec.stride), np.array(spec.dilation)
    before = np.array(spec.pads[::2])
    for term in terms:
        if term.tap is None:
            continue
        # input pixel x paints tap k at x·s + k·d before the crop; the crop moves it back
        assert term.padded == tuple(np.array(term.pixel) * stride + np.array(term.tap) * dilation)
        assert term.out == tuple(np.array(term.padded) - before)
        if "weight" in term.reads:
            assert term.reads["weight"][2:] == term.tap


# -- reverse look-ups ----------------------------------------------------------------------------
def keyed(terms, name: str, where=None) -> dict[tuple, complex]:
    mask = terms.reading(name)
    if where is not None:
        mask[mask] = (terms.indices(name) == where).all(axis=1)
    return dict(zip(map(tuple, terms.rows()[mask].tolist()), terms.value[mask].tolist(),
                    strict=True))


@settings(CHECKS, max_examples=50)
@given(st.one_of(conv_specs(batches=(None, 2)), transposed_specs(batches=(None, 2))),
       st.sampled_from(SOURCES), st.integers(0, 2**32 - 1), st.data())
def test_reverse_look_ups_agree_with_the_forward_terms(spec, source, seed, data):
    assume(source != "bias" or spec.bias)
    s = session(spec, seed)
    where = entry(data.draw, spec, source)
    reader = "grad_input" if source == "grad_output" else "output"
    every = {}
    for index in np.ndindex(spec.shape(reader)):
        every.update(keyed(explain_spec(spec, reader, index, **s.tensors()), source, where))
    found = readers(spec, source, where, **s.tensors())
    assert found.target == reader and found.entry is None
    assert keyed(found, source) == every
    assert (found.indices(source) == where).all()


# -- the N-d index arrays ------------------------------------------------------------------------
@FEW
@given(any_specs(), st.sampled_from(TARGETS), st.data())
def test_cells_are_full_rank_indices_into_every_tensor(spec, target, data):
    assume(target != "grad_bias" or spec.bias)
    index = entry(data.draw, spec, target)
    terms = explain_spec(spec, target, index)
    d, count = spec.dims, len(terms)
    for column in (terms.out_spatial, terms.taps, terms.padded_spatial, terms.spatial):
        assert column.shape == (d, count)
    for name in ("input", "weight", "bias", "output", "grad_output", "grad_input",
                 "grad_weight", "grad_bias"):
        shape = spec.shape(name)
        if shape is None:
            continue
        cells = terms.cells(name)
        assert cells.shape == (count, len(shape))
        touched = (cells >= 0).all(axis=1)
        assert ((cells < np.array(shape)) | ~touched[:, None]).all()
        assert (cells[~touched] == -1).all()
        if name in SOURCES:
            np.testing.assert_array_equal(touched, terms.reading(name))
            np.testing.assert_array_equal(cells[touched], terms.indices(name))
    padded = terms.padded_cells()
    grid = spec.shape("output" if spec.transposed else "input", padded=True)
    assert padded.shape == (count, len(grid))
    assert ((padded < np.array(grid)) | ~terms.has_tap[:, None]).all()
    for k in np.flatnonzero(terms.has_tap)[:3]:
        assert terms.through(terms.padded_spatial[:, k])[k]
    if d != 2:
        with pytest.raises(AttributeError, match="taps\\[axis\\]"):
            terms.kh  # noqa: B018


# -- windows, the causal layer, the functional form ---------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dims", [1, 3])
def test_window_matches_torch_padding_and_the_output_terms(mode, dims):
    spec = LayerSpec(2, 2, (3, 2, 2)[:dims] if dims == 3 else 3, stride=2, padding=(2, 1, 1)
                     [:dims] if dims == 3 else 2, dilation=(1, 2, 1)[:dims] if dims == 3 else 2,
                     padding_mode=mode, input_size=(4, 3, 3) if dims == 3 else 6, dims=dims)
    source = torch_padded_source(spec)
    for out in np.ndindex(spec.output_size):
        win = window(spec, out)
        assert win.real.shape == win.border.shape == spec.kernel_size
        cells = win.cells()
        held = source[tuple(cells.T)].reshape(spec.kernel_size)
        pixels = np.stack(np.meshgrid(*win.pixels, indexing="ij"), axis=-1)
        flat = np.ravel_multi_index(tuple(np.moveaxis(np.maximum(pixels, 0), -1, 0)),
                                    spec.input_size)
        np.testing.assert_array_equal(np.where(win.real, flat, -1), held)
        terms = explain_spec(spec, "output", (0, 0, *out))
        covered = set(map(tuple, terms.padded_spatial[:, terms.has_tap].T.tolist()))
        assert covered == set(map(tuple, cells[win.real.ravel()].tolist()))


def test_a_causal_conv1d_reads_no_later_input():
    spec = LayerSpec(1, 1, 3, dilation=2, input_size=8, dims=1, causal=True, batch=None)
    assert spec.pads == (4, 0) and spec.output_size == (8,)
    for t in range(8):
        terms = explain_spec(spec, "output", (0, t))
        pixels = terms.spatial[0, terms.has_tap]
        assert set(pixels.tolist()) == {t - 2 * k for k in range(3)} & set(range(8))
        assert (pixels <= t).all()
    assert padding_map(spec)[0].tolist() == [-1] * 4 + list(range(8))
    # the last input feeds only the last output; the first feeds three
    assert len(readers(spec, "input", (0, 7))) == 1
    assert len(readers(spec, "input", (0, 0))) == 3


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("dims", [1, 3])
def test_the_functional_form_reads_the_dims_from_the_weight(dims, transposed):
    spec = LayerSpec(2, 2, 2, stride=2, padding=1, dims=dims, input_size=3, batch=1,
                     transposed=transposed, output_padding=1 if transposed else 0)
    s = session(spec, 7)
    for target in TARGETS:
        index = tuple(n - 1 for n in spec.shape(target))
        got = explain(target, index, input=s.input, weight=s.weight, grad_output=s.grad_output,
                      bias=s.bias, stride=2, padding=1, transposed=transposed,
                      output_padding=1 if transposed else 0)
        assert got.spec == spec
        assert np.array_equal(got.value, explain_spec(spec, target, index, **s.tensors()).value)
    if not transposed and dims == 1:
        causal = explain("output", (0, 0, 0), input=s.input, weight=s.weight, causal=True)
        assert causal.spec.causal and causal.spec.pads == (1, 0)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_flat_numbers_positions_and_taps_as_im2col_does(dims):
    spec = LayerSpec(2, 2, 2, stride=2, padding=1, input_size=(3, 4, 5)[:dims], dims=dims,
                     bias=True)
    terms = explain_spec(spec, "grad_weight", (1, 1, *(1,) * dims))
    rows = terms.flat("out_spatial", spec.output_size)
    np.testing.assert_array_equal(
        rows, [np.ravel_multi_index(tuple(q), spec.output_size) for q in terms.out_spatial.T])
    bias = explain_spec(spec, "output", (0, 1, *(0,) * dims))
    taps = bias.flat("taps", spec.kernel_size)
    assert taps[-1] == -1 and (taps[:-1] >= 0).all()  # the bias term has no tap
    with pytest.raises(ValueError, match="column must be one of"):
        terms.flat("kh", spec.kernel_size)
