"""Fill patterns for a grid's context menu, and parsing/formatting of pasted blocks.

Pure numpy, no Qt: the values a user asks for (zeros, ones, seeded random normal, arange, a
delta, classic 3×3 kernels) and the text they paste. Parsing never evaluates code: a
literal like ``[[1, 2], [3, 4]]`` is read by a small one-pass parser of brackets and
numbers, anything else is split into numbers; text over `MAX_PASTE_CHARS` is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from core.session import random_normal

#: (key, menu label) in menu order; None marks a separator.
FILLS: tuple[tuple[str, str] | None, ...] = (
    ("zeros", "Zeros"),
    ("ones", "Ones"),
    ("random", "Random normal"),
    ("arange", "Arange 0, 1, 2, …"),
    ("delta", "Delta (1 at the centre)"),
    None,
    ("sobel_x", "Sobel x"),
    ("sobel_y", "Sobel y"),
    ("laplacian", "Laplacian"),
    ("gaussian", "Gaussian"),
    ("box", "Box (mean)"),
)
FILL_LABELS = {f[0]: f[1] for f in FILLS if f is not None}

_KERNELS = {
    "sobel_x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float),
    "sobel_y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float),
    "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float),
}


def _centred(kernel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``kernel`` placed at the centre of a zero array of ``shape`` (cropped if larger)."""
    out = np.zeros(shape)
    kh, kw = kernel.shape
    h, w = shape
    # overlap along each axis, centred on both sides
    rs, rk = max(0, (h - kh) // 2), max(0, (kh - h) // 2)
    cs, ck = max(0, (w - kw) // 2), max(0, (kw - w) // 2)
    n_r, n_c = min(h, kh), min(w, kw)
    out[rs : rs + n_r, cs : cs + n_c] = kernel[rk : rk + n_r, ck : ck + n_c]
    return out


def _gaussian(shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    y = np.arange(h) - (h - 1) / 2
    x = np.arange(w) - (w - 1) / 2
    sy, sx = max(h / 4, 0.5), max(w / 4, 0.5)
    g = np.exp(-(y[:, None] ** 2) / (2 * sy**2) - x[None, :] ** 2 / (2 * sx**2))
    return np.round(g / g.sum(), 4)


def _plane(kind: str, shape: tuple[int, int]) -> np.ndarray:
    """One 2D slice of a spatial pattern."""
    if kind == "delta":
        out = np.zeros(shape)
        out[(shape[0] - 1) // 2, (shape[1] - 1) // 2] = 1.0
        return out
    if kind in _KERNELS:
        return _centred(_KERNELS[kind], shape)
    if kind == "gaussian":
        return _gaussian(shape)
    if kind == "box":
        return np.full(shape, np.round(1.0 / (shape[0] * shape[1]), 4))
    raise ValueError(f"unknown fill {kind!r}; known: {', '.join(FILL_LABELS)}")


def fill_values(kind: str, shape: tuple[int, ...], dtype: np.dtype | str, seed: int = 0):
    """Values of fill ``kind`` for a block of ``shape``.

    Spatial patterns (delta, kernels) fill every 2D slice over the last two axes; a 1D
    shape is treated as a column. Random values are seeded and rounded to 2 decimals.
    """
    dtype = np.dtype(dtype)
    if kind == "zeros":
        out = np.zeros(shape)
    elif kind == "ones":
        out = np.ones(shape)
    elif kind == "arange":
        out = np.arange(int(np.prod(shape)), dtype=float).reshape(shape)
    elif kind == "random":
        out = random_normal(np.random.default_rng(seed), shape, dtype)
    else:
        plane_shape = (shape[-2], shape[-1]) if len(shape) >= 2 else (shape[0], 1)
        plane = _plane(kind, plane_shape)
        out = np.broadcast_to(plane if len(shape) >= 2 else plane[:, 0], shape)
    return np.array(out, dtype=dtype)


# -- clipboard ---------------------------------------------------------------------------
_SPLIT = re.compile(r"[\t,;]+|\s+")
_LITERAL_SPLIT = re.compile(r"[,\s]+")
_LITERAL_TOKEN = re.compile(r"[\[\]()]|[^\[\]()]+")
_CLOSING = {"[": "]", "(": ")"}
#: The most text a paste parses: a 512 × 512 slice at 16 characters a number fits.
MAX_PASTE_CHARS = 4 * 2**20
_NOT_A_LIST = "not a list of numbers (e.g. [[1, 2], [3, 4]])"


def parse_number(text: str) -> complex | float:
    """A single number typed by a user: ``-0.5``, ``1e-3``, ``2+3j``, ``inf``; never code."""
    t = text.strip().replace("−", "-").replace(" ", "")
    if not t:
        raise ValueError("empty value")
    try:
        return float(t)
    except ValueError:
        pass
    try:
        return complex(t.replace("i", "j") if "j" not in t else t)
    except ValueError:
        raise ValueError(f"not a number: {text.strip()!r}") from None


def _numbers(items: list[str]) -> np.ndarray:
    """The numbers in ``items``: numpy converts plain floats in bulk; anything else (complex,
    a typographic minus) goes through `parse_number` one by one."""
    try:
        return np.array(items, dtype=np.float64)
    except ValueError:
        return np.array([parse_number(c) for c in items])


@dataclass(frozen=True, eq=False)
class _Run:
    """Numbers side by side in a literal (a run between brackets, not a nested list)."""

    values: np.ndarray


def _literal(text: str) -> np.ndarray | list:
    """A nested list/tuple literal of numbers, parsed in one pass (never evaluated): each
    run of numbers between brackets becomes one array, converted in bulk."""
    opened: list[str] = []
    levels: list[list] = [[]]
    for match in _LITERAL_TOKEN.finditer(text):
        token = match.group()
        if token in _CLOSING:
            opened.append(token)
            levels.append([])
        elif token in ")]":
            if not opened or _CLOSING[opened.pop()] != token:
                raise ValueError(_NOT_A_LIST)
            items = levels.pop()
            runs = [i for i in items if isinstance(i, _Run)]
            if runs and len(runs) != len(items):
                raise ValueError("the rows of the pasted list have different lengths")
            levels[-1].append(np.concatenate([r.values for r in runs]) if runs else items)
        else:
            cells = [c for c in _LITERAL_SPLIT.split(token) if c]
            if cells:
                if len(levels) == 1:
                    raise ValueError(_NOT_A_LIST)  # numbers outside the brackets
                levels[-1].append(_Run(_numbers(cells)))
    if opened or len(levels[0]) != 1:
        raise ValueError(_NOT_A_LIST)
    return levels[0][0]


def parse_block(text: str) -> np.ndarray:
    """A 2D block of numbers from pasted text.

    Accepts a Python/NumPy-style literal (``[[1, 2], [3, 4]]``, ``[1, 2, 3]``, ``5``) or
    rows of numbers separated by tabs, commas, semicolons or spaces, one row per line.
    Returns float64 or complex128, shape (rows, cols). Raises ValueError with a reason; text
    longer than `MAX_PASTE_CHARS` is refused before it is read. The cost is proportional to
    the text (a one-pass parser; numbers converted in bulk).
    """
    if len(text) > MAX_PASTE_CHARS:
        raise ValueError(f"the clipboard holds {len(text):,} characters, over the paste limit "
                         f"of {MAX_PASTE_CHARS:,}; paste a smaller block, or import a .npy")
    t = text.strip()
    if not t:
        raise ValueError("the clipboard holds no numbers")
    if t[0] in "[(":
        value = _literal(t)
        try:
            a = np.array(value)
        except ValueError:
            raise ValueError("the rows of the pasted list have different lengths") from None
    else:
        rows = [r for r in t.splitlines() if r.strip()]
        cells = [[c for c in _SPLIT.split(r.strip()) if c] for r in rows]
        if len({len(r) for r in cells}) != 1:
            raise ValueError("the pasted rows have different numbers of values")
        a = np.array([_numbers(r) for r in cells])
    if a.dtype.kind not in "biufc":
        raise ValueError("the pasted values are not all numbers")
    while a.ndim > 2 and a.shape[0] == 1:
        a = a[0]
    if a.ndim > 2:
        raise ValueError(f"a pasted block must be 2D; this one has shape {a.shape}")
    a = np.atleast_2d(a)
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def format_number(v: complex | float, digits: int = 6) -> str:
    """Shortest text that reads back as (about) ``v``; complex as ``a+bj``."""
    if isinstance(v, complex) or np.iscomplexobj(v):
        v = complex(v)
        return f"{v.real:.{digits}g}{v.imag:+.{digits}g}j"
    return f"{float(v):.{digits}g}"


def format_block(a: np.ndarray) -> str:
    """Tab-separated rows (what spreadsheets paste), 2D or 1D (one column)."""
    a = np.asarray(a)
    if a.ndim == 1:
        a = a[:, None]
    return "\n".join("\t".join(format_number(v) for v in row) for row in a)
