"""The text of an entry's sum: its symbolic form with the entry's numbers filled in, and one
line per term. Qt-free, so the equation panel and the tests share it.

    grad_weight[1,0,2,1] = Σ_{i,j} gy[0,1,i,j] · x[0,0,i+2,j+1]
    output[0,0,2,2] = b[0] + Σ_{c,i,j} xp[0,c,2+i,2+j] · W[0,c,i,j]

Every tensor is written with its own rank, one index per spatial axis of the layer: a
Conv1d's ``output[0,1,4] = b[1] + Σ_{c,i} xp[0,c,i+4] · W[1,c,i]``, a Conv3d's
``output[n,o,d,h,w]`` summed over taps ``i, j, k`` (`tap_vars`).

``xp`` is the padded input (its border filled by the padding mode); without padding the
input is written ``x``. Complex gradients conjugate as autograd does (``conj(W)``, ``conj(x)``).
"""

from __future__ import annotations

import re

import numpy as np

from core.explain import Terms
from core.spec import AXES, LayerSpec
from core.spec_args import per_axis
from core.tensors import SYMBOLS

from .words import count

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
    return _short_exponent(text).replace("-", MINUS)


def trimmed(text: str) -> str:
    """A formatted number without trailing zeros: '0.500' -> '0.5', '256.000' -> '256',
    '-0.000' -> '0', '2.50e+05' -> '2.5e5'; the minus as U+2212."""
    if "e" in text:
        mantissa, _, exponent = text.partition("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        text = _short_exponent(f"{mantissa}e{exponent}")
    elif "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "-0.0", ""):
        text = "0"
    return text.replace("-", MINUS)


_EXPONENT = re.compile(r"e([+-])0*(\d)")


def _short_exponent(text: str) -> str:
    """'2.49e+05' -> '2.49e5', '1e-04' -> '1e-4': two characters a narrow cell spends on a
    digit instead (review r13 R6: 249 001 printed '2e+05' where '2.5e5' fits)."""
    return _EXPONENT.sub(lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2), text)


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


def tap_vars(dims: int) -> tuple[str, ...]:
    """The summed tap indices of a d-axis layer: i; i, j; i, j, k."""
    return tuple("ijk"[:dims])


def position_vars(dims: int) -> tuple[str, ...]:
    """The letters of a d-axis layer's spatial axes (l; h, w; d, h, w), from their names."""
    return tuple(name[0] for name in AXES[dims])


def _axes(spec: LayerSpec, values) -> list[tuple]:
    """(value, stride, dilation, padding before, tap letter) for each spatial axis."""
    return list(zip(values, spec.stride, spec.dilation, spec.pads[::2], tap_vars(spec.dims),
                    strict=True))


def symbolic(terms: Terms) -> str:
    """The entry's sum in symbols with its numbers filled in (see the module docstring).

    Each tensor is written with its own rank: a Conv1d's output entry ``output[n,o,l]``
    sums over ``c, i``, a Conv3d's ``output[n,o,d,h,w]`` over ``c, i, j, k``.
    """
    spec, target, entry = terms.spec, terms.target, terms.entry
    if entry is None:
        raise ValueError("a reverse look-up has no single entry to write")
    if spec.transposed:
        return _symbolic_transposed(terms)
    d, taps = spec.dims, list(tap_vars(spec.dims))
    x = _input_symbol(spec)
    lhs = entry_text(target, entry)
    if target == "output":
        *n, o = entry[: -d]
        c0 = (o // spec.out_per_group) * spec.in_per_group
        xi = index_text([*n, affine(c0, 1, "c"),
                         *(affine(q * s, dl, v) for q, s, dl, _, v in _axes(spec, entry[-d:]))])
        rhs = f"{_sub(['c', *taps])} {x}{xi} · W{index_text([o, 'c', *taps])}"
        if spec.bias:
            rhs = f"b[{o}] + {rhs}"
        return f"{lhs} = {rhs}"
    if target == "grad_input":
        *n, c = entry[: -d]
        g = c // spec.in_per_group
        o_range = f"o∈{g * spec.out_per_group}..{(g + 1) * spec.out_per_group - 1}"
        back = [_back(p + before, dl, s, v) for p, s, dl, before, v in _axes(spec, entry[-d:])]
        gy = f"gy{index_text([*n, 'o', *back])}"
        wt = _conj(f"W{index_text(['o', c % spec.in_per_group, *taps])}", terms, "weight")
        copies = len(set(map(tuple, terms.padded_spatial.T.tolist())))
        note = (f"  (+ the {count(copies - 1, 'border cell')} that "
                f"{'copies' if copies == 2 else 'copy'} it)" if copies > 1 else "")
        return f"{lhs} = {_sub([o_range, *taps])} {gy} · {wt}{note}"
    if target == "grad_weight":
        o, c, *tap = entry
        c_abs = (o // spec.out_per_group) * spec.in_per_group + c
        n, summed = _sample_var(spec)
        gy = f"gy{index_text([*_lead(spec, n), o, *taps])}"
        xi = index_text([*_lead(spec, n), c_abs,
                         *(affine(k * dl, s, v) for k, s, dl, _, v in _axes(spec, tap))])
        xt = _conj(f"{x}{xi}", terms, "input")
        return f"{lhs} = {_sub([*summed, *taps])} {gy} · {xt}"
    return _symbolic_bias(terms)


def _symbolic_bias(terms: Terms) -> str:
    spec, (o,) = terms.spec, terms.entry
    n, summed = _sample_var(spec)
    taps = list(tap_vars(spec.dims))
    gy = f"gy{index_text([*_lead(spec, n), o, *taps])}"
    return f"{entry_text(terms.target, terms.entry)} = {_sub([*summed, *taps])} {gy}"


def _shifted(base: int, coef: int, var: str) -> str:
    """`affine` with a negative base written as a subtraction: '2i−1'."""
    if base >= 0:
        return affine(base, coef, var)
    return f"{affine(0, coef, var)}{MINUS}{-base}"


def _symbolic_transposed(terms: Terms) -> str:
    """A transposed layer's entry as a sum: an output entry collects the kernel copies that
    cover it (input pixel (P − d·i)/s for tap i, P its position before the crop), an input
    pixel's gradient reads grad_output under its own copy."""
    spec, target, entry = terms.spec, terms.target, terms.entry
    d, taps = spec.dims, list(tap_vars(spec.dims))
    lhs = entry_text(target, entry)
    if target == "output":
        *n, o = entry[: -d]
        g = o // spec.out_per_group
        c_range = f"c∈{g * spec.in_per_group}..{(g + 1) * spec.in_per_group - 1}"
        back = [_back(q + before, dl, s, v) for q, s, dl, before, v in _axes(spec, entry[-d:])]
        xi = index_text([*n, "c", *back])
        wt = f"W{index_text(['c', o % spec.out_per_group, *taps])}"
        rhs = f"{_sub([c_range, *taps])} x{xi} · {wt}"
        return f"{lhs} = {f'b[{o}] + ' if spec.bias else ''}{rhs}"
    if target == "grad_input":
        *n, c = entry[: -d]
        g = c // spec.in_per_group
        o_range = f"o∈{g * spec.out_per_group}..{(g + 1) * spec.out_per_group - 1}"
        under = [_shifted(p * s - before, dl, v) for p, s, dl, before, v in _axes(spec, entry[-d:])]
        gy = f"gy{index_text([*n, 'o', *under])}"
        # the weight's second index counts o within its group: o − (the group's first o)
        o_in = _shifted(-g * spec.out_per_group, 1, "o")
        wt = _conj(f"W{index_text([c, o_in, *taps])}", terms, "weight")
        return f"{lhs} = {_sub([o_range, *taps])} {gy} · {wt}"
    if target == "grad_weight":
        c, o_in, *tap = entry
        o = (c // spec.in_per_group) * spec.out_per_group + o_in
        n, summed = _sample_var(spec)
        where = list(position_vars(d))
        under = [_shifted(k * dl - before, s, v)
                 for (k, s, dl, before, _), v in zip(_axes(spec, tap), where, strict=True)]
        gy = f"gy{index_text([*_lead(spec, n), o, *under])}"
        xt = _conj(f"x{index_text([*_lead(spec, n), c, *where])}", terms, "input")
        return f"{lhs} = {_sub([*summed, *where])} {gy} · {xt}"
    return _symbolic_bias(terms)


def _back(p: int, d: int, s: int, var: str) -> str:
    """The output coordinate whose window tap ``var`` lands on padded coordinate ``p``."""
    tap = var if d == 1 else f"{d}{var}"
    inner = str(p) if d == 0 else f"{p}{MINUS}{tap}" if p else f"{MINUS}{tap}"
    return inner if s == 1 else f"({inner})/{s}"


#: The words for the two sides of each axis, the last d of them for a d-axis layer.
SIDES = (("front", "back"), ("top", "bottom"), ("left", "right"))


def _sides(spec: LayerSpec) -> str:
    names = SIDES[-spec.dims:]
    return ", ".join(f"{a} {before}, {b} {after}" for (a, b), before, after in
                     zip(names, spec.pads[::2], spec.pads[1::2], strict=True))


def padding_note(spec: LayerSpec) -> str:
    """What ``xp`` means, when the sum uses it (for a transposed layer: the crop)."""
    if not any(spec.pads):
        return ""
    if spec.transposed and spec.dims == 2:
        top, bottom, left, right = spec.pads
        (ph, pw), (oph, opw) = spec.padded_size, spec.output_padding
        extra = (f" with output_padding's {count(oph, 'row')} and {count(opw, 'column')} at "
                 "the bottom/right" if oph or opw else "")
        return (f"the full result is {ph}×{pw} cells (the kernel copies{extra}); padding crops "
                f"top {top}, bottom {bottom}, left {left}, right {right} off it (output row "
                f"oi is its row oi+{top})")
    if spec.transposed:
        size = "×".join(map(str, spec.padded_size))
        extra = (f" with output_padding {per_axis(spec.output_padding)} at the end"
                 if any(spec.output_padding) else "")
        letters = position_vars(spec.dims)
        shifted = [f"{v}+{b}" for v, b in zip(letters, spec.pads[::2], strict=True)]
        return (f"the full result is {size} cells (the kernel copies{extra}); padding crops "
                f"{_sides(spec)} off it (output position {per_axis(letters)} is its "
                f"{per_axis(shifted)})")
    causal = " (causal: the past only)" if spec.causal else ""
    return f"xp = x padded by ({_sides(spec)}), {spec.padding_mode}{causal}"


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
            text += f" (border {','.join(map(str, term.padded))})"
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
    if target == "grad_input" and spec.transposed:
        return "padding crops every cell of the kernel copy this pixel paints"
    if target == "grad_input":
        pixel = terms.entry[-spec.dims:]
        if any(p < -before or p >= size + after for p, size, before, after in
               zip(pixel, spec.input_size, spec.pads[::2], spec.pads[1::2], strict=True)):
            return "the negative padding crops this pixel away"
        return "no kernel window reads this pixel: the stride and dilation step over it"
    return "nothing reaches it"


def _in_border(spec: LayerSpec, padded: tuple[int, ...]) -> bool:
    return not all(0 <= p - before < size for p, before, size in
                   zip(padded, spec.pads[::2], spec.input_size, strict=True))


def running_sums(terms: Terms) -> np.ndarray | None:
    """The running sum after each term (np.cumsum of the values); None without values."""
    if terms.value is None:
        return None
    with np.errstate(all="ignore"):  # inf - inf is nan, quietly, as in torch
        return np.cumsum(terms.value)
