"""The torch backend: the same pipeline steps with torch ops, on the CPU or a CUDA device.

Imported lazily by `core.backends.get_backend`; nothing else in `core` imports torch.
"""

from __future__ import annotations

import itertools
import math

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
        if not any(spec.pads):
            return x
        # F.pad lists the last axis first: (before_last, after_last, ..., before0, after0)
        widths = [p for axis in range(spec.dims - 1, -1, -1) for p in spec.pads[2 * axis:][:2]]
        return F.pad(x, widths, mode=_TORCH_MODE[spec.padding_mode])

    def pad_adjoint(self, g: torch.Tensor, spec, out: torch.Tensor) -> torch.Tensor:
        """Fold the padded gradient ``g`` back onto the input, into ``out``.

        Negative widths cropped the input (as ``F.pad`` does): cropped pixels get zero.
        """
        crop = [max(-p, 0) for p in spec.pads]
        grow = [max(p, 0) for p in spec.pads]
        if any(crop):
            out.zero_()
        inner = out[(..., *(
            slice(before, n - after)
            for n, before, after in zip(spec.input_size, crop[::2], crop[1::2], strict=True)
        ))]
        sizes = inner.shape[-spec.dims:]
        if spec.padding_mode == "zeros" or not any(grow):
            inner.copy_(g[(..., *(
                slice(before, before + n) for before, n in zip(grow[::2], sizes, strict=True)
            ))])
            return out
        for axis, (n, before, after) in enumerate(zip(sizes, grow[::2], grow[1::2],
                                                      strict=True)):
            index = pad_index(n, before, after, spec.padding_mode)
            g = self._fold_axis(g, axis - spec.dims, index)
        inner.copy_(g)
        return out

    def _fold_axis(self, g: torch.Tensor, dim: int, index: np.ndarray) -> torch.Tensor:
        size = int(index.max()) + 1
        shape = list(g.shape)
        shape[dim] = size
        out = torch.zeros(shape, dtype=g.dtype, device=self.device)
        # index_add_ sums repeated indices, which is exactly the adjoint of a gather.
        return out.index_add_(dim % g.ndim, torch.from_numpy(index).to(self.device), g)

    def unfold(self, xp: torch.Tensor, spec) -> torch.Tensor:
        if spec.dims == 2:  # torch's own im2col (it has none for 1 or 3 axes)
            return F.unfold(xp, spec.kernel_size, dilation=spec.dilation, stride=spec.stride)
        # The windows as a strided view (N, C, *k, *out), copied into the matrix.
        xp = xp.contiguous()
        lead, spatial = xp.stride()[:2], xp.stride()[2:]
        view = xp.as_strided(
            (*xp.shape[:2], *spec.kernel_size, *spec.output_size),
            (*lead, *(t * d for t, d in zip(spatial, spec.dilation, strict=True)),
             *(t * s for t, s in zip(spatial, spec.stride, strict=True))),
        )
        taps = xp.shape[1] * math.prod(spec.kernel_size)
        return view.reshape(xp.shape[0], taps, math.prod(spec.output_size))

    def fold(self, cols: torch.Tensor, spec) -> torch.Tensor:
        if spec.dims == 2:  # torch's own col2im
            return F.fold(cols, spec.padded_size, spec.kernel_size, dilation=spec.dilation,
                          stride=spec.stride)
        n, size = cols.shape[0], spec.output_size
        taps = cols.reshape(n, spec.in_channels, *spec.kernel_size, *size)
        out = torch.zeros((n, spec.in_channels, *spec.padded_size), dtype=cols.dtype,
                          device=self.device)
        # One add per kernel tap: windows overlap, so taps must not be added at once.
        for tap in itertools.product(*map(range, spec.kernel_size)):
            out[(..., *(
                slice(i * d, i * d + s * (o - 1) + 1, s)
                for i, d, s, o in zip(tap, spec.dilation, spec.stride, size, strict=True)
            ))] += taps[(slice(None), slice(None), *tap)]
        return out
