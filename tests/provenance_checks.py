"""Reading provenance highlights back in tests: as sets of tuples, padded cells as pixels."""

from __future__ import annotations

import numpy as np

from core.explain_links import source
from core.spec import LayerSpec


def cell_set(highlights, grid: str, style: str) -> set[tuple[int, ...]]:
    """The cells of ``grid`` drawn in ``style``, as a set of tuples (small sets)."""
    return {tuple(int(i) for i in row) for row in highlights.get(grid, style)}


def padded_to_real(spec: LayerSpec, cells: np.ndarray) -> np.ndarray:
    """Padded input cells (k, ndim) as the real pixels they show, zero padding dropped."""
    r, c = source(spec, 0, cells[:, -2]), source(spec, 1, cells[:, -1])
    keep = (r >= 0) & (c >= 0)
    out = cells[keep].copy()
    out[:, -2], out[:, -1] = r[keep], c[keep]
    return out
