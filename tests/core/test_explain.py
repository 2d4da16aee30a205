"""core.explain: the terms of every entry are exactly what autograd says the entry depends on.

For random layers over every hyperparameter and padding mode: the entries each tensor's terms
read equal the entries with a non-zero derivative under torch's autograd (double backward for
the gradients), the terms sum to the entry as core computes it, and the reverse look-ups
agree with the forward ones.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core import LayerSpec, SpecError, compute, explain, explain_spec, readers, window
from core.explain import SOURCES, TARGETS
from core.explain_links import COLUMNS
from core.session import Session

# torch warns that it copies the input for an asymmetric 'same': true, and not our concern.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

MODES = ("zeros", "reflect", "replicate", "circular")
SHAPES = {"input": "input_shape", "grad_input": "input_shape", "weight": "weight_shape",
          "grad_weight": "weight_shape", "bias": "bias_shape", "grad_bias": "bias_shape",
          "output": "output_shape", "grad_output": "output_shape"}
CHECKS = settings(max_examples=150, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# -- strategies --------------------------------------------------------------------------------
@st.composite
def specs(draw, batches=(None, 1, 2), small: bool = False) -> LayerSpec:
    groups = draw(st.integers(1, 2 if small else 3))
    kernel = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    dilation = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    # Negative padding crops (torch allows it for every mode but zeros; the spec decides).
    pads = st.integers(-1, 2)
    padding = draw(st.one_of(pads, st.tuples(pads, pads), st.sampled_from(["valid", "same"])))
    stride = (1, 1) if padding == "same" else draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    size = draw(st.tuples(*(st.integers(max(1, e - 2), e + (3 if small else 5)) for e in extent)))
    try:
        return LayerSpec(
            in_channels=groups * draw(st.integers(1, 2)),
            out_channels=groups * draw(st.integers(1, 2)),
            kernel_size=kernel, stride=stride, padding=padding, dilation=dilation, groups=groups,
            bias=draw(st.booleans()), padding_mode=draw(st.sampled_from(MODES)),
            input_size=size, batch=draw(st.sampled_from(batches)),
            dtype=draw(st.sampled_from(["float64", "complex128"])),
        )
    except ValueError:
        assume(False)
        raise


def session(spec: LayerSpec, seed: int) -> Session:
    """Random normal tensors everywhere (grad_output too), so no derivative vanishes by chance."""
    rng = np.random.default_rng(seed)

    def normal(shape):
        a = rng.standard_normal(shape)
        return a + 1j * rng.standard_normal(shape) if spec.dtype == "complex128" else a

    return Session(spec=spec, input=normal(spec.input_shape), weight=normal(spec.weight_shape),
                   bias=normal(spec.bias_shape) if spec.bias else None,
                   grad_output=normal(spec.output_shape))


def entry(draw, spec: LayerSpec, name: str) -> tuple[int, ...]:
    shape = getattr(spec, SHAPES[name])
    return tuple(draw(st.integers(0, s - 1)) for s in shape)


# -- torch's answer ----------------------------------------------------------------------------
def torch_forward(spec: LayerSpec, x, w, b):
    """torch's own layer of any d: nn.Conv{d}d (its padding modes), F.conv_transpose{d}d, or
    the causal Conv1d's recipe (pad on the left only, then no padding of its own)."""
    d = spec.dims
    if spec.transposed:
        return getattr(F, f"conv_transpose{d}d")(x, w, b, spec.stride, spec.padding,
                                                 spec.output_padding, spec.groups, spec.dilation)
    if spec.causal:
        return F.conv1d(F.pad(x, (spec.pads[0], 0)), w, b, spec.stride, 0, spec.dilation,
                        spec.groups)
    layer = getattr(torch.nn, f"Conv{d}d")(
        spec.in_channels, spec.out_channels, spec.kernel_size, spec.stride, spec.padding,
        spec.dilation, spec.groups, spec.bias, spec.padding_mode, dtype=getattr(torch, spec.dtype),
    )
    return layer._conv_forward(x, w, b)


def _support(grad: torch.Tensor | None) -> set[tuple[int, ...]]:
    return set() if grad is None else {tuple(i) for i in torch.nonzero(grad).tolist()}


def autograd(spec: LayerSpec, s: Session, target: str, index):
    """``target[index]`` as torch computes it, and the entries of each tensor it has a
    non-zero derivative w.r.t. (double backward for the gradients)."""
    leaves = {name: torch.tensor(a, requires_grad=True) for name, a in s.tensors().items()}
    x, w, b, gy = (leaves.get(n) for n in ("input", "weight", "bias", "grad_output"))
    y = torch_forward(spec, x, w, b)
    assert tuple(y.shape) == spec.output_shape
    if target == "output":
        value = y[index]
    else:
        wrt = {"grad_input": x, "grad_weight": w, "grad_bias": b}[target]
        (grad,) = torch.autograd.grad(y, wrt, grad_outputs=gy, create_graph=True)
        value = grad[index]
    names = list(leaves)
    grads = torch.autograd.grad(value, [leaves[n] for n in names], torch.ones_like(value),
                                allow_unused=True)
    return value.detach().numpy(), {n: _support(g) for n, g in zip(names, grads, strict=True)}


def autograd_reads(spec: LayerSpec, s: Session, target: str, index) -> dict[str, set]:
    """The entries of each tensor that ``target[index]`` has a non-zero derivative w.r.t."""
    return autograd(spec, s, target, index)[1]


def term_reads(terms, spec: LayerSpec) -> dict[str, set]:
    names = [n for n in SOURCES if n != "bias" or spec.bias]
    return {n: set(map(tuple, terms.indices(n).tolist())) for n in names}


# -- (a) and (b): forward explanations -----------------------------------------------------------
@CHECKS
@given(specs(), st.sampled_from(TARGETS), st.integers(0, 2**32 - 1), st.data())
def test_terms_read_what_autograd_says_and_sum_to_the_entry(spec, target, seed, data):
    assume(target != "grad_bias" or spec.bias)
    s = session(spec, seed)
    index = entry(data.draw, spec, target)
    terms = explain_spec(spec, target, index, **s.tensors())

    assert term_reads(terms, spec) == autograd_reads(spec, s, target, index)
    result = getattr(compute(spec, s.input, s.weight, s.bias, s.grad_output), target)
    np.testing.assert_allclose(terms.sum(), result[index], rtol=0, atol=1e-10)
    assert (terms.entries() == index).all()


def torch_padded_source(spec: LayerSpec) -> np.ndarray:
    """Which real pixel (h·W + w) each padded cell holds under torch's own padding; -1: zero."""
    height, width = spec.input_size
    ids = torch.arange(height * width, dtype=torch.float64).reshape(1, 1, height, width)
    top, bottom, left, right = spec.pads
    mode = {"zeros": "constant"}.get(spec.padding_mode, spec.padding_mode)
    value = -1.0 if mode == "constant" else None
    return F.pad(ids, (left, right, top, bottom), mode=mode, value=value)[0, 0].long().numpy()


@settings(CHECKS, max_examples=60)
@given(specs(small=True), st.sampled_from(TARGETS), st.integers(0, 2**32 - 1), st.data())
def test_each_term_is_its_factors_product_and_sits_where_it_says(spec, target, seed, data):
    assume(target != "grad_bias" or spec.bias)
    s = session(spec, seed)
    index = entry(data.draw, spec, target)
    terms = explain_spec(spec, target, index, **s.tensors())
    source = torch_padded_source(spec)
    (sh, sw), (dh, dw), width = spec.stride, spec.dilation, spec.input_size[1]
    for i, term in enumerate(terms):
        assert term == terms[i - len(terms)]
        assert term.entry == index
        for name, where in term.reads.items():
            assert term.factors[name] == s.tensor(name)[where]
        parts = [np.conj(v) if n in term.conjugated else v for n, v in term.factors.items()]
        assert term.value == pytest.approx(np.prod(parts))
        if "input" in term.reads:
            assert term.reads["input"][-2:] == term.pixel
        if term.padded is not None:
            kh, kw = term.tap
            assert term.padded == (term.out[0] * sh + kh * dh, term.out[1] * sw + kw * dw)
            assert source[term.padded] == term.pixel[0] * width + term.pixel[1]


# -- (c): reverse look-ups ----------------------------------------------------------------------
def keyed(terms, name: str, where: tuple[int, ...] | None = None) -> dict[tuple, complex]:
    """Each term that reads ``name`` (at ``where``, if given), keyed by all its columns."""
    mask = terms.reading(name)
    if where is not None:
        mask[mask] = (terms.indices(name) == where).all(axis=1)
    rows = np.stack([getattr(terms, c)[mask] for c in COLUMNS], axis=1).tolist()
    return dict(zip(map(tuple, rows), terms.value[mask].tolist(), strict=True))


@settings(CHECKS, max_examples=100)
@given(specs(small=True), st.sampled_from(SOURCES), st.integers(0, 2**32 - 1), st.data())
def test_reverse_look_ups_agree_with_the_forward_terms(spec, source, seed, data):
    assume(source != "bias" or spec.bias)
    s = session(spec, seed)
    where = entry(data.draw, spec, source)
    reader = "grad_input" if source == "grad_output" else "output"
    every = {}
    for index in np.ndindex(getattr(spec, SHAPES[reader])):
        every.update(keyed(explain_spec(spec, reader, index, **s.tensors()), source, where))

    found = readers(spec, source, where, **s.tensors())
    assert found.target == reader and found.entry is None
    assert keyed(found, source) == every
    assert (found.indices(source) == where).all()


# -- order, the sequence, geometry ---------------------------------------------------------------
ORDER = {  # the columns each target's terms are sorted by, most significant first
    "output": ("c", "kh", "kw"),
    "grad_input": ("o", "oi", "oj", "kh", "kw"),
    "grad_weight": ("n", "oi", "oj"),
    "grad_bias": ("n", "oi", "oj"),
}
READER_ORDER = {"input": ORDER["grad_input"], "weight": ORDER["grad_weight"],
                "bias": ORDER["grad_bias"], "grad_output": ORDER["output"]}
LAYER = LayerSpec(4, 6, (3, 2), stride=(2, 1), padding=(2, 1), dilation=(1, 2), groups=2,
                  padding_mode="reflect", input_size=(7, 6), batch=2)


def _strictly_sorted(terms, keys) -> bool:
    rows = np.stack([getattr(terms, k) for k in keys], axis=1).tolist()
    return all(a < b for a, b in zip(rows[:-1], rows[1:], strict=True))


@pytest.mark.parametrize("mode", MODES)
def test_terms_come_in_animation_order(mode):
    spec = LAYER.replace(padding_mode=mode)
    s = session(spec, 0)
    for target, index in (("output", (1, 4, 2, 3)), ("grad_input", (0, 3, 0, 5)),
                          ("grad_weight", (5, 1, 2, 1)), ("grad_bias", (2,))):
        terms = explain_spec(spec, target, index, **s.tensors())
        if target == "output":
            assert terms[-1].reads == {"bias": (4,)}
            terms = terms[:-1]
        assert len(terms) > 1 and _strictly_sorted(terms, ORDER[target])
    for source, index in (("input", (0, 3, 0, 5)), ("weight", (5, 1, 2, 1)), ("bias", (2,)),
                          ("grad_output", (1, 4, 2, 3))):
        assert _strictly_sorted(readers(spec, source, index), READER_ORDER[source])


def test_a_pixel_copied_into_several_border_cells_gives_a_term_for_each():
    spec = LayerSpec(1, 1, 3, padding=2, padding_mode="replicate", input_size=(4, 4), batch=None)
    terms = explain_spec(spec, "grad_input", (0, 0, 0))
    # Pixel (0, 0) fills the 3×3 top-left corner of the padded input: each of the 9 taps of
    # the window at output (0, 0) reads a copy of it.
    origin = (terms.oi == 0) & (terms.oj == 0)
    assert origin.sum() == 9
    assert set(zip(terms.ph[origin].tolist(), terms.pw[origin].tolist(), strict=True)) == {
        (i, j) for i in range(3) for j in range(3)
    }
    assert set(terms.h.tolist()) == {0} and set(terms.w.tolist()) == {0}


def test_sequence_protocol_and_slices():
    s = session(LAYER, 1)
    terms = explain_spec(LAYER, "grad_weight", (5, 1, 2, 1), **s.tensors())
    items = list(terms)
    assert len(items) == len(terms) > 4
    assert terms[-1] == items[-1] and terms[0] == items[0]
    head = terms[:4]
    assert len(head) == 4 and list(head) == items[:4]
    assert head.sum() == pytest.approx(sum(t.value for t in items[:4]))
    assert terms[::2][1] == items[2]
    mask = terms.oi % 2 == 1
    odd = terms[mask]
    assert list(odd) == [t for t, keep in zip(items, mask, strict=True) if keep]
    assert odd.sum() == pytest.approx(sum(t.value for t, k in zip(items, mask, strict=True) if k))
    assert list(terms[np.array([3, 0])]) == [items[3], items[0]]
    assert not odd.value.flags.writeable
    with pytest.raises(IndexError, match="does not fit"):
        terms[mask[:-1]]
    with pytest.raises(IndexError, match="out of range"):
        terms[len(terms)]
    assert not terms.value.flags.writeable and not terms.oi.flags.writeable
    assert "grad_weight[5, 1, 2, 1]" in repr(terms)


def test_functional_form_matches_the_spec_form_and_geometry_needs_no_tensors():
    spec = LAYER.replace(batch=None, dtype="complex128")
    s = session(spec, 2)
    kwargs = dict(stride=spec.stride, padding=spec.padding, dilation=spec.dilation,
                  groups=spec.groups, padding_mode=spec.padding_mode)
    for target, index in (("output", (4, 2, -1)), ("grad_input", (3, 0, 5)),
                          ("grad_weight", (5, 1, 2, 1)), ("grad_bias", (-4,))):
        a = explain(target, index, input=s.input, weight=s.weight, bias=s.bias,
                    grad_output=s.grad_output, **kwargs)
        b = explain_spec(spec, target, index, **s.tensors())
        bare = explain_spec(spec, target, index)
        assert a.entry == b.entry == tuple(i % n for i, n in zip(
            index, getattr(spec, SHAPES[target]), strict=True))
        for c in COLUMNS:
            np.testing.assert_array_equal(getattr(a, c), getattr(b, c))
            np.testing.assert_array_equal(getattr(bare, c), getattr(b, c))
        np.testing.assert_array_equal(a.value, b.value)
        assert bare.value is None and bare[0].value is None and bare[0].factors == {}
        assert bare[0].reads == b[0].reads
        with pytest.raises(ValueError, match="without tensors"):
            bare.sum()


@pytest.mark.parametrize("mode", MODES)
def test_window_matches_torch_padding_and_the_output_terms(mode):
    spec = LAYER.replace(padding_mode=mode)
    source = torch_padded_source(spec)
    width = spec.input_size[1]
    for out in np.ndindex(spec.output_size):
        win = window(spec, out)
        cells = source[np.ix_(win.padded_rows, win.padded_cols)]
        pixels = win.rows[:, None] * width + win.cols[None, :]
        np.testing.assert_array_equal(np.where(win.real, pixels, -1), cells)
        terms = explain_spec(spec, "output", (0, 0, *out))
        covered = set(zip(terms.ph[:-1].tolist(), terms.pw[:-1].tolist(), strict=True))
        i, j = np.nonzero(win.real)
        real = set(zip(win.padded_rows[i].tolist(), win.padded_cols[j].tolist(), strict=True))
        assert covered == real
    corner = window(spec, (0, 0))
    assert corner.border[0].all() and not corner.border[-1, -1]


def test_an_empty_batch_has_no_terms():
    spec = LAYER.replace(batch=0)
    s = session(spec, 0)
    for target, index in (("grad_weight", (0, 0, 0, 0)), ("grad_bias", (0,))):
        terms = explain_spec(spec, target, index, **s.tensors())
        assert len(terms) == 0 and terms.sum() == 0


@pytest.mark.parametrize(
    ("call", "message", "fields"),
    [
        (lambda s: explain_spec(s.spec, "grad_x", (0,)), "target must be one of output",
         ("target",)),
        (lambda s: explain_spec(s.spec, "grad_input", (0, 1, 2, 9)),
         "index 9 is out of range for grad_input axis 3 of size 6", ("index",)),
        (lambda s: explain_spec(s.spec, "grad_input", (0, 1, -8, 0)),
         "index -8 is out of range for grad_input axis 2 of size 7", ("index",)),
        (lambda s: explain_spec(s.spec, "output", (0, 1, 2)),
         r"output index \(0, 1, 2\) has 3 numbers but output has shape \(2, 6, 5, 6\)",
         ("index",)),
        (lambda s: explain_spec(s.spec, "output", (0, 1, 2, 1.0)), "must be a tuple of ints",
         ("index",)),
        (lambda s: explain_spec(s.spec, "output", (True, 1, 2, 1)), "must be a tuple of ints",
         ("index",)),
        (lambda s: explain_spec(s.spec.replace(bias=False), "grad_bias", 0),
         "grad_bias does not exist: the layer has no bias", ("bias",)),
        (lambda s: explain_spec(s.spec, "grad_input", (0, 0, 0, 0), weight=s.weight),
         "grad_input terms need weight, grad_output; missing: grad_output", ("grad_output",)),
        (lambda s: explain_spec(s.spec, "output", (0, 0, 0, 0), input=s.input[:1]),
         r"input shape \(1, 4, 7, 6\) does not match the layer's shape \(2, 4, 7, 6\)",
         ("input",)),
        (lambda s: explain_spec(s.spec, "output", (0, 0, 0, 0), weight=s.weight.astype("f4")),
         "weight dtype float32 does not match the layer's float64", ("weight",)),
        (lambda s: explain("grad_weight", (0, 0, 0, 0), input=s.input, weight=s.weight,
                         groups=2),
         "missing: grad_output", ("grad_output",)),
        (lambda s: explain("output", (0, 0, 0, 0), input=s.input.astype(int),
                         weight=s.weight, groups=2),
         "input dtype int64 is not supported", ("input",)),
        (lambda s: readers(s.spec, "output", (0, 0, 0, 0)), "source must be one of input",
         ("source",)),
        (lambda s: window(s.spec, (5, 0)),
         "index 5 is out of range for output position axis 0 of size 5",
         ("index",)),
    ],
)
def test_bad_arguments_are_named(call, message, fields):
    with pytest.raises(ValueError, match=message) as info:
        call(session(LAYER, 0))
    if fields is not None:  # the argument an editor would mark
        assert isinstance(info.value, SpecError) and info.value.fields == fields


@pytest.mark.parametrize("target", TARGETS)
def test_inf_and_nan_terms_sum_to_the_entry_without_warnings(target):
    """Warnings are errors in this suite: 0·inf and inf - inf give nan quietly, as in torch."""
    rng = np.random.default_rng(4)
    spec = LayerSpec.from_arrays((1, 2, 5, 5), (3, 2, 3, 3), bias=True, dtype="float64")
    x, w, b = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), np.ones(3)
    gy = rng.standard_normal(spec.output_shape)
    x[0, 0, 2, 2], x[0, 1, 1, 1], w[0, 1, 1, 1], gy[0, 0, 1, 1] = np.inf, -np.inf, np.nan, np.inf
    got = compute(spec, x, w, b, gy)
    tensors = {"input": x, "weight": w, "bias": b, "grad_output": gy}
    expected = getattr(got, target)
    for index in np.ndindex(expected.shape):
        total = explain_spec(spec, target, index, **tensors).sum()
        np.testing.assert_allclose(total, expected[index], rtol=1e-10, atol=1e-10)
