"""How the im2col view lays out a transposed layer's matrices, and which cells a sum touches.

No arithmetic: the matrices are `core.transposed_steps.TransposedSteps` arrays placed side
by side, one block per group (W as one block-diagonal matrix, NaN — drawn blank — outside
the blocks), as `gui.im2col_layout` does for a Conv2d:

    forward      x (L, C) · W (C, G·K) = cols (L, G·K)   row l: input pixel l's painted copy
                 → fold → full output (O, Hp, Wp) → crop (padding) → output (O, OH, OW)
    grad_weight  xᵀ (C, L) · gcols (L, G·K) = gW (C, G·K)
    grad_input   gy (O, OH, OW) → unfold → gcols (L, G·K)
                 gcols (L, G·K) · Wᵀ (G·K, C) = gx (L, C) → reshape → grad_input (C, H, W)

L = the input positions H'·W' (row l = h·W' + w; W' counts `LayerSpec.conv_extra` columns
past the input, zeros that paint nothing), K = (O/G)·kh·kw taps of one copy (column
g·K + k, k = o'·kh·kw + i·kw + j, o' the output channel within group g).
"""

from __future__ import annotations

import numpy as np

from core.explain import Terms
from core.spec import LayerSpec
from core.transposed_steps import TransposedSteps

from .im2col_layout import Marks, PageMarks, block_diagonal, kept_terms, pairs, side_by_side

#: The pages of the view for a transposed layer and the matrices on each, in layout order.
PAGES = {
    "forward": ("weight_matrix", "input_matrix", "cols", "full_output", "output"),
    "grad_weight": ("grad_output_cols", "input_matrix_t", "grad_weight_matrix"),
    "grad_input": ("grad_output", "weight_matrix_t", "grad_output_cols", "grad_input_matrix",
                   "grad_input"),
}
#: The page that explains each target.
PAGE_OF = {"output": "forward", "grad_weight": "grad_weight", "grad_input": "grad_input",
           "grad_bias": "grad_input"}
#: Each matrix's title (conj(…) is dropped for real values: `gui.widgets.im2col_view`).
TITLES = {
    "weight_matrix": "W  (C × G·K)",
    "input_matrix": "x  (L × C)",
    "cols": "cols = x · W  (L × G·K)",
    "full_output": "fold(cols): full output, channel o",
    "output": "crop (+ b) → output y, channel o",
    "grad_output_cols": "gcols = unfold(gy)  (L × G·K)",
    "input_matrix_t": "xᵀ  (C × L)",
    "grad_weight_matrix": "gW = conj(x)ᵀ · gcols  (C × G·K)",
    "grad_output": "grad_output gy, channel o",
    "weight_matrix_t": "Wᵀ  (G·K × C)",
    "grad_input_matrix": "gx = gcols · conj(W)ᵀ  (L × C)",
    "grad_input": "reshape → grad_input, channel c",
}
PAGE_TITLES = {
    "forward": "forward:  cols = x · W → fold (col2im) → crop (+ b)",
    "grad_weight": "backward:  gW = conj(x)ᵀ · gcols",
    "grad_input": "backward:  gcols = unfold(gy),  gx = gcols · conj(W)ᵀ",
}
#: (row, col) of each matrix in its page's grid: B above C, A left of C for C = A·B.
PLACES = {
    "forward": {"weight_matrix": (0, 1), "input_matrix": (1, 0), "cols": (1, 1),
                "full_output": (1, 2), "output": (1, 3)},
    "grad_weight": {"grad_output_cols": (0, 1), "input_matrix_t": (1, 0),
                    "grad_weight_matrix": (1, 1)},
    "grad_input": {"grad_output": (0, 0), "weight_matrix_t": (0, 1), "grad_output_cols": (1, 0),
                   "grad_input_matrix": (1, 1), "grad_input": (1, 2)},
}


def matrices(steps: TransposedSteps) -> dict[str, np.ndarray]:
    """Every array the view shows for a transposed layer, by name (see the module docstring)."""
    x_t = steps.input_matrix.swapaxes(1, 2)  # (G, C/G, L)
    return {
        "input_matrix": side_by_side(steps.input_matrix),
        "weight_matrix": block_diagonal(steps.weight_matrix),
        "cols": side_by_side(steps.cols),
        "full_output": steps.full_output,
        "output": steps.output,
        "input_matrix_t": np.concatenate(list(x_t), axis=0),
        "grad_output_cols": side_by_side(steps.grad_output_cols),
        "grad_weight_matrix": block_diagonal(steps.grad_weight_matrix),
        "grad_output": steps.grad_output,
        "weight_matrix_t": block_diagonal(steps.weight_matrix.swapaxes(1, 2)),
        "grad_input_matrix": side_by_side(steps.grad_input_matrix),
        "grad_input": steps.grad_input,
    }


def boxes(spec: LayerSpec) -> dict[str, tuple[int, int, int, int]]:
    """(top, left, rows, columns) of the full output that padding keeps: the output (no
    frame when padding crops nothing)."""
    top, _, left, _ = spec.pads
    if spec.padded_size == spec.output_size:
        return {}
    return {"full_output": (top, left, *spec.output_size)}


def marks(terms: Terms, sample: int, step: int | None = None) -> PageMarks:
    """The cells of the target's page that the terms of sample ``sample`` touch (a bias
    term has no cell in any matrix; terms of other samples are not in these matrices)."""
    spec, target = terms.spec, terms.target
    page = PAGE_OF[target]
    (kh, kw), w_rows = spec.kernel_size, spec.as_conv().output_size[1]
    og, cg = spec.out_per_group, spec.in_per_group
    k_all = og * kh * kw
    t, mark = kept_terms(terms, sample, step)
    o, c = t["o"], t["c"]
    if target != "grad_bias":
        l = t["h"] * w_rows + t["w"]
        g = c // cg
        col = g * k_all + (o - g * og) * kh * kw + t["kh"] * kw + t["kw"]
    entry = terms.entry
    out: dict[str, Marks] = {}
    if target == "output":
        e_o = entry[-3]
        out["input_matrix"] = mark(pairs(l, c))
        out["weight_matrix"] = mark(pairs(c, col))
        out["cols"] = mark(pairs(l, col))
        out["full_output"] = mark(pairs(o, t["ph"], t["pw"]), channel=e_o)
        out["output"] = mark(pairs(o, t["oi"], t["oj"]), channel=e_o)
    elif target == "grad_weight":
        e_c = entry[0]
        e_col = (e_c // cg) * k_all + entry[1] * kh * kw + entry[2] * kw + entry[3]
        out["input_matrix_t"] = mark(pairs(c, l), rows=(e_c,))
        out["grad_output_cols"] = mark(pairs(l, col), cols=(e_col,))
        out["grad_weight_matrix"] = mark(pairs(c, col), rows=(e_c,), cols=(e_col,))
    elif target == "grad_input":
        e_c, e_h, e_w = entry[-3:]
        e_row = e_h * w_rows + e_w
        # gy's channel on screen: the current term's (the terms read every o of the group)
        cells = mark(pairs(o, t["oi"], t["oj"]))
        shown = (cells.current if len(cells.current) else cells.read)[:1, 0]
        out["grad_output"] = mark(cells.read, channel=int(shown[0]) if shown.size else None)
        out["grad_output_cols"] = mark(pairs(l, col), rows=(e_row,))
        out["weight_matrix_t"] = mark(pairs(col, c), cols=(e_c,))
        out["grad_input_matrix"] = mark(pairs(l, c), rows=(e_row,), cols=(e_c,))
        out["grad_input"] = mark(pairs(c, t["h"], t["w"]), channel=e_c)
    else:  # grad_bias
        out["grad_output"] = mark(pairs(o, t["oi"], t["oj"]), channel=entry[0])
    return PageMarks(page, out)


def caption(spec: LayerSpec) -> str:
    """L, K and G in words and numbers, and what the crop keeps of the full output."""
    (kh, kw), (oh, ow) = spec.kernel_size, spec.output_size
    (lh, lw), (eh, ew) = spec.as_conv().output_size, spec.conv_extra
    hp, wp = spec.padded_size
    past = [f"{n} {what}{'s' if n > 1 else ''}" for n, what in ((eh, "row"), (ew, "column")) if n]
    extra = f" (the last {' and '.join(past)}: past the input, zeros that paint nothing)" \
        if past else ""
    return (
        f"L = {lh}·{lw} = {lh * lw} input positions, a row each{extra};  "
        f"K = O/G·kh·kw = {spec.out_per_group}·{kh}·{kw} = {spec.out_per_group * kh * kw} "
        f"taps of each painted copy;  G = {spec.groups};  "
        + (f"padding crops the {hp}×{wp} full output to {oh}×{ow} (dashed, on the forward page)"
           if (hp, wp) != (oh, ow) else f"no padding: the {oh}×{ow} full output is the output")
    )
