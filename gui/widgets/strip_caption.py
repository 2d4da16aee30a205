"""The words of a depth strip (`depth_strip`): each slice's label, which names its depth
and why it is shown, and the note under the slices for what differs from the Sum panel's
numbers (a crop of the planes, coarser rounding) and the window's depths in zero padding.

A strip shows a slice because the sum reads cells there, or because the current term's
kernel window (a transposed output: the kernel copy the term paints) lies there although
nothing is read there: when both kinds are shown, every label says which ('d = 1 · read',
'd = 0 · window only'). No Qt.
"""

from __future__ import annotations

from ..equation import MINUS
from .strip_fit import shown_columns

#: What the dashed outline on a window-only slice is, by whether the grid is a transposed
#: layer's output (the window grid of a ConvTranspose) or an input.
WINDOW_WORDS = {False: "the current term's kernel window", True: "the kernel copy the "
                "current term paints"}


def listed(axis: str, depths: list[int]) -> str:
    """'d = 0, 2' (minus signs as U+2212)."""
    return f"{axis} = {', '.join(str(d) for d in depths)}".replace("-", MINUS)


def slice_label(axis: str, real: int, source: int, size: int, current: bool,
                why: str = "") -> str:
    """'▶ d = 2' (the grid's depth), 'd = 0 · window only', 'd = −1 (padding: zeros)'."""
    text = f"{'▶ ' if current else ''}{axis} = {real}".replace("-", MINUS)
    if not 0 <= real < size:
        text += " (padding: zeros)" if source < 0 else f" (padding: copies d = {source})"
    return f"{text} · {why}" if why else text


def slice_tip(axis: str, real: int, why: str, painted: bool) -> str:
    """The label's tool tip: why the slice is shown, in a sentence."""
    at = listed(axis, [real])
    if why == "window only":
        return (f"{at} shows only {WINDOW_WORDS[painted]} (dashed): the sum reads nothing "
                "here")
    return f"the sum reads the outlined cells at {at}"


def strip_note(axis: str, zeros: list[int], crop: tuple[int, int, int, int] | None,
               plane: tuple[int, int], rounded: str | None,
               levels: tuple[float, float] | None = None) -> str:
    """The note: ``zeros`` the window's depths in zero padding (not drawn); ``crop``
    (top, left, rows, cols) of the ``plane`` (rows, cols) the slices zoom to; ``rounded``
    the step the numbers are rounded to when coarser than they can be ('0.1'), else None;
    ``levels`` the colour scale's ends when no colour bar shows them. Empty when there is
    nothing to say."""
    parts = []
    if levels is not None:
        parts.append(f"colours {levels[0]:g} to {levels[1]:g}".replace("-", MINUS))
    if zeros:
        parts.append(f"the window also covers {listed(axis, zeros)}: zero padding, which "
                     "adds nothing")
    if crop is not None:
        top, left, rows, cols = crop
        parts.append(f"rows {top}–{top + rows - 1}, cols {left}–{left + cols - 1} of "
                     f"{plane[0]}×{plane[1]}")
    if rounded is not None:
        parts.append(f"rounded to {rounded} (hover: all digits)")
    return " · ".join(parts)


def elsewhere_hint(axis: str, depths: list[int], entry: str) -> str:
    """The line under a grid at a slice the selected ``entry``'s sum does not touch: where
    it does ('output[0,0,1,1,1] reads d = 1, 2, not this slice')."""
    return f"{entry} reads {listed(axis, depths)}, not this slice"


def rounding_step(fmt: str | None, finest: str) -> str | None:
    """'0.1' when cells print in ``fmt`` ('{:.1f}') coarser than ``finest`` ('{:.3f}'),
    the format with the digits the Sum panel's numbers have; None otherwise."""
    if fmt is None or fmt == finest:
        return None
    digits = int(fmt[3:-2])
    if fmt.endswith("e}"):
        return f"{digits + 1} significant digits"
    return "1" if digits == 0 else f"0.{'0' * (digits - 1)}1"


def whole_cells(shown: tuple[float, float, float, float], offset: tuple[int, int],
                real: tuple[int, int]) -> tuple[int, int, int, int]:
    """(top, left, rows, cols) of the real cells wholly inside the view's ``shown`` (top,
    left, bottom, right) in plane coordinates, numbered as the labels number them (less
    the plane's ``offset`` of padding), within the ``real`` (rows, cols)."""
    top, left, bottom, right = shown
    r0, r1 = shown_columns(top - offset[0], bottom - offset[0], real[0], tol=0.02)
    c0, c1 = shown_columns(left - offset[1], right - offset[1], real[1], tol=0.02)
    return r0, c0, max(r1 + 1 - r0, 0), max(c1 + 1 - c0, 0)
