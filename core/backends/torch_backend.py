"""The torch backend: the same pipeline steps with torch ops, on the CPU or a CUDA device.

Imported lazily by `core.backends.get_backend`; nothing else in `core` imports torch.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..padding import pad_index

_TORCH_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
               "circular": "circular"}


class TorchBackend:
    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.name = "torch" if device.type == "cpu" else device.type

    @classmethod
    def for_device(cls, device: str) -> TorchBackend:
        if device == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                "backend 'cuda' needs a CUDA device, but torch.cuda.is_available() is False"
            )
        return cls(torch.device(device))

    def asarray(self, a: np.ndarray) -> torch.Tensor:
        # from_numpy shares memory but warns on read-only arrays; those are copied instead.
        t = torch.from_numpy(a) if a.flags.writeable else torch.tensor(a)
        return t.to(self.device)

    def to_numpy(self, t: torch.Tensor) -> np.ndarray:
        return t.detach().cpu().numpy()

    def zeros(self, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        return torch.zeros(shape, dtype=like.dtype, device=self.device)

    def pad(self, x: torch.Tensor, spec) -> torch.Tensor:
        top, bottom, left, right = spec.pads
        if not any(spec.pads):
            return x
        return F.pad(x, (left, right, top, bottom), mode=_TORCH_MODE[spec.padding_mode])

    def pad_adjoint(self, g: torch.Tensor, spec) -> torch.Tensor:
        top, bottom, left, right = spec.pads
        height, width = spec.input_size
        if spec.padding_mode == "zeros" or not any(spec.pads):
            return g[..., top : top + height, left : left + width].clone()
        rows = self._fold_axis(g, -2, pad_index(height, top, bottom, spec.padding_mode))
        return self._fold_axis(rows, -1, pad_index(width, left, right, spec.padding_mode))

    def _fold_axis(self, g: torch.Tensor, dim: int, index: np.ndarray) -> torch.Tensor:
        size = int(index.max()) + 1
        shape = list(g.shape)
        shape[dim] = size
        out = torch.zeros(shape, dtype=g.dtype, device=self.device)
        # index_add_ sums repeated indices, which is exactly the adjoint of a gather.
        return out.index_add_(dim % g.ndim, torch.from_numpy(index).to(self.device), g)

    def unfold(self, xp: torch.Tensor, spec) -> torch.Tensor:
        return F.unfold(xp, spec.kernel_size, dilation=spec.dilation, stride=spec.stride)

    def fold(self, cols: torch.Tensor, spec) -> torch.Tensor:
        return F.fold(
            cols, spec.padded_size, spec.kernel_size, dilation=spec.dilation, stride=spec.stride
        )
