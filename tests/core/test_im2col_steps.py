"""The im2col view's matrices: each step equals torch's own unfold / conv / autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core import LayerSpec
from core.im2col_steps import group_matmul, im2col_steps
from core.session import Session

MODES = ["zeros", "reflect", "replicate", "circular"]


def _autograd(spec: LayerSpec, s: Session):
    conv = torch.nn.Conv2d(
        spec.in_channels, spec.out_channels, spec.kernel_size, spec.stride,
        spec.padding, spec.dilation, spec.groups, spec.bias, spec.padding_mode,
        dtype=getattr(torch, spec.dtype),
    )
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(s.weight))
        if spec.bias:
            conv.bias.copy_(torch.tensor(s.bias))
    x = torch.tensor(s.input, requires_grad=True)
    y = conv(x)
    y.backward(torch.tensor(s.grad_output))
    return y.detach().numpy(), x.grad.numpy(), conv.weight.grad.numpy()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_every_step_matches_torch(mode: str, dtype: str) -> None:
    spec = LayerSpec(4, 6, (3, 2), stride=(2, 1), padding=(2, 1), dilation=(1, 2), groups=2,
                     padding_mode=mode, input_size=(7, 6), batch=2, dtype=dtype)
    s = Session.default(spec, seed=3)
    rng = np.random.default_rng(4)
    s = s.with_tensor("grad_output", rng.standard_normal(spec.output_shape).astype(dtype))
    y, gx, gw = _autograd(spec, s)
    top, bottom, left, right = spec.pads
    torch_mode = {"zeros": "constant"}.get(mode, mode)
    summed_gw = np.zeros(spec.weight_shape, dtype=dtype)
    for n in range(2):
        st = im2col_steps(spec, s.input, s.weight, s.bias, s.grad_output, sample=n)
        padded = F.pad(torch.tensor(s.input[n : n + 1]), (left, right, top, bottom),
                       mode=torch_mode)
        np.testing.assert_allclose(st.padded, padded[0].numpy(), atol=1e-12)
        cols = F.unfold(padded, spec.kernel_size, dilation=spec.dilation, stride=spec.stride)
        expected_cols = cols[0].numpy().reshape(2, -1, cols.shape[-1]).swapaxes(1, 2)
        np.testing.assert_allclose(st.cols, expected_cols, atol=1e-12)
        np.testing.assert_allclose(st.output, y[n], atol=1e-10)
        np.testing.assert_allclose(st.grad_input, gx[n], atol=1e-10)
        summed_gw += st.grad_weight_matrix.reshape(spec.weight_shape)
    np.testing.assert_allclose(summed_gw, gw, atol=1e-10)


def test_columns_are_taps_and_rows_are_positions() -> None:
    """Column k of cols is (channel, kernel row, kernel column) in row-major order, row l the
    output position (l // OW, l % OW): the order im2col_layout and the im2col view draw."""
    spec = LayerSpec(2, 2, (2, 3), input_size=(4, 5), batch=None)
    s = Session.default(spec)
    x = np.arange(s.input.size, dtype=np.float64).reshape(s.input.shape)  # every value once
    st = im2col_steps(spec, x, s.weight, s.bias, s.grad_output)
    ow = spec.output_size[1]
    for c, ki, kj, oi, oj in [(1, 1, 2, 2, 1), (0, 0, 0, 0, 0), (1, 0, 1, 1, 2)]:
        k, l = c * 6 + ki * 3 + kj, oi * ow + oj
        assert st.cols[0, l, k] == x[c, oi + ki, oj + kj]


def test_sample_out_of_range_is_refused() -> None:
    spec = LayerSpec(1, 1, 1, input_size=(2, 2), batch=2)
    s = Session.default(spec)
    with pytest.raises(ValueError, match="sample 2 is out of range for batch size 2") as info:
        im2col_steps(spec, s.input, s.weight, s.bias, s.grad_output, sample=2)
    assert info.value.fields == ("sample",) and info.value.numbers == {"batch": 2}
    with pytest.raises(ValueError, match=r"input shape \(1, 1, 2, 2\) does not match") as info:
        im2col_steps(spec, s.input[:1], s.weight, s.bias, s.grad_output)
    assert info.value.fields == ("input",)
    assert info.value.numbers == {"shape": (1, 1, 2, 2), "expected": (2, 1, 2, 2)}
    with pytest.raises(ValueError, match="bias is on in the spec but no bias") as info:
        im2col_steps(spec, s.input, s.weight, None, s.grad_output)
    assert info.value.fields == ("bias",)


def test_group_matmul_multiplies_each_group_and_checks_shapes() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 2, 4)) + 1j * rng.standard_normal((3, 2, 4))
    b = rng.standard_normal((3, 4, 5))
    got = group_matmul(a, b, conj_a=True)
    for g in range(3):
        expected = torch.tensor(a[g]).conj() @ torch.tensor(b[g]).to(torch.complex128)
        np.testing.assert_allclose(got[g], expected.resolve_conj().numpy(), atol=1e-12)
    with pytest.raises(ValueError, match=r"got \(3, 2, 4\) and \(2, 4, 5\)"):
        group_matmul(a, b[:2])
