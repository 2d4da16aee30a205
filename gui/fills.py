"""Fill patterns for a grid's context menu, and parsing/formatting of pasted blocks.

Pure numpy, no Qt: the values a user asks for (zeros, ones, seeded random normal, arange, a
delta, classic 3×3 kernels) and the text they paste. Parsing never evaluates code: a
literal like ``[[1, 2], [3, 4]]`` is read by a small one-pass parser of brackets and
numbers, anything else is split into numbers; text over `MAX_PASTE_CHARS` is refused.
The kernels have a Conv1d's and a Conv3d's forms too (one and three spatial axes).
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

_SMOOTH, _DERIVATIVE, _SECOND = np.array([1.0, 2.0, 1.0]), np.array([-1.0, 0.0, 1.0]), \
    np.array([1.0, -2.0, 1.0])


def _sobel(axis: int, dims: int) -> np.ndarray:
    """Sobel's kernel on ``dims`` axes: the derivative along ``axis`` (-1: columns, x;
    -2: rows, y), smoothing [1, 2, 1] along the others (in 2D the classic 3×3)."""
    out = np.ones((1,) * dims)
    for a in range(dims):
        v = _DERIVATIVE if a == dims + axis else _SMOOTH
        out = out * v.reshape([-1 if i == a else 1 for i in range(dims)])
    return out


def _laplacian(dims: int) -> np.ndarray:
    """The discrete Laplacian on ``dims`` axes ([1, −2, 1]; the 3×3 cross; the 3×3×3 one)."""
    out = np.zeros((3,) * dims)
    for a in range(dims):
        index = [1] * dims
        index[a] = slice(None)
        out[tuple(index)] += _SECOND
    return out


def _centred(kernel: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``kernel`` placed at the centre of a zero array of ``shape`` (cropped if larger)."""
    out = np.zeros(shape)
    dst, src = [], []
    for k, n in zip(kernel.shape, shape, strict=True):
        # overlap along each axis, centred on both sides
        start, skip, size = max(0, (n - k) // 2), max(0, (k - n) // 2), min(n, k)
        dst.append(slice(start, start + size))
        src.append(slice(skip, skip + size))
    out[tuple(dst)] = kernel[tuple(src)]
    return out


def _gaussian(shape: tuple[int, ...]) -> np.ndarray:
    g = np.ones(())
    for n in shape:
        x = np.arange(n) - (n - 1) / 2
        g = np.multiply.outer(g, np.exp(-(x**2) / (2 * max(n / 4, 0.5) ** 2)))
    return np.round(g / g.sum(), 4)


#: Patterns that need two spatial axes (a Conv1d's positions have no rows to take y along).
PLANAR = ("sobel_y",)


def _pattern(kind: str, shape: tuple[int, ...]) -> np.ndarray:
    """A spatial pattern over ``shape`` (one, two or three spatial axes)."""
    dims = len(shape)
    if kind == "delta":
        out = np.zeros(shape)
        out[tuple((n - 1) // 2 for n in shape)] = 1.0
        return out
    if kind == "sobel_x":
        return _centred(_sobel(-1, dims), shape)
    if kind == "sobel_y":
        if dims < 2:
            raise ValueError("Sobel y needs rows and columns: a Conv1d has positions only")
        return _centred(_sobel(-2, dims), shape)
    if kind == "laplacian":
        return _centred(_laplacian(dims), shape)
    if kind == "gaussian":
        return _gaussian(shape)
    if kind == "box":
        return np.full(shape, np.round(1.0 / int(np.prod(shape)), 4))
    raise ValueError(f"unknown fill {kind!r}; known: {', '.join(FILL_LABELS)}")


def fill_axes(spec, scope: str) -> int:
    """The spatial axes a pattern filling ``scope`` ('selection', 'slice', 'tensor') of a
    grid of layer ``spec`` lies on: a Conv1d strip's positions (its rows are channels), a
    plane, or all of a Conv3d tensor's depth, rows and columns."""
    dims = 2 if spec is None else spec.dims
    if dims == 1:
        return 1
    return 3 if dims == 3 and scope == "tensor" else 2


def fill_values(kind: str, shape: tuple[int, ...], dtype: np.dtype | str, seed: int = 0,
                spatial: int = 2):
    """Values of fill ``kind`` for a block of ``shape``.

    Spatial patterns (delta, kernels) fill every slice over the last ``spatial`` axes (2: a
    plane; 1: a Conv1d's positions, each channel alike; 3: a Conv3d kernel's depth, rows and
    columns); a 1D shape is treated as a column. Random values are seeded and rounded to 2
    decimals.
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
    elif len(shape) == 1:  # the bias: a column
        out = _pattern(kind, (shape[0], 1))[:, 0] if spatial >= 2 else _pattern(kind, shape)
    else:
        axes = min(spatial, len(shape))
        out = np.broadcast_to(_pattern(kind, tuple(shape[-axes:])), shape)
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
