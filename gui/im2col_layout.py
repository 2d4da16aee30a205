"""How the im2col view lays out core's matrices, and which of their cells a sum's terms touch.

No arithmetic: the matrices are `core.im2col_steps.Im2colSteps` arrays placed side by side, one
block per group (the grouped matrix products written as one product with a block-diagonal
weight; cells outside the blocks are NaN, drawn blank):

    forward   y = cols · Wᵀ        cols (L, G·K) · Wᵀ (G·K, O) = product (L, O) → output (O, OH, OW)
    backward  dW = dYᵀ · cols      dYᵀ (O, L) · cols (L, G·K) = dW (O, G·K)
              dcols = dY · W       dY (L, O) · W (O, G·K) = dcols (L, G·K)
                                   → col2im → grad_padded (C, Hp, Wp) → pad adjoint → grad_input

L = OH·OW output positions (row l = oi·OW + oj), K = (C/G)·kh·kw taps per group (column
g·K + k, k = c'·kh·kw + i·kw + j).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from core.explain import Terms
from core.im2col_steps import Im2colSteps
from core.spec import LayerSpec

from .padded_frame import frame

#: The pages of the view and the matrices on each, in the order they are laid out.
PAGES = {
    "forward": ("weight_t", "cols", "product", "output"),
    "grad_weight": ("cols", "grad_output_t", "grad_weight"),
    "grad_cols": ("weight", "grad_output", "grad_cols", "grad_padded", "grad_input"),
}
#: The page that explains each target.
PAGE_OF = {"output": "forward", "grad_weight": "grad_weight", "grad_input": "grad_cols",
           "grad_bias": "grad_cols"}
#: Each matrix's title (conj(…) is dropped for real values: `gui.widgets.im2col_view`).
TITLES = {
    "cols": "cols  (L × G·K)",
    "weight_t": "Wᵀ  (G·K × O)",
    "product": "cols · Wᵀ  (L × O)",
    "output": "output o  (OH × OW)",
    "grad_output_t": "dYᵀ  (O × L)",
    "grad_weight": "dW = dYᵀ · conj(cols)  (O × G·K)",
    "grad_output": "dY  (L × O)",
    "weight": "W  (O × G·K)",
    "grad_cols": "dcols = dY · conj(W)  (L × G·K)",
    "grad_padded": "col2im(dcols), channel c",
    "grad_input": "pad adjoint → grad_input c",
}
PAGE_TITLES = {
    "forward": "forward:  y = cols · Wᵀ (+ b), reshaped",
    "grad_weight": "backward:  dW = dYᵀ · conj(cols)",
    "grad_cols": "backward:  dcols = dY · conj(W) → col2im → pad adjoint",
}
#: (row, col) of each matrix in its page's grid: B above C, A left of C for C = A·B.
PLACES = {
    "forward": {"weight_t": (0, 1), "cols": (1, 0), "product": (1, 1), "output": (1, 2)},
    "grad_weight": {"cols": (0, 1), "grad_output_t": (1, 0), "grad_weight": (1, 1)},
    "grad_cols": {"weight": (0, 1), "grad_output": (1, 0), "grad_cols": (1, 1),
                  "grad_padded": (1, 2), "grad_input": (1, 3)},
}


def caption(spec: LayerSpec) -> str:
    """L, K and G in words and numbers, and a note when col2im's padded grid is not drawn."""
    (kh, kw), (oh, ow) = spec.kernel_size, spec.output_size
    return (
        f"L = OH·OW = {oh}·{ow} = {oh * ow} output positions;  "
        f"K = C/G·kh·kw = {spec.in_per_group}·{kh}·{kw} = {spec.in_per_group * kh * kw} "
        f"taps per group;  G = {spec.groups}"
        + ("" if frame(spec) is None else
           f";  col2im's padded grid ({spec.padded_size[0]}×{spec.padded_size[1]}) is "
           "not drawn: a huge padding")
    )


def boxes(spec: LayerSpec) -> dict[str, tuple[int, int, int, int]]:
    """Matrices framed with a dashed line: none for a Conv2d."""
    return {}


def side_by_side(a: np.ndarray) -> np.ndarray:
    """(G, R, C) → (R, G·C): group blocks next to each other."""
    g, r, c = a.shape
    return a.transpose(1, 0, 2).reshape(r, g * c)


def block_diagonal(a: np.ndarray) -> np.ndarray:
    """(G, R, C) → (G·R, G·C) with block g at rows g·R, columns g·C; NaN elsewhere."""
    g, r, c = a.shape
    dtype = np.result_type(a.dtype, np.float32)
    out = np.full((g * r, g * c), np.nan, dtype=dtype)
    for i in range(g):
        out[i * r : (i + 1) * r, i * c : (i + 1) * c] = a[i]
    return out


def matrices(steps: Im2colSteps) -> dict[str, np.ndarray]:
    """Every array the view shows, by name (see the module docstring)."""
    w_t = steps.weight_matrix.swapaxes(1, 2)  # (G, K, O/G)
    cut = frame(steps.spec)
    # a huge padding: col2im's padded grid would cost the padded size; its drawn frame is
    # shown blank (the view's caption says so), the read cells still marked on it
    grad_padded = steps.grad_padded if cut is None else \
        np.full((steps.spec.in_channels, *cut.shape), np.nan, np.float32)
    dy_t = steps.grad_output_matrix.swapaxes(1, 2)  # (G, O/G, L)
    return {
        "cols": side_by_side(steps.cols),
        "weight_t": block_diagonal(w_t),
        "product": side_by_side(steps.product),
        "output": steps.output,
        "grad_output_t": np.concatenate(list(dy_t), axis=0),
        "grad_weight": block_diagonal(steps.grad_weight_matrix),
        "grad_output": side_by_side(steps.grad_output_matrix),
        "weight": block_diagonal(steps.weight_matrix),
        "grad_cols": side_by_side(steps.grad_cols),
        "grad_padded": grad_padded,
        "grad_input": steps.grad_input,
    }


@dataclass(frozen=True, eq=False)
class Marks:
    """What to mark on one shown array: cells (rows, cols) read and current, whole bands.

    For the 3D images the cells are (channel, row, col).
    """

    read: np.ndarray
    current: np.ndarray
    rows: tuple[int, ...] = ()
    cols: tuple[int, ...] = ()
    channel: int | None = None


@dataclass(frozen=True, eq=False)
class PageMarks:
    page: str
    marks: dict[str, Marks] = field(default_factory=dict)


def pairs(*columns: np.ndarray) -> np.ndarray:
    """Index columns as (T, len(columns)) cells: what `Marks` holds."""
    return np.stack(columns, axis=1).astype(np.int64) if columns[0].size else \
        np.zeros((0, len(columns)), np.int64)


def kept_terms(terms: Terms, sample: int, step: int | None
               ) -> tuple[dict[str, np.ndarray], Callable[..., Marks]]:
    """The index columns of the terms with a cell in sample ``sample``'s matrices (not an
    output's bias term; every term of a grad_bias), and a maker of `Marks` from their cells
    whose current cell is term ``step``'s (none if that term has no cell here)."""
    keep = terms.n == sample
    if terms.target != "grad_bias":
        keep &= terms.kh >= 0
    rows = np.flatnonzero(keep)
    t = {name: getattr(terms, name)[rows] for name in ("o", "c", "oi", "oj", "kh", "kw",
                                                        "ph", "pw", "h", "w")}
    current = None
    if step is not None and keep[step]:
        current = int(np.searchsorted(rows, step))

    def mark(cells: np.ndarray, **bands) -> Marks:
        now = cells[current : current + 1] if current is not None else cells[:0]
        return Marks(cells, now, **bands)

    return t, mark


def marks(terms: Terms, sample: int, step: int | None = None) -> PageMarks:
    """The cells of the target's page that the terms of sample ``sample`` touch.

    Terms of other samples are not in this sample's matrices and mark nothing; the bias
    term of an output has no cell in any matrix.
    """
    spec, target = terms.spec, terms.target
    page = PAGE_OF[target]
    (kh, kw), ow = spec.kernel_size, spec.output_size[1]
    og, cg = spec.out_per_group, spec.in_per_group
    k_all = cg * kh * kw
    t, mark = kept_terms(terms, sample, step)
    l = t["oi"] * ow + t["oj"]
    o = t["o"]
    col = np.zeros_like(o)
    if target != "grad_bias":
        g = o // og
        col = g * k_all + (t["c"] - g * cg) * kh * kw + t["kh"] * kw + t["kw"]
    entry = terms.entry
    out: dict[str, Marks] = {}
    if target == "output":
        ei, ej = entry[-2:]
        e_row, e_o = ei * ow + ej, entry[-3]
        out["cols"] = mark(pairs(l, col), rows=(e_row,))
        out["weight_t"] = mark(pairs(col, o), cols=(e_o,))
        out["product"] = mark(pairs(l, o), rows=(e_row,), cols=(e_o,))
        out["output"] = mark(pairs(o, t["oi"], t["oj"]), channel=e_o)
    elif target == "grad_weight":
        e_o = entry[0]
        g = e_o // og
        e_col = g * k_all + entry[1] * kh * kw + entry[2] * kw + entry[3]
        out["cols"] = mark(pairs(l, col), cols=(e_col,))
        out["grad_output_t"] = mark(pairs(o, l), rows=(e_o,))
        out["grad_weight"] = mark(pairs(o, col), rows=(e_o,), cols=(e_col,))
    elif target == "grad_input":
        c = entry[-3]
        out["grad_output"] = mark(pairs(l, o))
        out["weight"] = mark(pairs(o, col))
        out["grad_cols"] = mark(pairs(l, col))
        cut = frame(spec)
        ph, pw = (t["ph"], t["pw"]) if cut is None else \
            cut.to_drawn(np.stack([t["ph"], t["pw"]], axis=1)).T
        out["grad_padded"] = mark(pairs(np.full_like(o, c), ph, pw), channel=c)
        out["grad_input"] = mark(pairs(np.full_like(o, c), t["h"], t["w"]), channel=c)
    else:  # grad_bias
        out["grad_output"] = mark(pairs(l, o), cols=(entry[0],))
    return PageMarks(page, out)
