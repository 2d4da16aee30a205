"""The worked examples of the seed documents (../shared/seeds/), corrected where they err.

000: ``torch.nn.grad.conv2d_input`` on a 4x4 input with a 2x2 kernel and 2x2 grad_output.
001: convolution backward by im2col and ``torch.matmul`` (its reshapes are wrong).
002: 1x1 ``nn.Conv2d`` layers on unbatched 3D input, float and complex64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch_reference import assert_matches, reference

from core import LayerSpec, compute, conv2d, conv2d_bias, conv2d_input, conv2d_weight, unfold

# -- seed 000 ----------------------------------------------------------------------------
INPUT_SIZE_000 = (1, 1, 4, 4)
GRAD_OUTPUT_000 = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
WEIGHT_000 = np.array([[[[0.0, 1.0], [1.0, 0.0]]]])


def test_seed000_argument_order_is_input_size_weight_grad_output() -> None:
    """The seed passes (input_size, grad_output, weight); torch and we take weight second."""
    ours = conv2d_input(INPUT_SIZE_000, WEIGHT_000, GRAD_OUTPUT_000, stride=2)
    theirs = torch.nn.grad.conv2d_input(
        INPUT_SIZE_000, torch.tensor(WEIGHT_000), torch.tensor(GRAD_OUTPUT_000), stride=2
    )
    assert_matches(ours, theirs.numpy(), 1e-12)


def test_seed000_as_written_is_rejected_because_its_output_would_be_3x3() -> None:
    """At the default stride 1 a 2x2 kernel leaves a 3x3 output, not the seed's 2x2."""
    with pytest.raises(RuntimeError):
        torch.nn.grad.conv2d_input(
            INPUT_SIZE_000, torch.tensor(WEIGHT_000), torch.tensor(GRAD_OUTPUT_000)
        )
    with pytest.raises(ValueError, match=r"\(1, 1, 2, 2\).*\(1, 1, 3, 3\)"):
        conv2d_input(INPUT_SIZE_000, WEIGHT_000, GRAD_OUTPUT_000)


def test_seed000_stride_2_places_a_scaled_kernel_under_each_output_cell() -> None:
    """Stride 2 tiles the 4x4 input with disjoint 2x2 windows: dX = kron(dY, W)."""
    expected = np.kron(GRAD_OUTPUT_000, WEIGHT_000)
    theirs = torch.nn.grad.conv2d_input(
        INPUT_SIZE_000, torch.tensor(WEIGHT_000), torch.tensor(GRAD_OUTPUT_000), stride=2
    ).numpy()
    np.testing.assert_array_equal(theirs, expected)
    for backend in ("numpy", "torch"):
        ours = conv2d_input(INPUT_SIZE_000, WEIGHT_000, GRAD_OUTPUT_000, stride=2, backend=backend)
        assert_matches(ours, expected, 1e-12)


def test_seed000_at_stride_1_with_a_3x3_grad_output() -> None:
    """The seed's layer as it stands (stride 1): its grad_output must be 3x3."""
    grad_output = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    theirs = torch.nn.grad.conv2d_input(
        INPUT_SIZE_000, torch.tensor(WEIGHT_000), torch.tensor(grad_output)
    ).numpy()
    for backend in ("numpy", "torch"):
        ours = conv2d_input(INPUT_SIZE_000, WEIGHT_000, grad_output, backend=backend)
        assert_matches(ours, theirs, 1e-12)


# -- seed 001 ----------------------------------------------------------------------------
@pytest.fixture
def seed001() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {
        "X": rng.standard_normal((1, 3, 5, 5)),
        "W": rng.standard_normal((2, 3, 3, 3)),
        "b": rng.standard_normal(2),
        "dY": rng.standard_normal((1, 2, 3, 3)),
    }


def test_seed001_reshapes_as_written_fail_in_torch(seed001: dict[str, np.ndarray]) -> None:
    X, dY = torch.tensor(seed001["X"]), torch.tensor(seed001["dY"])
    with pytest.raises(RuntimeError):
        X.view(1, -1, 9)  # 75 values do not split into rows of 9
    im2col_X = F.unfold(X, kernel_size=(3, 3), stride=(1, 1)).transpose(1, 2)
    with pytest.raises(RuntimeError):
        torch.matmul(dY.view(1, -1).T, im2col_X)  # (18, 1) @ (1, 9, 27)


def test_seed001_im2col_matrix(seed001: dict[str, np.ndarray]) -> None:
    X = seed001["X"]
    cols = unfold(X, (3, 3), (1, 1), (1, 1))
    assert cols.shape == (1, 27, 9)
    textbook = F.unfold(torch.tensor(X), kernel_size=(3, 3), stride=(1, 1)).transpose(1, 2)
    assert tuple(textbook.shape) == (1, 9, 27)
    np.testing.assert_array_equal(cols[0].T, textbook[0].numpy())


def test_seed001_forward_and_backward_by_matmul(seed001: dict[str, np.ndarray]) -> None:
    X, W, b, dY = seed001["X"], seed001["W"], seed001["b"], seed001["dY"]
    ref = reference(X, W, b, dY)
    cols = unfold(X, (3, 3), (1, 1), (1, 1))[0]  # (27, 9): one column per output position

    # Y: (9 positions, 27) @ (27, 2 channels) gives positions x channels; transpose it back
    # to channels first before the reshape (the seed's Y.view(1, 2, 3, 3) scrambles them).
    Y = (cols.T @ W.reshape(2, -1).T).T.reshape(1, 2, 3, 3) + b.reshape(1, 2, 1, 1)
    np.testing.assert_allclose(Y, ref.output, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Y, conv2d(X, W, b), rtol=1e-12, atol=1e-12)

    # dW: (2, 9) @ (9, 27), then back to the weight's shape.
    dW = (dY.reshape(2, 9) @ cols.T).reshape(2, 3, 3, 3)
    np.testing.assert_allclose(dW, ref.grad_weight, rtol=1e-12, atol=1e-12)
    assert_matches(conv2d_weight(X, W.shape, dY), ref.grad_weight, 1e-12)

    # db: one sum per output channel, over batch and positions.
    db = dY.sum(axis=(0, 2, 3))
    np.testing.assert_allclose(db, ref.grad_bias, rtol=1e-12, atol=1e-12)
    assert_matches(conv2d_bias(dY), ref.grad_bias, 1e-12)
    # The seed sums over (1, 2, 3): one number per sample, not one per channel.
    assert dY.sum(axis=(1, 2, 3)).shape != ref.grad_bias.shape

    assert_matches(conv2d_input(X.shape, W, dY), ref.grad_input, 1e-12)


# -- seed 002 ----------------------------------------------------------------------------
def seed002_layer(in_channels: int, dtype: torch.dtype = torch.float32) -> torch.nn.Conv2d:
    """The seed's 1x1 layer, initialised the way it does: torch.manual_seed(42) first."""
    torch.manual_seed(42)
    return torch.nn.Conv2d(in_channels=in_channels, out_channels=3, kernel_size=1, dtype=dtype)


def check_layer(conv: torch.nn.Conv2d, x: torch.Tensor, tol: float) -> np.ndarray:
    """Our output and gradients of the seed's layer equal torch's; returns our output."""
    w = conv.weight.detach().numpy()
    b = conv.bias.detach().numpy()
    xn = x.numpy()
    y = conv(x)
    assert_matches(conv2d(xn, w, b), y.detach().numpy(), tol)
    ref = reference(xn, w, b, np.ones(tuple(y.shape), dtype=xn.dtype))
    spec = LayerSpec.from_arrays(xn.shape, w.shape, bias=True, dtype=xn.dtype.name)
    got = compute(spec, xn, w, b, ref.grad_output)
    assert_matches(got.output, ref.output, tol)
    assert_matches(got.grad_input, ref.grad_input, tol)
    assert_matches(got.grad_weight, ref.grad_weight, tol)
    assert_matches(got.grad_bias, ref.grad_bias, tol)
    return conv2d(xn, w, b)


TENSOR1 = torch.tensor([[[8.0, -3.0, 0.0, 1.0, 5.0, -2.0]]])
SEED_OUTPUT_1 = [
    [7.0349, -1.3750, 0.9186, 1.6831, 4.7413, -0.6105],
    [6.4210, -2.7091, -0.2191, 0.6109, 3.9309, -1.8791],
    [-1.6724, 0.9046, 0.2018, -0.0325, -0.9696, 0.6703],
]


@pytest.mark.parametrize("shape", [(1, 1, 6), (1, 2, 3), (1, 6, 1)])
def test_seed002_1x1_on_unbatched_input(shape: tuple[int, int, int]) -> None:
    x = TENSOR1.reshape(shape)
    y = check_layer(seed002_layer(1), x, 1e-5)
    assert y.shape == (3, *shape[1:])
    # The seed's printed values: the same six numbers through each channel, in every shape.
    np.testing.assert_allclose(y.reshape(3, 6), SEED_OUTPUT_1, atol=6e-5)


def test_seed002_1x1_chained_on_its_own_output() -> None:
    tensor2 = seed002_layer(1)(TENSOR1).detach()
    y = check_layer(seed002_layer(3), tensor2, 1e-5)
    seed_output_2 = [
        [5.9849, -2.4511, -0.1504, 0.6165, 3.6841, -1.6842],
        [3.2258, 0.2207, 1.0403, 1.3134, 2.4062, 0.4939],
        [-0.5434, 0.0364, -0.1217, -0.1744, -0.3853, -0.0163],
    ]
    np.testing.assert_allclose(y[:, 0, :], seed_output_2, atol=6e-5)


@pytest.mark.parametrize("batched", [True, False])
def test_seed002_1x1_mixes_two_channels(batched: bool) -> None:
    x = torch.tensor([[[[8.0], [-3.0], [0.0]], [[1.0], [5.0], [-2.0]]]])
    y = check_layer(seed002_layer(2), x if batched else x[0], 1e-5)
    seed_output = [[4.5675, 0.9684, -1.5181], [-0.2604, 4.1600, -0.8838], [-0.4734, 1.8016, 0.3380]]
    np.testing.assert_allclose(y.reshape(3, 3), seed_output, atol=6e-5)


@pytest.mark.parametrize("batched", [True, False])
def test_seed002_1x1_complex64(batched: bool) -> None:
    x = torch.tensor([[[[8.0], [-3.0], [0.0]], [[1.0], [5.0], [-2.0]]]], dtype=torch.complex64)
    y = check_layer(seed002_layer(2, torch.complex64), x if batched else x[0], 1e-5)
    assert y.dtype == np.complex64
    seed_output = [
        [4.6816 + 5.4406j, -1.9277 + 1.5828j, 0.8537 - 1.2033j],
        [-1.2427 + 1.4569j, -0.9155 + 1.5485j, 1.0295 - 0.9304j],
        [6.1465 - 3.9132j, 1.7481 + 2.3225j, -0.6841 - 0.1602j],
    ]
    # Printed to 4 decimals in each part: off by up to 5e-5 each, 7.1e-5 in magnitude.
    np.testing.assert_allclose(y.reshape(3, 3), seed_output, atol=7.1e-5)
