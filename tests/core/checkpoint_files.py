"""Checkpoint files for the import tests: a small model's state_dict as .pt and .safetensors
(written here from the format's description, independently of core's reader)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import torch
from torch import nn

_SAFETENSORS_NAMES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16",
                      torch.int64: "I64"}


def small_model() -> nn.Sequential:
    """Two convolutions (the second grouped, no bias, non-square kernel), then a classifier."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 4, (3, 5), groups=2, bias=False),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 10),
    ).double()


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor], pad: int = 0) -> Path:
    """The safetensors layout: u64 little-endian header length, JSON header, raw data."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for key, t in tensors.items():
        raw = t.detach().contiguous().numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[key] = {"dtype": _SAFETENSORS_NAMES[t.dtype], "shape": list(t.shape),
                       "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode() + b" " * pad
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    return path


def as_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy().copy()


class Evil:
    """Unpickling this writes ``target``: what a malicious checkpoint does."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (exec, (f"with open({self.target!r}, 'w') as f: f.write('pwned')",))
