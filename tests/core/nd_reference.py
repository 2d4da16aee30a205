"""torch's functional convolutions, any number of spatial axes: the truth for the N-d file tests.

Written from torch's own API, not from ``core.torch_layer``: ``F.conv{d}d`` after an explicit
``F.pad`` by the spec's padding (torch's padding modes by their ``F.pad`` names), or
``F.conv_transpose{d}d``. A causal layer pads ``((k-1)*dilation, 0)`` as the TCN papers do,
worked out here from the kernel and the dilation. Gradients come from autograd, grad_input
with respect to the unpadded input.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from core.session import Session
from core.spec import LayerSpec

_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
          "circular": "circular"}


def _pad_widths(spec: LayerSpec) -> list[int]:
    """F.pad's widths: the last axis first, (before, after) each."""
    if spec.causal:
        return [spec.dilation[0] * (spec.kernel_size[0] - 1), 0]
    widths = []
    for axis in reversed(range(spec.dims)):
        widths += [spec.pads[2 * axis], spec.pads[2 * axis + 1]]
    return widths


def functional(spec: LayerSpec, x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
               gy: np.ndarray) -> dict[str, np.ndarray | None]:
    """output, grad_input, grad_weight, grad_bias of ``spec`` on these arrays, by torch."""
    xt = torch.tensor(np.asarray(x), requires_grad=True)
    wt = torch.tensor(np.asarray(w), requires_grad=True)
    bt = None if b is None else torch.tensor(np.asarray(b), requires_grad=True)
    d = spec.dims
    if spec.transposed:
        y = getattr(F, f"conv_transpose{d}d")(
            xt, wt, bt, stride=spec.stride, padding=spec.padding,
            output_padding=spec.output_padding, groups=spec.groups, dilation=spec.dilation)
    else:
        widths = _pad_widths(spec)
        padded = F.pad(xt, widths, mode=_MODES[spec.padding_mode]) if any(widths) else xt
        y = getattr(F, f"conv{d}d")(padded, wt, bt, stride=spec.stride, padding=0,
                                    dilation=spec.dilation, groups=spec.groups)
    y.backward(torch.tensor(np.asarray(gy)))
    return {
        "output": y.detach().numpy(),
        "grad_input": xt.grad.numpy(),
        "grad_weight": wt.grad.numpy(),
        "grad_bias": None if bt is None else bt.grad.numpy(),
    }


def of_session(session: Session) -> dict[str, np.ndarray | None]:
    return functional(session.spec, session.input, session.weight, session.bias,
                      session.grad_output)


#: A layer of every kind and number of spatial axes (and the causal Conv1d), small, with
#: strides, paddings, dilations and groups that differ per axis where the kind allows.
EVERY_KIND: dict[str, LayerSpec] = {
    "conv1d": LayerSpec(4, 2, 3, stride=2, padding=1, dilation=1, groups=2, dims=1,
                        input_size=9),
    "conv1d_reflect": LayerSpec(2, 3, 2, padding=1, padding_mode="reflect", dims=1,
                                input_size=6, batch=None, dtype="float32"),
    "causal_conv1d": LayerSpec(2, 3, 3, dilation=2, dims=1, causal=True, input_size=10),
    "conv2d": LayerSpec(2, 4, (3, 2), stride=(2, 1), padding=(1, 0), input_size=(6, 5)),
    "conv3d": LayerSpec(2, 2, (2, 3, 2), stride=(1, 2, 1), padding=(0, 1, 1),
                        dilation=(1, 1, 2), dims=3, input_size=(3, 5, 4)),
    "conv3d_same": LayerSpec(1, 2, 3, padding="same", dims=3, input_size=(3, 4, 4), batch=2,
                             bias=False),
    "conv_transpose1d": LayerSpec(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2,
                                  dims=1, input_size=5, transposed=True),
    "conv_transpose2d": LayerSpec(2, 3, 3, stride=2, padding=1, output_padding=(1, 0),
                                  input_size=(3, 4), transposed=True),
    "conv_transpose3d": LayerSpec(2, 2, (2, 2, 3), stride=(2, 1, 2), dilation=(1, 2, 1),
                                  dims=3, input_size=(2, 3, 2), transposed=True,
                                  batch=None, bias=False),
}


def random_session(spec: LayerSpec, seed: int = 0) -> Session:
    """Unrounded random values in every tensor (grad_output too)."""
    s = Session.default(spec, seed=seed)
    rng = np.random.default_rng(seed)
    for name, a in s.tensors().items():
        s = s.with_tensor(name, rng.standard_normal(a.shape))
    return s
