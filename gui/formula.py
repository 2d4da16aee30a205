"""Each result of a layer as a sum in letters, for any number of spatial axes: the rule every
entry follows, where `gui.equation.symbolic` fills in one entry's numbers.

    Conv1d, stride 2:    y[n,o,l] = b[o] + Σ_{c,i} xp[n,c,2l+i] · W[o,c,i]
    Conv3d:              y[n,o,d,h,w] = b[o] + Σ_{c,i,j,k} xp[n,c,d+i,h+j,w+k] · W[o,c,i,j,k]

Positions take the letters of the axes (`gui.equation.position_vars`: l; h, w; d, h, w),
taps i, j, k (`tap_vars`); the layer's stride, dilation and padding are written in as
numbers. A convolution reads the padded input ``xp`` (``x`` without padding); a transposed
layer's output entry collects the kernel copies that cover it, ``x[(P + p − d·i)/s]`` for
the taps where that is a whole pixel. Qt-free, like the rest of the view logic.
"""

from __future__ import annotations

from core.spec import LayerSpec

from .equation import MINUS, index_text, position_vars, tap_vars


def _linear(parts: list[tuple[int, str]], constant: int = 0, divisor: int = 1) -> str:
    """``Σ coef·var + constant``, then ``/divisor``, as short as it reads: '2l+i', 'l−1+2i',
    '(l+1−i)/2'."""
    text = ""
    for coef, var in parts:
        if coef == 0:
            continue
        size = "" if abs(coef) == 1 else str(abs(coef))
        sign = MINUS if coef < 0 else "+" if text else ""
        text += f"{sign}{size}{var}"
    if constant or not text:
        text += f"{MINUS}{-constant}" if constant < 0 else f"+{constant}" if text else "0"
    return text if divisor == 1 else f"({text})/{divisor}"


def _sum(names: list[str]) -> str:
    return f"Σ_{{{','.join(names)}}}"


#: With groups, which channel a sum's letter is limited to, or counted within.
GROUPS = {
    "output": "c runs over o's group",
    "grad_input": "o runs over c's group",
    "grad_weight": "the channel the weight counts within its group is the group's own",
}


def formula(spec: LayerSpec, target: str) -> str:
    """``target``'s rule in letters for layer ``spec`` (see the module docstring)."""
    text = _formula(spec, target)
    if spec.groups > 1 and target in GROUPS:
        text += f"  (groups {spec.groups}: {GROUPS[target]})"
    return text


def _formula(spec: LayerSpec, target: str) -> str:
    d = spec.dims
    where, taps = list(position_vars(d)), list(tap_vars(d))
    n = ["n"] if spec.batched else []
    pads = spec.pads[::2]
    axes = list(zip(where, taps, spec.stride, spec.dilation, pads, strict=True))
    complex_ = spec.dtype.startswith("complex")

    def conj(text: str, name: str) -> str:
        conjugated = {"grad_input": "weight", "grad_weight": "input"}.get(target)
        return f"conj({text})" if complex_ and conjugated == name else text

    if target == "grad_bias":
        return f"gb[o] = {_sum([*n, *where])} gy{index_text([*n, 'o', *where])}"
    if spec.transposed:
        painted = [_linear([(s, p), (dl, i)], -pad) for p, i, s, dl, pad in axes]  # sP−p+dI
        source = [_linear([(1, p), (-dl, i)], pad, s) for p, i, s, dl, pad in axes]
        w = f"W{index_text(['c', 'o', *taps])}"
        if target == "output":
            x = f"x{index_text([*n, 'c', *source])}"
            bias = "b[o] + " if spec.bias else ""
            return (f"y{index_text([*n, 'o', *where])} = {bias}{_sum(['c', *taps])} "
                    f"{x} · {w}")
        gy = f"gy{index_text([*n, 'o', *painted])}"
        if target == "grad_input":
            return (f"gx{index_text([*n, 'c', *where])} = {_sum(['o', *taps])} {gy} · "
                    f"{conj(w, 'weight')}")
        x = conj(f"x{index_text([*n, 'c', *where])}", "input")
        return f"gW{index_text(['c', 'o', *taps])} = {_sum([*n, *where])} {gy} · {x}"
    xp = "xp" if any(spec.pads) else "x"
    read = [_linear([(s, p), (dl, i)]) for p, i, s, dl, _ in axes]  # sP+dI
    w = f"W{index_text(['o', 'c', *taps])}"
    if target == "output":
        bias = "b[o] + " if spec.bias else ""
        return (f"y{index_text([*n, 'o', *where])} = {bias}{_sum(['c', *taps])} "
                f"{xp}{index_text([*n, 'c', *read])} · {w}")
    if target == "grad_input":
        back = [_linear([(1, p), (-dl, i)], pad, s) for p, i, s, dl, pad in axes]
        copies = "" if spec.padding_mode == "zeros" else \
            f"  (+ the border cells that copy it: {spec.padding_mode})"
        return (f"gx{index_text([*n, 'c', *where])} = {_sum(['o', *taps])} "
                f"gy{index_text([*n, 'o', *back])} · {conj(w, 'weight')}{copies}")
    x = conj(f"{xp}{index_text([*n, 'c', *read])}", "input")
    return (f"gW{index_text(['o', 'c', *taps])} = {_sum([*n, *where])} "
            f"gy{index_text([*n, 'o', *where])} · {x}")
