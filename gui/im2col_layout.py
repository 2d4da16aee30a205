"""How the im2col view lays out core's matrices, and which of their cells a sum's terms touch.

No arithmetic: the matrices are `core.im2col_steps.Im2colSteps` arrays placed side by side, one
block per group (the grouped matrix products written as one product with a block-diagonal
weight; cells outside the blocks are NaN, drawn blank):

    forward   y = cols · Wᵀ        cols (L, G·K) · Wᵀ (G·K, O) = product (L, O) → output (O, OH, OW)
    backward  dW = dYᵀ · cols      dYᵀ (O, L) · cols (L, G·K) = dW (O, G·K)
              dcols = dY · W       dY (L, O) · W (O, G·K) = dcols (L, G·K)
                                   → col2im → grad_padded (C, Hp, Wp) → pad adjoint → grad_input

L = OH·OW output positions (row l = oi·OW + oj), K = (C/G)·kh·kw taps per group (column
g·K + k, k = c'·kh·kw + i·kw + j). For d spatial axes, L = prod(output size) and
K = (C/G)·prod(kernel_size), both row-major over the axes (`flat`); an image (C, *spatial)
is drawn as `image` makes it: 1D all channels at once (C × length), 2D one channel, 3D one
channel's depth slices stacked (D·H × W). Rows and columns are labelled with what they
index (`axis_labels`): "d,h,w" output positions, "c;kd,kh,kw" taps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from core.explain import Terms
from core.im2col_steps import Im2colSteps
from core.spec import LayerSpec

from .im2col_axes import (
    Images,
    Marks,
    flat,
    glue,
    image,
    image_mark,
    nd_caption,
    padded_fits,
    pairs,
)
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
    "output": "output, channel o  (OH × OW)",
    "grad_output_t": "dYᵀ  (O × L)",
    "grad_weight": "dW = dYᵀ · conj(cols)  (O × G·K)",
    "grad_output": "dY  (L × O)",
    "weight": "W  (O × G·K)",
    "grad_cols": "dcols = dY · conj(W)  (L × G·K)",
    "grad_padded": "col2im(dcols), channel c",
    "grad_input": "pad adjoint → grad_input, channel c",
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
    if spec.dims != 2:
        return nd_caption(spec, "output positions", spec.output_size, spec.in_per_group,
                          "C/G") + ("" if padded_fits(spec) else NOT_DRAWN)
    (kh, kw), (oh, ow) = spec.kernel_size, spec.output_size
    return (
        glue(f"L = OH·OW = {oh}·{ow} = {oh * ow}") + " output positions;  "
        + glue(f"K = C/G·kh·kw = {spec.in_per_group}·{kh}·{kw} = {spec.in_per_group * kh * kw}")
        + f" taps per group;  {glue(f'G = {spec.groups}')}"
        + ("" if frame(spec) is None else
           f";  col2im's padded grid ({spec.padded_size[0]}×{spec.padded_size[1]}) is "
           "not drawn: a huge padding")
    )


NOT_DRAWN = ";  col2im's padded grid is not drawn (blank): a huge padding makes it too large"

#: The images among the matrices (output, col2im's padded grid, grad_input): their titles for
#: 1 and 3 spatial axes, and what each matrix's rows and columns index ("L" positions, "K"
#: taps, "image" an image's rows, "" plain numbers).
IMAGES = Images(
    sizes=lambda spec: {"output": spec.output_size, "grad_padded": spec.padded_size,
                        "grad_input": spec.input_size},
    positions=lambda spec: spec.output_size,
    per_group=lambda spec: spec.in_per_group,
    flat_titles=TITLES,
    line_titles={"output": "output  (O × L, a row per channel)",
                 "grad_padded": "col2im(dcols)  (C × padded L_in)",
                 "grad_input": "pad adjoint → grad_input  (C × L_in)"},
    stacked_titles={"output": "output, channel o  (D·H × W: depth slices stacked)"},
    kinds={"cols": ("L", "K"), "weight_t": ("K", ""), "product": ("L", ""),
           "output": ("image", ""), "grad_output_t": ("", "L"), "grad_weight": ("", "K"),
           "grad_output": ("L", ""), "weight": ("", "K"), "grad_cols": ("L", "K"),
           "grad_padded": ("image", ""), "grad_input": ("image", "")},
)
titles, labels, slices = IMAGES.titles, IMAGES.labels, IMAGES.slices


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
    spec = steps.spec
    if spec.dims != 2:  # drawn whole (no cut frame), unless over the memory limit: blank
        return _matrices(steps, w_t, image(steps.grad_padded, spec.dims)
                         if padded_fits(spec) else np.full((1, 1), np.nan, np.float32))
    cut = frame(spec)
    # a huge padding: col2im's padded grid would cost the padded size; its drawn frame is
    # shown blank (the view's caption says so), the read cells still marked on it
    grad_padded = steps.grad_padded if cut is None else \
        np.full((steps.spec.in_channels, *cut.shape), np.nan, np.float32)
    return _matrices(steps, w_t, grad_padded)


def _matrices(steps: Im2colSteps, w_t: np.ndarray, grad_padded: np.ndarray
              ) -> dict[str, np.ndarray]:
    dims = steps.spec.dims
    dy_t = steps.grad_output_matrix.swapaxes(1, 2)  # (G, O/G, L)
    return {
        "cols": side_by_side(steps.cols),
        "weight_t": block_diagonal(w_t),
        "product": side_by_side(steps.product),
        "output": image(steps.output, dims),
        "grad_output_t": np.concatenate(list(dy_t), axis=0),
        "grad_weight": block_diagonal(steps.grad_weight_matrix),
        "grad_output": side_by_side(steps.grad_output_matrix),
        "weight": block_diagonal(steps.weight_matrix),
        "grad_cols": side_by_side(steps.grad_cols),
        "grad_padded": grad_padded,
        "grad_input": image(steps.grad_input, dims),
    }


@dataclass(frozen=True, eq=False)
class PageMarks:
    page: str
    marks: dict[str, Marks] = field(default_factory=dict)


#: The spatial columns of `core.explain.Terms` ((d, T) each) by the names used here.
_TERM_AXES = {"out": "out_spatial", "tap": "taps", "padded": "padded_spatial",
              "pixel": "spatial"}


def kept_terms(terms: Terms, sample: int, step: int | None
               ) -> tuple[dict[str, np.ndarray], Callable[..., Marks]]:
    """The columns of the terms with a cell in sample ``sample``'s matrices (not an output's
    bias term; every term of a grad_bias): "o", "c" (T,), "out", "tap", "padded", "pixel"
    (d, T); and a maker of `Marks` from their cells whose current cell is term ``step``'s
    (none if that term has no cell here)."""
    keep = terms.n == sample
    if terms.target != "grad_bias":
        keep &= terms.has_tap
    rows = np.flatnonzero(keep)
    t = {name: getattr(terms, name)[rows] for name in ("o", "c")}
    t.update({name: getattr(terms, column)[:, rows] for name, column in _TERM_AXES.items()})
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
    d, kernel, positions = spec.dims, spec.kernel_size, spec.output_size
    og, cg, taps = spec.out_per_group, spec.in_per_group, math.prod(spec.kernel_size)
    k_all = cg * taps
    t, mark = kept_terms(terms, sample, step)
    l = flat(t["out"], positions)
    o = t["o"]
    col = np.zeros_like(o)
    if target != "grad_bias":
        g = o // og
        col = g * k_all + (t["c"] - g * cg) * taps + flat(t["tap"], kernel)
    entry = terms.entry
    out: dict[str, Marks] = {}
    if target == "output":
        e_row, e_o = int(flat(entry[-d:], positions)), entry[-d - 1]
        out["cols"] = mark(pairs(l, col), rows=(e_row,))
        out["weight_t"] = mark(pairs(col, o), cols=(e_o,))
        out["product"] = mark(pairs(l, o), rows=(e_row,), cols=(e_o,))
        out["output"] = image_mark(mark, o, t["out"], positions, e_o)
    elif target == "grad_weight":
        e_o = entry[0]
        g = e_o // og
        e_col = g * k_all + entry[1] * taps + int(flat(entry[2:], kernel))
        out["cols"] = mark(pairs(l, col), cols=(e_col,))
        out["grad_output_t"] = mark(pairs(o, l), rows=(e_o,))
        out["grad_weight"] = mark(pairs(o, col), rows=(e_o,), cols=(e_col,))
    elif target == "grad_input":
        c = entry[-d - 1]
        out["grad_output"] = mark(pairs(l, o))
        out["weight"] = mark(pairs(o, col))
        out["grad_cols"] = mark(pairs(l, col))
        cut = frame(spec) if d == 2 else None
        padded = t["padded"] if cut is None else cut.to_drawn(t["padded"].T).T
        size = spec.padded_size if cut is None else cut.shape
        channel = np.full_like(o, c)
        if d == 2 or padded_fits(spec):  # (else drawn blank, one cell: nothing to mark)
            out["grad_padded"] = image_mark(mark, channel, padded, size, c)
        out["grad_input"] = image_mark(mark, channel, t["pixel"], spec.input_size, c)
    else:  # grad_bias
        out["grad_output"] = mark(pairs(l, o), cols=(entry[0],))
    return PageMarks(page, out)
