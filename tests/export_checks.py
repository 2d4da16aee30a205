"""What a user does with exported results: rebuild the layer in torch from ``spec.json``.

Shared by the core's export tests and the app's export-action tests (tests/ is on sys.path:
pytest puts the folder of tests/conftest.py there).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

#: spec.json's keys that are nn.Conv2d's own keyword arguments (ConvTranspose2d adds
#: output_padding).
TORCH_KEYS = {"in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
              "groups", "bias", "padding_mode"}


def torch_from_folder(folder: Path) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Run the torch layer ``folder/spec.json`` names (nn.Conv1d … nn.ConvTranspose3d),
    built from its keyword arguments there, on the exported inputs (padded by
    ``F.pad(x, causal_pad)`` first when the file has one).

    Returns the exported tensors (by file stem) and torch's output and gradients.
    """
    spec = json.loads((folder / "spec.json").read_text())
    load = {p.stem: torch.tensor(np.load(p, allow_pickle=False)) for p in folder.glob("*.npy")}
    dtype = getattr(torch, spec["dtype"])
    transposed = spec["torch_class"].startswith("ConvTranspose")
    keys = TORCH_KEYS | ({"output_padding"} if transposed else set())
    conv = getattr(torch.nn, spec["torch_class"])(**{k: spec[k] for k in keys}, dtype=dtype)
    with torch.no_grad():
        conv.weight.copy_(load["weight"])
        if spec["bias"]:
            conv.bias.copy_(load["bias"])
    x = load["input"].clone().requires_grad_()
    y = conv(torch.nn.functional.pad(x, spec["causal_pad"]) if "causal_pad" in spec else x)
    y.backward(load["grad_output"])
    got = {"output": y.detach(), "grad_input": x.grad, "grad_weight": conv.weight.grad}
    if spec["bias"]:
        got["grad_bias"] = conv.bias.grad
    return load, got
