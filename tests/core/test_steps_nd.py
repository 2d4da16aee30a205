"""The im2col tab's matrices of layers of 1 and 3 spatial axes, each one what torch makes.

For random Conv1d/Conv3d (every padding mode, causal Conv1d) and ConvTranspose1d/3d
layers, sample by sample: the padded input is ``F.pad``'s, the cols matrix
((C/G·prod(k)) taps by prod(out) positions, per group) is torch's windows
(``Tensor.unfold`` axis by axis, every dilation-th tap), the products are the output and
grad_input autograd gives, and the samples' grad_weight shares add up to autograd's.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nd_cases import Case, torch_run, valid_cases

from core import LayerSpec
from core.im2col_steps import Im2colSteps, im2col_entries, im2col_steps
from core.transposed_steps import TransposedSteps

TORCH_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
              "circular": "circular"}


def torch_padded(a: np.ndarray, spec: LayerSpec) -> torch.Tensor:
    """``a`` (C, *size) padded as the layer pads it, by F.pad (the last axis first)."""
    widths = [p for axis in reversed(range(spec.dims)) for p in spec.pads[2 * axis:][:2]]
    return F.pad(torch.tensor(a)[None], widths, mode=TORCH_MODE[spec.padding_mode])[0]


def torch_cols(padded: torch.Tensor, spec: LayerSpec) -> np.ndarray:
    """The windows of ``padded`` (C, *padded) per group as (G, L, C/G·prod(k)), by
    Tensor.unfold: axis by axis, a window of the kernel's extent at the stride, of which
    every dilation-th entry is a tap."""
    t = padded
    for axis, (k, s, d) in enumerate(zip(spec.kernel_size, spec.stride, spec.dilation,
                                         strict=True)):
        t = t.unfold(1 + axis, d * (k - 1) + 1, s)[..., ::d]  # (C, ..., o_axis, ..., k_axis)
    d = spec.dims
    taps_first = t.permute(0, *range(d + 1, 2 * d + 1), *range(1, d + 1))  # (C, *k, *out)
    cols = taps_first.reshape(spec.groups, -1, math.prod(spec.output_size)).numpy()
    return cols.swapaxes(1, 2)


def check_conv_steps(case: Case, spec: LayerSpec, x, w, b, ref) -> None:
    n = spec.batch if spec.batched else 1
    grad_weight = np.zeros(spec.weight_shape, dtype=spec.dtype)
    for sample in range(n):
        steps = im2col_steps(spec, x, w, b, ref.grad_output, sample)
        assert isinstance(steps, Im2colSteps)
        xs = x[sample] if spec.batched else x
        padded = torch_padded(xs, spec)
        np.testing.assert_array_equal(steps.padded, padded.numpy())
        np.testing.assert_array_equal(steps.cols, torch_cols(padded, spec))
        positions = math.prod(spec.output_size)
        taps = spec.in_per_group * math.prod(spec.kernel_size)
        assert steps.cols.shape == (spec.groups, positions, taps)
        y = ref.output[sample] if spec.batched else ref.output
        gx = ref.grad_input[sample] if spec.batched else ref.grad_input
        np.testing.assert_allclose(steps.output, y, atol=1e-10)
        np.testing.assert_allclose(steps.grad_input, gx, atol=1e-10)
        grad_weight += steps.grad_weight_matrix.reshape(spec.weight_shape)
        for a in (steps.cols, steps.output, steps.grad_input, steps.grad_cols):
            assert not a.flags.writeable
    np.testing.assert_allclose(grad_weight, ref.grad_weight, atol=1e-10)


def check_transposed_steps(case: Case, spec: LayerSpec, x, w, b, ref) -> None:
    n = spec.batch if spec.batched else 1
    g, cg = spec.groups, spec.in_per_group
    grad_weight = np.zeros_like(w).reshape(g, cg, -1)
    for sample in range(n):
        steps = im2col_steps(spec, x, w, b, ref.grad_output, sample)
        assert isinstance(steps, TransposedSteps)
        xs = x[sample] if spec.batched else x
        ys = ref.grad_output[sample] if spec.batched else ref.grad_output
        # the input matrix: x by input position, zero rows past the input
        x_wide = np.pad(xs, [(0, 0)] + [(0, e) for e in spec.conv_extra])
        np.testing.assert_array_equal(steps.input_matrix,
                                      x_wide.reshape(g, cg, -1).swapaxes(1, 2))
        np.testing.assert_allclose(steps.cols, steps.input_matrix @ steps.weight_matrix,
                                   atol=1e-12)
        y = ref.output[sample] if spec.batched else ref.output
        gx = ref.grad_input[sample] if spec.batched else ref.grad_input
        np.testing.assert_allclose(steps.output, y, atol=1e-10)
        crop = tuple(slice(before, before + o)
                     for before, o in zip(spec.pads[::2], spec.output_size, strict=True))
        bias = 0 if b is None else b.reshape(-1, *[1] * spec.dims)
        np.testing.assert_allclose(steps.full_output[(slice(None), *crop)] + bias, y,
                                   atol=1e-10)
        conv = spec.as_conv()
        np.testing.assert_array_equal(steps.grad_output_cols,
                                      torch_cols(torch_padded(ys, conv), conv))
        np.testing.assert_allclose(steps.grad_input, gx, atol=1e-10)
        grad_weight += steps.grad_weight_matrix
    np.testing.assert_allclose(grad_weight.reshape(w.shape), ref.grad_weight, atol=1e-10)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dims=st.sampled_from([1, 3]), data=st.data())
def test_the_steps_of_1d_and_3d_layers_are_torchs(dims: int, data: st.DataObject) -> None:
    # (an empty batch has no sample to show: im2col_steps refuses it, as the 2-D tests check)
    case = data.draw(valid_cases(dims).filter(lambda c: c.batch != 0))
    rng, x, w, b = case.tensors()
    ref = torch_run(case, x, w, b, rng)
    spec = case.spec()
    check = check_transposed_steps if spec.transposed else check_conv_steps
    check(case, spec, x, w, b, ref)


def test_the_entries_of_a_3d_layer_are_its_largest_matrix_s() -> None:
    spec = LayerSpec(4, 6, (3, 2, 2), padding=1, input_size=(5, 6, 7), batch=1, dims=3)
    positions = math.prod(spec.output_size)
    assert im2col_entries(spec) == max(positions * 4 * 12, positions * 6, 4 * 12 * 6)
