"""Fill patterns and clipboard parsing (pure numpy)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from gui.fills import (
    FILL_LABELS,
    MAX_PASTE_CHARS,
    fill_values,
    format_block,
    parse_block,
    parse_number,
)


@pytest.mark.parametrize("kind", sorted(FILL_LABELS))
@pytest.mark.parametrize("shape", [(3, 3), (4, 2, 5, 5), (4,), (1, 1)])
def test_every_fill_has_the_asked_shape_and_dtype(kind, shape):
    for dtype in ("float32", "complex128"):
        a = fill_values(kind, shape, dtype, seed=3)
        assert a.shape == shape and a.dtype == np.dtype(dtype)
        assert np.all(np.isfinite(a))


def test_fill_patterns():
    np.testing.assert_array_equal(fill_values("arange", (2, 3), "float64"),
                                  [[0, 1, 2], [3, 4, 5]])
    d = fill_values("delta", (2, 3, 3), "float64")
    assert np.all(d[:, 1, 1] == 1) and d.sum() == 2
    sx = fill_values("sobel_x", (3, 3), "float64")
    np.testing.assert_array_equal(sx, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(fill_values("sobel_y", (3, 3), "float64"), sx.T)
    assert fill_values("laplacian", (3, 3), "float64").sum() == 0
    big = fill_values("laplacian", (5, 5), "float64")  # centred in a larger kernel
    assert big[2, 2] == -4 and big[0].sum() == 0
    assert abs(fill_values("gaussian", (5, 5), "float64").sum() - 1) < 1e-3
    assert np.allclose(fill_values("box", (2, 2), "float64"), 0.25)
    r1 = fill_values("random", (4, 4), "float64", seed=1)
    assert np.array_equal(r1, fill_values("random", (4, 4), "float64", seed=1))
    assert not np.array_equal(r1, fill_values("random", (4, 4), "float64", seed=2))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1\t2\n3\t4", [[1, 2], [3, 4]]),
        ("1, 2\n3, 4\n", [[1, 2], [3, 4]]),
        ("[[1, 2], [3, 4]]", [[1, 2], [3, 4]]),
        ("[1.5, -2]", [[1.5, -2]]),
        ("5", [[5]]),
        ("[[[1, 2]]]", [[1, 2]]),
        ("1e-3 −2", [[1e-3, -2]]),
        ("[[1. 2.]\n [3. 4.]]", [[1, 2], [3, 4]]),  # numpy's print
        ("((1, 2), (3, 4),)", [[1, 2], [3, 4]]),
        ("[[1, -inf], [nan, 2]]", [[1, -np.inf], [np.nan, 2]]),
        ("[]", np.zeros((1, 0))),
    ],
)
def test_parse_block(text, expected):
    np.testing.assert_array_equal(parse_block(text), expected)


def test_complex_values_in_a_literal():
    np.testing.assert_array_equal(parse_block("[[1+2j, 3], [−1, 2j]]"),
                                  [[1 + 2j, 3], [-1, 2j]])


def test_text_over_the_paste_limit_is_refused_at_once_with_both_sizes():
    text = "[" + ", ".join(["1.2345678"] * 900_000) + "]"  # about 9.9 MB
    start = time.perf_counter()
    with pytest.raises(ValueError) as refused:
        parse_block(text)
    assert time.perf_counter() - start < 1.0
    message = str(refused.value)
    assert f"{len(text):,} characters" in message and f"{MAX_PASTE_CHARS:,}" in message


def test_a_full_slice_literal_parses_in_time_proportional_to_the_text():
    a = np.round(np.random.default_rng(0).standard_normal((512, 512)), 6)
    text = repr(a.tolist())
    assert len(text) < MAX_PASTE_CHARS
    start = time.perf_counter()
    parsed = parse_block(text)
    assert time.perf_counter() - start < 5.0  # was 21 s (and 3.8 GB) for 8 MB via ast
    np.testing.assert_array_equal(parsed, a)


def test_parse_complex():
    assert parse_block("1+2j\t3")[0, 0] == 1 + 2j
    assert parse_number("2-1i") == 2 - 1j
    assert parse_number(" −0.5 ") == -0.5


@pytest.mark.parametrize(
    "text",
    ["", "abc", "__import__('os').system('echo hi')", "[[1, 2], [3]]", "1\t2\n3",
     "[['a']]", "[[[1], [2]], [[3], [4]]]", "{1: 2}", "lambda: 0", "[1, 2)", "[1, 2] 3",
     "[[1, 2]", "[1, [2, 3]]", "[[1, 2], 3]", "[1, 2]]", "[x.__class__]"],
)
def test_parse_refuses_with_a_reason(text):
    with pytest.raises(ValueError):
        parse_block(text)


def test_format_round_trips():
    a = np.array([[0.5, -1.25], [3.0, 1e-7]])
    np.testing.assert_array_equal(parse_block(format_block(a)), a)
    c = np.array([[1 + 2j]])
    assert parse_block(format_block(c))[0, 0] == 1 + 2j
