"""The im2col tab's matrices of a transposed layer: each one what torch makes of it.

For random transposed layers: the painted copies ``cols = x·W`` folded by ``F.fold`` are
the output before the crop, which cropped plus bias is ``nn.ConvTranspose2d``'s output;
``F.unfold(grad_output)`` is the matrix grad_input is read from; each sample's grad_weight
share adds up to autograd's grad_weight.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from test_conv_transpose import Case, reference, valid_cases

from core import LayerSpec
from core.im2col_steps import im2col_entries, im2col_steps
from core.transposed_steps import TransposedSteps


def torch_cols(a: np.ndarray, spec: LayerSpec, padding) -> np.ndarray:
    """F.unfold of ``a`` (C, H, W) per group as (G, L, C/G·kh·kw)."""
    cols = F.unfold(torch.tensor(a)[None], spec.kernel_size, spec.dilation, padding,
                    spec.stride)[0].numpy()
    return cols.reshape(spec.groups, -1, cols.shape[-1]).swapaxes(1, 2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=valid_cases())
def test_the_matrices_are_torchs(case: Case) -> None:
    rng, x, w, b = case.tensors()
    ref = reference(case, x, w, b, rng)
    gy = ref["grad_output"]
    spec = case.spec()
    n = spec.batch if spec.batched else 1
    grad_weight = np.zeros_like(w).reshape(spec.groups, spec.in_per_group, -1)
    for sample in range(n):
        steps = im2col_steps(spec, x, w, b, gy, sample)
        assert isinstance(steps, TransposedSteps)
        xs, ys = (x[sample], gy[sample]) if spec.batched else (x, gy)
        (h, wd), (eh, ew) = spec.input_size, spec.conv_extra
        g, cg = spec.groups, spec.in_per_group
        # the input matrix: x by input position, zero rows past the input
        x_wide = np.pad(xs, ((0, 0), (0, eh), (0, ew)))
        np.testing.assert_array_equal(
            steps.input_matrix, x_wide.reshape(g, cg, -1).swapaxes(1, 2))
        np.testing.assert_array_equal(steps.weight_matrix, w.reshape(g, cg, -1))
        np.testing.assert_allclose(steps.cols, steps.input_matrix @ steps.weight_matrix,
                                   atol=1e-12)
        # fold: the copies added up, before the crop
        per_position = steps.cols.swapaxes(1, 2).reshape(1, -1, steps.cols.shape[1])
        full = F.fold(torch.tensor(per_position), spec.padded_size, spec.kernel_size,
                      spec.dilation, 0, spec.stride)[0].numpy()
        np.testing.assert_allclose(steps.full_output, full, atol=1e-12)
        top, _, left, _ = spec.pads
        oh, ow = spec.output_size
        y = ref["output"][sample] if spec.batched else ref["output"]
        cropped = full[:, top:top + oh, left:left + ow]
        np.testing.assert_allclose(cropped + (0 if b is None else b[:, None, None]), y,
                                   atol=1e-10)
        np.testing.assert_allclose(steps.output, y, atol=1e-10)
        # grad_input: unfold(grad_output) times the conjugated weight
        np.testing.assert_allclose(steps.grad_output_cols,
                                   torch_cols(ys, spec, spec.padding), atol=0)
        gx = ref["grad_input"][sample] if spec.batched else ref["grad_input"]
        np.testing.assert_allclose(steps.grad_input, gx, atol=1e-10)
        product = steps.grad_output_cols @ steps.weight_matrix.conj().swapaxes(1, 2)
        np.testing.assert_allclose(steps.grad_input_matrix, product, atol=1e-12)
        np.testing.assert_allclose(
            steps.grad_input,
            product.swapaxes(1, 2).reshape(spec.in_channels, h + eh, wd + ew)[:, :h, :wd],
            atol=1e-10)
        grad_weight += steps.grad_weight_matrix
        for a in (steps.output, steps.cols, steps.grad_input, steps.grad_weight_matrix):
            assert not a.flags.writeable
    np.testing.assert_allclose(grad_weight.reshape(w.shape), ref["grad_weight"], atol=1e-10)


def test_the_entries_the_view_is_told_are_the_largest_matrix_s() -> None:
    spec = LayerSpec(4, 6, (3, 2), stride=2, padding=1, output_padding=1, groups=2,
                     input_size=(5, 4), batch=1, transposed=True)
    rng = np.random.default_rng(0)
    x, w, b, gy = (rng.standard_normal(spec.shape(name)) for name in
                   ("input", "weight", "bias", "grad_output"))
    steps = im2col_steps(spec, x, w, b, gy)
    largest = max(steps.cols.size, steps.grad_output_cols.size, w.size * spec.groups,
                  steps.input_matrix.size * spec.groups)
    assert im2col_entries(spec) == largest
