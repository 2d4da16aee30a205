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
g·K + k, k = o'·kh·kw + i·kw + j, o' the output channel within group g). With 1 or 3
spatial axes the same, row-major over the axes (`gui.im2col_axes`).
"""

from __future__ import annotations

import math

import numpy as np

from core.explain import Terms
from core.spec import LayerSpec
from core.transposed_steps import TransposedSteps

from .im2col_axes import (
    Images,
    Marks,
    flat,
    glue,
    image,
    image_mark,
    nd_caption,
    pairs,
)
from .im2col_layout import PageMarks, block_diagonal, kept_terms, side_by_side

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
    dims = steps.spec.dims
    return {
        "input_matrix": side_by_side(steps.input_matrix),
        "weight_matrix": block_diagonal(steps.weight_matrix),
        "cols": side_by_side(steps.cols),
        "full_output": image(steps.full_output, dims),
        "output": image(steps.output, dims),
        "input_matrix_t": np.concatenate(list(x_t), axis=0),
        "grad_output_cols": side_by_side(steps.grad_output_cols),
        "grad_weight_matrix": block_diagonal(steps.grad_weight_matrix),
        "grad_output": image(steps.grad_output, dims),
        "weight_matrix_t": block_diagonal(steps.weight_matrix.swapaxes(1, 2)),
        "grad_input_matrix": side_by_side(steps.grad_input_matrix),
        "grad_input": image(steps.grad_input, dims),
    }


def boxes(spec: LayerSpec) -> dict[str, tuple[int, int, int, int] | list]:
    """(top, left, rows, columns) of the full output that padding keeps: the output (no
    frame when padding crops nothing). 1D: across all channels (rows); 3D: a list, one box
    per kept depth slice of the stacked image."""
    if spec.padded_size == spec.output_size:
        return {}
    before, size = spec.pads[::2], spec.output_size
    if spec.dims == 1:
        return {"full_output": (0, before[0], spec.out_channels, size[0])}
    if spec.dims == 3:
        hp = spec.padded_size[1]
        return {"full_output": [(z * hp + before[1], before[2], size[1], size[2])
                                for z in range(before[0], before[0] + size[0])]}
    top, _, left, _ = spec.pads
    return {"full_output": (top, left, *spec.output_size)}


def marks(terms: Terms, sample: int, step: int | None = None) -> PageMarks:
    """The cells of the target's page that the terms of sample ``sample`` touch (a bias
    term has no cell in any matrix; terms of other samples are not in these matrices)."""
    spec, target = terms.spec, terms.target
    page = PAGE_OF[target]
    d, kernel, rows = spec.dims, spec.kernel_size, spec.as_conv().output_size
    og, cg, taps = spec.out_per_group, spec.in_per_group, math.prod(spec.kernel_size)
    k_all = og * taps
    t, mark = kept_terms(terms, sample, step)
    o, c = t["o"], t["c"]
    if target != "grad_bias":
        l = flat(t["pixel"], rows)
        g = c // cg
        col = g * k_all + (o - g * og) * taps + flat(t["tap"], kernel)
    entry = terms.entry
    out: dict[str, Marks] = {}
    if target == "output":
        e_o = entry[-d - 1]
        out["input_matrix"] = mark(pairs(l, c))
        out["weight_matrix"] = mark(pairs(c, col))
        out["cols"] = mark(pairs(l, col))
        out["full_output"] = image_mark(mark, o, t["padded"], spec.padded_size, e_o)
        out["output"] = image_mark(mark, o, t["out"], spec.output_size, e_o)
    elif target == "grad_weight":
        e_c = entry[0]
        e_col = (e_c // cg) * k_all + entry[1] * taps + int(flat(entry[2:], kernel))
        out["input_matrix_t"] = mark(pairs(c, l), rows=(e_c,))
        out["grad_output_cols"] = mark(pairs(l, col), cols=(e_col,))
        out["grad_weight_matrix"] = mark(pairs(c, col), rows=(e_c,), cols=(e_col,))
    elif target == "grad_input":
        e_c = entry[-d - 1]
        e_row = int(flat(entry[-d:], rows))
        # gy's channel on screen: the current term's (the terms read every o of the group)
        cells = image_mark(mark, o, t["out"], spec.output_size, None)
        shown = (cells.current if len(cells.current) else cells.read)[:1, 0]
        channel = int(shown[0]) if shown.size else None
        out["grad_output"] = image_mark(mark, o, t["out"], spec.output_size, channel)
        out["grad_output_cols"] = mark(pairs(l, col), rows=(e_row,))
        out["weight_matrix_t"] = mark(pairs(col, c), cols=(e_c,))
        out["grad_input_matrix"] = mark(pairs(l, c), rows=(e_row,), cols=(e_c,))
        out["grad_input"] = image_mark(mark, c, t["pixel"], spec.input_size, e_c)
    else:  # grad_bias
        out["grad_output"] = image_mark(mark, o, t["out"], spec.output_size, entry[0])
    return PageMarks(page, out)


#: The images among the matrices (the full output, output, grad_output, grad_input): their
#: titles for 1 and 3 spatial axes, and what each matrix's rows and columns index
#: (`gui.im2col_axes.axis_labels`).
IMAGES = Images(
    sizes=lambda spec: {"full_output": spec.padded_size, "output": spec.output_size,
                        "grad_output": spec.output_size, "grad_input": spec.input_size},
    positions=lambda spec: spec.as_conv().output_size,
    per_group=lambda spec: spec.out_per_group,
    flat_titles=TITLES,
    line_titles={"full_output": "fold(cols): full output  (O × L_out + 2·padding)",
                 "output": "crop (+ b) → output y  (O × L_out)",
                 "grad_output": "grad_output gy  (O × L_out)",
                 "grad_input": "reshape → grad_input  (C × L_in)"},
    kinds={"weight_matrix": ("", "K"), "input_matrix": ("L", ""), "cols": ("L", "K"),
           "full_output": ("image", ""), "output": ("image", ""),
           "grad_output_cols": ("L", "K"), "input_matrix_t": ("", "L"),
           "grad_weight_matrix": ("", "K"), "grad_output": ("image", ""),
           "weight_matrix_t": ("K", ""), "grad_input_matrix": ("L", ""),
           "grad_input": ("image", "")},
)
titles, labels, slices = IMAGES.titles, IMAGES.labels, IMAGES.slices


def caption(spec: LayerSpec) -> str:
    """L, K and G in words and numbers, and what the crop keeps of the full output."""
    if spec.dims != 2:
        crop = ("" if spec.padded_size == spec.output_size else
                f";  padding crops the full output {spec.padded_size} to "
                f"{spec.output_size} (dashed)")
        return nd_caption(spec, "input positions", spec.as_conv().output_size,
                          spec.out_per_group, "O/G") + crop
    (kh, kw), (oh, ow) = spec.kernel_size, spec.output_size
    (lh, lw), (eh, ew) = spec.as_conv().output_size, spec.conv_extra
    hp, wp = spec.padded_size
    past = [f"{n} {what}{'s' if n > 1 else ''}" for n, what in ((eh, "row"), (ew, "column")) if n]
    extra = f" (the last {' and '.join(past)}: past the input, zeros that paint nothing)" \
        if past else ""
    return (
        glue(f"L = {lh}·{lw} = {lh * lw}") + f" input positions, a row each{extra};  "
        + glue(f"K = O/G·kh·kw = {spec.out_per_group}·{kh}·{kw} = {spec.out_per_group * kh * kw}")
        + f" taps of each painted copy;  {glue(f'G = {spec.groups}')};  "
        + (f"padding crops the {hp}×{wp} full output to {oh}×{ow} (dashed, on the forward page)"
           if (hp, wp) != (oh, ow) else f"no padding: the {oh}×{ow} full output is the output")
    )
