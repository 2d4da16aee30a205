"""The text of an entry's sum: its symbolic form with the entry's numbers filled in, and one
line per term. Qt-free, so the equation panel and the tests share it.

    grad_weight[1,0,2,1] = Σ_{i,j} gy[0,1,i,j] · x[0,0,i+2,j+1]
    output[0,0,2,2] = b[0] + Σ_{c,i,j} xp[0,c,2+i,2+j] · W[0,c,i,j]

``xp`` is the padded input (its border filled by the padding mode); without padding the
input is written ``x``. Complex gradients conjugate as autograd does (``conj(W)``, ``conj(x)``).
"""

from __future__ import annotations

import numpy as np

from core.explain import Terms
from core.spec import LayerSpec
from core.tensors import SYMBOLS

MINUS = "−"
#: The order the factors are written in, as in `symbolic`.
ORDER = {
    "output": ("input", "weight", "bias"),
    "grad_input": ("grad_output", "weight"),
    "grad_weight": ("grad_output", "input"),
    "grad_bias": ("grad_output",),
}


def fmt(value, digits: int = 4) -> str:
    """A short number: 4 significant digits, a real minus sign, complex as (a+bj)."""
    if value is None:
        return "?"
    if isinstance(value, complex) or np.iscomplexobj(value):
        v = complex(value)
        text = f"({v.real:.{digits}g}{v.imag:+.{digits}g}j)"
    else:
        text = f"{float(value):.{digits}g}"
        if text == "-0":
            text = "0"
    return text.replace("-", MINUS)


def trimmed(text: str) -> str:
    """A formatted number without trailing zeros: '0.500' -> '0.5', '256.000' -> '256',
    '-0.000' -> '0'; the minus as U+2212."""
    if "e" not in text and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "-0.0", ""):
        text = "0"
    return text.replace("-", MINUS)


def cell_number(value: float, form: str) -> str:
    """``value`` as a grid cell prints it in format ``form``, trimmed; a value that is not
    zero but rounds to it prints '≈0', never the '0' of a true zero."""
    text = trimmed(form.format(value))
    return "≈0" if text == "0" and value != 0 and value == value else text


def index_text(index) -> str:
    return "[" + ",".join(str(int(i)) if not isinstance(i, str) else i for i in index) + "]"


def affine(base: int, coef: int, var: str) -> str:
    """``coef·var + base`` as short as it reads: 'i+2', '2i+4', 'i', '3'."""
    if coef == 0:
        return str(base)
    term = var if coef == 1 else f"{coef}{var}"
    return term if base == 0 else f"{term}+{base}"


def _input_symbol(spec: LayerSpec) -> str:
    return "xp" if any(spec.pads) and not spec.transposed else "x"


def _lead(spec: LayerSpec, n) -> list:
    """The sample index for batched tensors, nothing for unbatched."""
    return [n] if spec.batched else []


def _sample_var(spec: LayerSpec) -> tuple[str | int, list[str]]:
    """The sample in a sum over samples: 'n' (summed) for N > 1, else 0."""
    if spec.batched and (spec.batch or 0) > 1:
        return "n", ["n"]
    return 0, []


def _sub(names: list[str]) -> str:
    return f"Σ_{{{','.join(names)}}}" if names else "Σ"


def _conj(text: str, terms: Terms, name: str) -> str:
    complex_ = terms.spec.dtype.startswith("complex")
    return f"conj({text})" if complex_ and name in terms.conjugated else text


def entry_text(target: str, entry) -> str:
    return f"{target}{index_text(entry)}"


def symbolic(terms: Terms) -> str:
    """The entry's sum in symbols with its numbers filled in (see the module docstring)."""
    spec, target, entry = terms.spec, terms.target, terms.entry
    if entry is None:
        raise ValueError("a reverse look-up has no single entry to write")
    if spec.transposed:
        return _symbolic_transposed(terms)
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    top, _, left, _ = spec.pads
    x = _input_symbol(spec)
    lhs = entry_text(target, entry)
    if target == "output":
        *n, o, oi, oj = entry
        c0 = (o // spec.out_per_group) * spec.in_per_group
        xi = index_text([*n, affine(c0, 1, "c"), affine(oi * sh, dh, "i"),
                         affine(oj * sw, dw, "j")])
        rhs = f"{_sub(['c', 'i', 'j'])} {x}{xi} · W{index_text([o, 'c', 'i', 'j'])}"
        if spec.bias:
            rhs = f"b[{o}] + {rhs}"
        return f"{lhs} = {rhs}"
    if target == "grad_input":
        *n, c, h, w = entry
        g = c // spec.in_per_group
        o_range = f"o∈{g * spec.out_per_group}..{(g + 1) * spec.out_per_group - 1}"
        rows = _back(h + top, dh, sh, "i")
        cols = _back(w + left, dw, sw, "j")
        gy = f"gy{index_text([*n, 'o', rows, cols])}"
        wt = _conj(f"W{index_text(['o', c % spec.in_per_group, 'i', 'j'])}", terms, "weight")
        copies = len({(int(a), int(b)) for a, b in zip(terms.ph, terms.pw, strict=True)})
        note = f"  (+ the {copies - 1} border cells that copy it)" if copies > 1 else ""
        return f"{lhs} = {_sub([o_range, 'i', 'j'])} {gy} · {wt}{note}"
    if target == "grad_weight":
        o, c, i, j = entry
        c_abs = (o // spec.out_per_group) * spec.in_per_group + c
        n, summed = _sample_var(spec)
        gy = f"gy{index_text([*_lead(spec, n), o, 'i', 'j'])}"
        xi = index_text([*_lead(spec, n), c_abs, affine(i * dh, sh, "i"),
                         affine(j * dw, sw, "j")])
        xt = _conj(f"{x}{xi}", terms, "input")
        return f"{lhs} = {_sub([*summed, 'i', 'j'])} {gy} · {xt}"
    (o,) = entry
    n, summed = _sample_var(spec)
    return f"{lhs} = {_sub([*summed, 'i', 'j'])} gy{index_text([*_lead(spec, n), o, 'i', 'j'])}"


def _shifted(base: int, coef: int, var: str) -> str:
    """`affine` with a negative base written as a subtraction: '2i−1'."""
    if base >= 0:
        return affine(base, coef, var)
    return f"{affine(0, coef, var)}{MINUS}{-base}"


def _symbolic_transposed(terms: Terms) -> str:
    """A transposed layer's entry as a sum: an output entry collects the kernel copies that
    cover it (input pixel (P − d·i)/s for tap i, P its row before the crop), an input
    pixel's gradient reads grad_output under its own copy."""
    spec, target, entry = terms.spec, terms.target, terms.entry
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    top, _, left, _ = spec.pads
    lhs = entry_text(target, entry)
    if target == "output":
        *n, o, oi, oj = entry
        g = o // spec.out_per_group
        c_range = f"c∈{g * spec.in_per_group}..{(g + 1) * spec.in_per_group - 1}"
        xi = index_text([*n, "c", _back(oi + top, dh, sh, "i"), _back(oj + left, dw, sw, "j")])
        wt = f"W{index_text(['c', o % spec.out_per_group, 'i', 'j'])}"
        rhs = f"{_sub([c_range, 'i', 'j'])} x{xi} · {wt}"
        return f"{lhs} = {f'b[{o}] + ' if spec.bias else ''}{rhs}"
    if target == "grad_input":
        *n, c, h, w = entry
        g = c // spec.in_per_group
        o_range = f"o∈{g * spec.out_per_group}..{(g + 1) * spec.out_per_group - 1}"
        rows, cols = _shifted(h * sh - top, dh, "i"), _shifted(w * sw - left, dw, "j")
        gy = f"gy{index_text([*n, 'o', rows, cols])}"
        wt = _conj(f"W{index_text([c, 'o', 'i', 'j'])}", terms, "weight")
        return f"{lhs} = {_sub([o_range, 'i', 'j'])} {gy} · {wt}"
    if target == "grad_weight":
        c, o_in, i, j = entry
        o = (c // spec.in_per_group) * spec.out_per_group + o_in
        n, summed = _sample_var(spec)
        rows, cols = _shifted(i * dh - top, sh, "h"), _shifted(j * dw - left, sw, "w")
        gy = f"gy{index_text([*_lead(spec, n), o, rows, cols])}"
        xt = _conj(f"x{index_text([*_lead(spec, n), c, 'h', 'w'])}", terms, "input")
        return f"{lhs} = {_sub([*summed, 'h', 'w'])} {gy} · {xt}"
    (o,) = entry
    n, summed = _sample_var(spec)
    return f"{lhs} = {_sub([*summed, 'i', 'j'])} gy{index_text([*_lead(spec, n), o, 'i', 'j'])}"


def _back(p: int, d: int, s: int, var: str) -> str:
    """The output coordinate whose window tap ``var`` lands on padded coordinate ``p``."""
    tap = var if d == 1 else f"{d}{var}"
    inner = str(p) if d == 0 else f"{p}{MINUS}{tap}" if p else f"{MINUS}{tap}"
    return inner if s == 1 else f"({inner})/{s}"


def padding_note(spec: LayerSpec) -> str:
    """What ``xp`` means, when the sum uses it (for a transposed layer: the crop)."""
    if not any(spec.pads):
        return ""
    top, bottom, left, right = spec.pads
    if spec.transposed:
        (ph, pw), (oph, opw) = spec.padded_size, spec.output_padding
        extra = (f" with output_padding's {oph} row(s) and {opw} column(s) at the bottom/right"
                 if oph or opw else "")
        return (f"the full result is {ph}×{pw} cells (the kernel copies{extra}); padding crops "
                f"top {top}, bottom {bottom}, left {left}, right {right} off it (output row "
                f"oi is its row oi+{top})")
    return (f"xp = x padded by (top {top}, bottom {bottom}, left {left}, right {right}), "
            f"{spec.padding_mode}")


def term_text(terms: Terms, i: int) -> str:
    """One term: its factors with their indices and values, and what it adds.

    'x[0,1,2,3] · W[0,1,0,0] = 0.53 · −1.2 = −0.636'; the bias term 'b[0] = 0.12'; an input
    read through the border names the padded cell it came from.
    """
    term = terms[i]
    names = [n for n in ORDER[terms.target] if n in term.reads]
    parts, values = [], []
    for name in names:
        sym = SYMBOLS[name]
        text = _conj(f"{sym}{index_text(term.reads[name])}", terms, name)
        if (name == "input" and term.padded is not None and not terms.spec.transposed
                and _in_border(terms.spec, term.padded)):  # (transposed: an output cell)
            text += f" (border {term.padded[0]},{term.padded[1]})"
        parts.append(text)
        if name in term.factors:
            values.append(fmt(term.factors[name]))
    left = " · ".join(parts)
    if term.value is None:
        return left
    if len(values) > 1:
        return f"{left} = {' · '.join(values)} = {fmt(term.value)}"
    return f"{left} = {fmt(term.value)}"


def empty_reason(terms: Terms) -> str:
    """Why an entry is a sum of no terms (its value is then 0), in words for the panel."""
    spec, target = terms.spec, terms.target
    if target in ("grad_weight", "grad_bias") and spec.batch == 0:
        return "the batch is empty"
    if target == "output":
        return "every tap of its window reads zero padding, and there is no bias"
    if target == "grad_weight":
        return "at every output position this tap reads zero padding"
    if target == "grad_input":
        top, bottom, left, right = spec.pads
        (h, w), (r, c) = spec.input_size, terms.entry[-2:]
        if r < -top or r >= h + bottom or c < -left or c >= w + right:
            return "the negative padding crops this pixel away"
        return "no kernel window reads this pixel: the stride and dilation step over it"
    return "nothing reaches it"


def _in_border(spec: LayerSpec, padded: tuple[int, int]) -> bool:
    top, _, left, _ = spec.pads
    h, w = spec.input_size
    ph, pw = padded
    return not (0 <= ph - top < h and 0 <= pw - left < w)


def running_sums(terms: Terms) -> np.ndarray | None:
    """The running sum after each term (np.cumsum of the values); None without values."""
    if terms.value is None:
        return None
    with np.errstate(all="ignore"):  # inf - inf is nan, quietly, as in torch
        return np.cumsum(terms.value)
