"""A layer with another number of spatial axes (`core.spec_dims`): the rule a checkpoint
import uses (`spec_with_dims`) and the Layer panel's switch (`switch_dims`) built on it, which
must differ only where the module says (a small depth, plain axes where a copy is refused)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nd_cases import valid_cases

from core.spec import LayerSpec, SpecError
from core.spec_dims import DEPTH, spec_with_dims, switch_dims

BASE = LayerSpec(3, 4, (3, 5), stride=(1, 2), padding=(1, 2), dilation=(1, 2), groups=1,
                 input_size=(9, 16), batch=2, dtype="float32", padding_mode="replicate")
_COPIED = ("kernel_size", "stride", "padding", "dilation", "output_padding")


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
    # the rule alone copies the height, whose kernel fits: a checkpoint's layer keeps it
    assert spec_with_dims(big, 3).kernel_size == (7, 7, 3)
    assert spec_with_dims(big, 3).input_size == (9, 9, 16)


def test_causal_goes_and_a_transposed_layer_stays_transposed():
    causal = LayerSpec(2, 2, 3, dims=1, causal=True, dilation=2, input_size=10)
    for two in (switch_dims(causal, 2), spec_with_dims(causal, 2)):
        assert not two.causal and two.padding == (0, 0) and two.dilation == (2, 2)
    t = LayerSpec(2, 4, (3, 3), stride=2, output_padding=1, transposed=True, input_size=5)
    assert switch_dims(t, 3).transposed and switch_dims(t, 1).output_padding == (1,)
    assert spec_with_dims(t, 3).transposed and spec_with_dims(t, 1).output_padding == (1,)


def _refusal(f, spec: LayerSpec, dims: int) -> str | None:
    try:
        f(spec, dims)
    except SpecError as exc:
        return str(exc)
    return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([1, 2, 3]).flatmap(lambda d: valid_cases(d, dtypes=("float64",))),
       st.sampled_from([1, 2, 3]))
def test_the_switch_is_the_rule_but_for_a_small_depth_and_plain_axes(case, dims):
    """The two callers' layers agree: fewer axes, the same layer (or the same refusal); more
    axes, the same kept axes, each added one either the rule's copy or the plain axis, the
    input's added depth `DEPTH`; the copies wherever they make a valid layer."""
    spec = case.spec()
    if spec.dims >= dims:
        refused = _refusal(spec_with_dims, spec, dims)
        assert _refusal(switch_dims, spec, dims) == refused
        if refused is None:
            assert switch_dims(spec, dims) == spec_with_dims(spec, dims)
        return
    try:
        switched = switch_dims(spec, dims)
    except SpecError:
        return  # both candidates refused: nothing to compare
    ruled = spec_with_dims(spec, dims)
    added = dims - spec.dims
    plain = {"kernel_size": 1, "stride": 1, "padding": 0, "dilation": 1, "output_padding": 0}
    for name in (*_COPIED, "input_size"):
        got, rule = getattr(switched, name), getattr(ruled, name)
        if isinstance(rule, str):
            assert got == rule, name
            continue
        assert got[added:] == rule[added:], name  # the kept axes
    for i in range(added):
        axis = {name: getattr(switched, name)[i] for name in _COPIED
                if not isinstance(getattr(switched, name), str)}
        copy = {name: getattr(ruled, name)[i] for name in axis}
        assert axis in (copy, {name: plain[name] for name in axis}), i
        size = switched.input_size[i]
        if axis == copy and not (dims == 3 and i == 0):
            assert size == ruled.input_size[i]
        else:
            assert size == DEPTH
    try:  # the rule's layer (with a small depth): the switch's, when it is valid
        small = ruled if dims < 3 else ruled.replace(input_size=(DEPTH, *ruled.input_size[1:]))
    except SpecError:
        small = None
    assert small is None or switched == small
    fields = ("in_channels", "out_channels", "groups", "bias", "batch", "dtype",
              "padding_mode", "transposed", "causal")
    assert all(getattr(switched, f) == getattr(ruled, f) for f in fields)

