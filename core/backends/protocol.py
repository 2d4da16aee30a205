"""`Backend`: the few array operations the convolution pipeline needs from a library.

`core.pipeline` is written once against this interface; `NumpyBackend` serves it with
numpy arrays, `TorchBackend` with torch tensors on the CPU or a CUDA device. ``A`` is the
backend's array type. (The numpy fast path, `core.backends.numpy_fast`, adds operations
of its own on top of `NumpyBackend`; they are not part of this interface.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    import numpy as np

    from ..spec import LayerSpec

A = TypeVar("A")


class Backend(Protocol[A]):
    """One pipeline run's array operations; ``spec`` arguments are the layer's `LayerSpec`."""

    name: str  # 'numpy', 'torch' or 'cuda'

    def asarray(self, a: np.ndarray) -> A:
        """A numpy array as this backend's array (no copy where the library allows)."""

    def to_numpy(self, a: A) -> np.ndarray: ...

    def contiguous(self, a: A) -> A: ...

    def zeros(self, shape: tuple[int, ...], like: A) -> A:
        """Zeros of ``shape`` in ``like``'s dtype (and device)."""

    def empty(self, shape: tuple[int, ...], like: A) -> A: ...

    def scratch(self, name: str, shape: tuple[int, ...], like: A) -> A:
        """A work array of ``shape`` for one chunk; the same ``name`` may reuse memory from
        the chunk before (its contents are then overwritten by the caller)."""

    def matmul(self, a: A, b: A, out: A | None = None) -> A:
        """``a @ b`` (batched over leading axes), into ``out`` when given."""

    def pad(self, x: A, spec: LayerSpec) -> A:
        """``x`` (n, C, *size) padded to ``spec.padded_size`` in ``spec.padding_mode``."""

    def pad_adjoint(self, g: A, spec: LayerSpec, out: A) -> A:
        """The adjoint of `pad`: the padded gradient ``g`` folded back onto the input's
        shape, written into ``out``."""

    def unfold(self, xp: A, spec: LayerSpec) -> A:
        """im2col of the padded input: (n, C·prod(k), prod(out)), as ``F.unfold`` for 2-D."""

    def fold(self, cols: A, spec: LayerSpec) -> A:
        """col2im, the adjoint of `unfold`: (n, C·prod(k), prod(out)) onto (n, C, *padded)."""
