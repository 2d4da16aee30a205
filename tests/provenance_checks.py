"""Reading provenance highlights back in tests: as sets of tuples, padded cells as pixels."""

from __future__ import annotations

import numpy as np

from core.explain_links import source
from core.spec import LayerSpec


def cell_set(highlights, grid: str, style: str) -> set[tuple[int, ...]]:
    """The cells of ``grid`` drawn in ``style``, as a set of tuples (small sets)."""
    return {tuple(int(i) for i in row) for row in highlights.get(grid, style)}


def padded_to_real(spec: LayerSpec, cells: np.ndarray) -> np.ndarray:
    """Padded input cells (k, ndim) as the real pixels they show, zero padding dropped (the
    last ``spec.dims`` numbers are the padded position)."""
    d = spec.dims
    real = np.stack([source(spec, a, cells[:, a - d]) for a in range(d)], axis=1)
    keep = (real >= 0).all(axis=1)
    out = cells[keep].copy()
    out[:, -d:] = real[keep]
    return out
