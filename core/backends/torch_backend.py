"""The torch backend: the same pipeline steps with torch ops, on the CPU or a CUDA device.

Imported lazily by `core.backends.get_backend`; nothing else in `core` imports torch.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..padding import pad_index

_TORCH_MODE = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}


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
        return t.detach().resolve_conj().cpu().numpy()

    def contiguous(self, t: torch.Tensor) -> torch.Tensor:
        return t.contiguous()

    def zeros(self, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        return torch.zeros(shape, dtype=like.dtype, device=self.device)

    def empty(self, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        return torch.empty(shape, dtype=like.dtype, device=self.device)

    def scratch(self, name: str, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        """A work array for one chunk (torch's caching allocator does the reuse)."""
        return self.empty(shape, like)

    def matmul(self, a: torch.Tensor, b: torch.Tensor, out: torch.Tensor | None = None):
        return torch.matmul(a, b) if out is None else torch.matmul(a, b, out=out)

    def pad(self, x: torch.Tensor, spec) -> torch.Tensor:
        top, bottom, left, right = spec.pads
        if not any(spec.pads):
            return x
        return F.pad(x, (left, right, top, bottom), mode=_TORCH_MODE[spec.padding_mode])

    def pad_adjoint(self, g: torch.Tensor, spec, out: torch.Tensor) -> torch.Tensor:
        """Fold the padded gradient ``g`` back onto the input, into ``out``.

        Negative widths cropped the input (as ``F.pad`` does): cropped pixels get zero.
        """
        height, width = spec.input_size
        crop_top, crop_bottom, crop_left, crop_right = (max(-p, 0) for p in spec.pads)
        top, bottom, left, right = (max(p, 0) for p in spec.pads)
        if crop_top or crop_bottom or crop_left or crop_right:
            out.zero_()
        inner = out[..., crop_top : height - crop_bottom, crop_left : width - crop_right]
        h, w = inner.shape[-2:]
        if spec.padding_mode == "zeros" or not (top or bottom or left or right):
            inner.copy_(g[..., top : top + h, left : left + w])
        else:
            mode = spec.padding_mode
            rows = self._fold_axis(g, -2, pad_index(h, top, bottom, mode))
            inner.copy_(self._fold_axis(rows, -1, pad_index(w, left, right, mode)))
        return out

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
