"""gui.equation and gui.formula for Conv1d / Conv3d layers (and their transposed and causal
forms): the sum's text, and the rule in letters, write every tensor with its own rank, and
evaluated at each term's indices their index expressions name exactly the cells the term
reads (the text is checked against explain, not against a copy of itself)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.explain import TARGETS, explain_spec
from core.session import Session
from core.spec import LayerSpec
from core.tensors import SYMBOLS
from gui.equation import empty_reason, padding_note, position_vars, symbolic, tap_vars, term_text
from gui.formula import formula

SPECS = {
    "1d-reflect": LayerSpec(2, 4, 3, padding=2, dilation=2, stride=2, padding_mode="reflect",
                            groups=2, input_size=7, dims=1, batch=2),
    "1d-causal": LayerSpec(2, 2, 3, dilation=2, causal=True, input_size=6, dims=1, batch=None),
    "1d-transposed": LayerSpec(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2,
                               input_size=4, dims=1, transposed=True),
    "2d-zeros": LayerSpec(2, 2, (2, 3), stride=(2, 1), padding=1, input_size=(4, 5)),
    "3d-circular": LayerSpec(2, 2, (2, 2, 3), stride=(1, 1, 2), padding=(1, 0, 1),
                             padding_mode="circular", input_size=(3, 3, 4), dims=3,
                             dtype="complex128"),
    "3d-transposed": LayerSpec(2, 2, (2, 1, 2), stride=(2, 1, 2), padding=(1, 0, 0),
                               output_padding=(1, 0, 0), dilation=(1, 1, 2),
                               input_size=(2, 2, 2), dims=3, transposed=True, batch=2),
}
SYMBOL = {"x": "input", "xp": "input", "W": "weight", "b": "bias", "gy": "grad_output"}
FACTOR = re.compile(r"\b(xp|x|W|gy|b)\[([^\]]*)\]")


def _evaluate(expression: str, env: dict[str, int]) -> float:
    """'(5−2i)/2' at i=1 → 1.5: the text's arithmetic, with the letters bound to numbers."""
    python = re.sub(r"(\d)([a-z])", r"\1*\2", expression.replace("−", "-"))
    return eval(python, {"__builtins__": {}}, env)  # noqa: S307 - our own test text


def _factors(text: str) -> list[tuple[str, list[str]]]:
    rhs = text.split(" = ", 1)[1]
    return [(m.group(1), m.group(2).split(",")) for m in FACTOR.finditer(rhs)]


def _through_a_copy(spec: LayerSpec, term, target: str) -> bool:
    """A convolution's grad_input term read through a border cell that copies the pixel:
    the sum's note ("+ the border cells that copy it") covers it, not its indices."""
    return (target == "grad_input" and not spec.transposed and term.padded is not None
            and term.padded != tuple(np.add(term.pixel, spec.pads[::2])))


def _env(spec: LayerSpec, term, target: str) -> dict[str, int]:
    """What each letter of the sum stands for in this term."""
    env = {"n": term.entry[0] if target in ("output", "grad_input") else 0}
    if "input" in term.reads and spec.batched:
        env["n"] = term.reads["input"][0]
    elif "grad_output" in term.reads and spec.batched:
        env["n"] = term.reads["grad_output"][0]
    taps, where = tap_vars(spec.dims), position_vars(spec.dims)
    if target in ("output", "grad_input"):
        env.update(zip(taps, term.tap or (), strict=False))
        if target == "grad_input":
            env["o"] = term.reads["grad_output"][-spec.dims - 1]
        elif "weight" in term.reads:  # the channel: a conv's in its group, a transposed's own
            env["c"] = term.reads["weight"][0 if spec.transposed else 1]
    elif target == "grad_weight" and spec.transposed:
        env.update(zip(where, term.pixel, strict=True))
    else:  # a sum over output positions, written with the tap letters
        env.update(zip(taps, term.out, strict=True))
    return env


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", list(SPECS))
def test_the_sum_names_each_term_s_cells(name, target):
    spec = SPECS[name]
    if target == "grad_bias" and not spec.bias:
        return
    s = Session.default(spec, seed=2)
    shape = spec.shape(target)
    for index in {tuple(n // 2 for n in shape), tuple(n - 1 for n in shape)}:
        terms = explain_spec(spec, target, index, **s.tensors())
        text = symbolic(terms)
        lhs = text.split(" = ", 1)[0]
        assert lhs == f"{target}[{','.join(map(str, index))}]"
        factors = _factors(text)
        for symbol, where in factors:  # every tensor written with its own rank
            assert len(where) == len(spec.shape(SYMBOL[symbol])), (symbol, text)
        assert re.search(r"Σ_\{[^}]*" + ",".join(tap_vars(spec.dims)), text) or \
            target == "grad_weight" and spec.transposed, text
        checked = 0
        for k, term in enumerate(terms):
            if _through_a_copy(spec, term, target):
                continue
            env = _env(spec, term, target)
            for symbol, where in factors:
                if (symbol == "b") != (term.tap is None and target == "output"):
                    continue
                got = tuple(_evaluate(e, env) for e in where)
                read = term.reads[SYMBOL[symbol]]
                if symbol == "xp":  # the padded input's cell
                    read = (*read[: -spec.dims], *term.padded)
                assert got == read, (symbol, where, env, text)
            checked += 1
            line = term_text(terms, k)
            for read_name, read in term.reads.items():  # each factor with its full index
                assert f"{SYMBOLS[read_name]}[{','.join(map(str, read))}]" in line
            inside = term.padded is not None and all(
                0 <= p - b < n for p, b, n in zip(term.padded, spec.pads[::2],
                                                  spec.input_size, strict=True))
            border = "input" in term.reads and term.padded is not None and not inside
            assert ("(border" in line) == (border and not spec.transposed)
            if "(border" in line:
                assert f"(border {','.join(map(str, term.padded))})" in line
        assert checked or len(terms) == 0


@pytest.mark.parametrize("name", list(SPECS))
def test_the_padding_note_names_each_axis(name):
    spec = SPECS[name]
    note = padding_note(spec)
    sides = {1: ["left", "right"], 2: ["top", "bottom", "left", "right"],
             3: ["front", "back", "top", "bottom", "left", "right"]}[spec.dims]
    numbers = [int(m) for m in re.findall(r"(?:front|back|top|bottom|left|right) (\d+)", note)]
    assert numbers == list(spec.pads)
    assert [w for w in re.findall(r"[a-z]+", note) if w in sides] == sides
    if spec.causal:
        assert "causal" in note


@pytest.mark.parametrize(("spec", "target", "index", "reason"), [
    (LayerSpec(1, 1, 2, stride=3, input_size=7, dims=1, bias=False), "grad_input", (0, 0, 2),
     "step over it"),
    (LayerSpec(1, 1, 1, padding=-1, padding_mode="replicate", input_size=(3, 3, 4), dims=3,
               bias=False), "grad_input", (0, 0, 1, 1, 0), "crops this pixel away"),
    (LayerSpec(1, 1, 2, padding=3, input_size=(2, 2, 2), dims=3, bias=False), "output",
     (0, 0, 0, 0, 0), "every tap of its window reads zero padding"),
    (LayerSpec(1, 1, 1, padding=1, input_size=3, dims=1, transposed=True, bias=False),
     "grad_input", (0, 0, 0), "padding crops every cell of the kernel copy"),
])
def test_an_empty_d_dimensional_sum_names_its_reason(spec, target, index, reason):
    terms = explain_spec(spec, target, index, **Session.default(spec).tensors())
    assert len(terms) == 0
    assert reason in empty_reason(terms)


def _positions(spec: LayerSpec, term, target: str) -> tuple[int, ...]:
    """What the position letters stand for: the entry's own position, or the position the
    sum runs over (output positions; a transposed grad_weight's input pixels)."""
    if target in ("output", "grad_input"):
        return term.entry[-spec.dims:]
    return term.pixel if spec.transposed and target == "grad_weight" else term.out


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", list(SPECS))
def test_the_rule_in_letters_names_each_term_s_cells(name, target):
    spec = SPECS[name]
    if target == "grad_bias" and not spec.bias:
        return
    text = formula(spec, target)
    where = position_vars(spec.dims)
    assert text.split(" = ")[0].endswith(f"{','.join(where)}]" if target in (
        "output", "grad_input") else "]")
    factors = _factors(text)
    for symbol, index in factors:
        assert len(index) == len(spec.shape(SYMBOL[symbol])), (symbol, text)
    for entry in {tuple(n // 2 for n in spec.shape(target)), (0,) * len(spec.shape(target))}:
        terms = explain_spec(spec, target, entry)
        for k, term in enumerate(terms):
            if _through_a_copy(spec, term, target):
                continue
            env = dict(zip(where, _positions(spec, term, target), strict=True))
            env.update(zip(tap_vars(spec.dims), term.tap or (), strict=False))
            env.update(n=int(terms.n[k]), o=int(terms.o[k]), c=int(terms.c[k]))
            for symbol, index in factors:
                if (symbol == "b") != (term.tap is None and target == "output"):
                    continue
                read = term.reads[SYMBOL[symbol]]
                if symbol == "xp":
                    read = (*read[: -spec.dims], *term.padded)
                got = tuple(_evaluate(e, env) for e in index)
                # with groups the weight counts a channel within its group (the note says so)
                lead = len(read) - spec.dims
                keep = slice(None) if spec.groups == 1 or symbol != "W" else slice(lead, None)
                assert got[keep] == read[keep], (symbol, index, env, text)
                if symbol != "W" and spec.batched:
                    assert got[0] == read[0]



def test_counted_words_agree_with_their_numbers():
    """'the 1 border cell that copies it', '1 row and 1 column' (review r13 R12: 'the 1
    border cells', '1 row(s)')."""
    from core.explain import explain_spec
    from core.io.presets import load_preset
    from gui.equation import padding_note, symbolic
    from gui.words import count

    assert (count(1, "row"), count(0, "row"), count(3, "copy", "copies")) == (
        "1 row", "0 rows", "3 copies")
    s = load_preset("reflect_padding")
    terms = explain_spec(s.spec, "grad_input", (0, 0, 0, 1), **s.tensors())
    assert symbolic(terms).endswith("(+ the 1 border cell that copies it)")
    note = padding_note(load_preset("transposed_output_padding").spec)
    assert "output_padding's 1 row and 1 column at the bottom/right" in note
