"""Lays out a `gui.diagram.Diagram`: where each panel, its cells, numbers and titles, the
operators between panels and the text lines go, at scale 1 (`gui.diagram_paint` paints it).

Each panel gets its own cell size (a 3×3 kernel stays readable beside a 128×128 input), its
values the most precise format that fits a cell, row and column numbers when cells are big
enough. The picture is as large as its content plus `PAD` pixels: no blank margins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontInfo, QFontMetricsF

from .diagram import Diagram, Panel
from .equation import cell_number, trimmed

PAD = 4  # around the whole picture: the only margin
CELL = 50  # the largest cell; big planes get smaller cells (down to MIN_CELL)
MIN_CELL = 6
MAX_GRID = 560  # a plane's longest side at most this many pixels
OP_W = 40  # the column of an operator between two tensors
GAP_Y = 14  # between rows and before the text lines
GUTTER = 20  # room for row / column numbers


def _font(px: float, bold: bool = False, italic: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(max(1, round(px)))
    f.setBold(bold)
    f.setItalic(italic)
    # the family Qt actually uses, by name: an SVG reader looks the name up itself
    f.setFamily(QFontInfo(f).family())
    return f


@dataclass(frozen=True)
class Fonts:
    """The faces of one panel (its cell size sets the size of its numbers)."""

    title: QFont
    sub: QFont
    cell: QFont
    cell_muted: QFont
    index: QFont
    op: QFont
    line: QFont
    note: QFont

    @classmethod
    def make(cls, cell: float) -> Fonts:
        size = min(13.0, max(8.0, cell * 0.3))
        return cls(_font(15, bold=True), _font(12), _font(size), _font(size, italic=True),
                   _font(11), _font(24), _font(14), _font(12, italic=True))


@dataclass(frozen=True)
class PanelBox:
    """Where one panel goes and what it prints."""

    panel: Panel
    x: float  # the panel's left edge
    width: float
    grid: QRectF  # the cells
    texts: list[list[str]] | None  # the printed values, None when they do not fit
    labels: bool  # row / column numbers
    cell: float  # this panel's cell size: a 3×3 kernel stays readable beside a 128×128 input
    fonts: Fonts


@dataclass(frozen=True)
class Layout:
    """Where everything goes: the boxes of each row, operator positions, text lines."""

    size: QSize  # at scale 1, whole pixels
    rows: list[tuple[list[PanelBox], list[tuple[str, QPointF]], float]]  # boxes, ops, title y
    lines: list[tuple[str, QPointF, QFont]]
    fonts: Fonts


def _cell_size(p: Panel) -> float:
    longest = max(p.values.shape) if p.values.size else 1
    return float(max(MIN_CELL, min(CELL, MAX_GRID // longest)))


def cell_texts(values: np.ndarray, cell: float, font: QFont) -> list[list[str]] | None:
    """The values in the most precise format whose every text fits a cell; None if none."""
    if values.size == 0 or cell < 16:
        return None
    metrics = QFontMetricsF(font)
    if metrics.height() > cell:
        return None
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    exp = top >= 1e4 or 0 < top < 1e-3
    # no whole-number format: it would print 0.46 as 0 and 0.6 as 1; cells too small for
    # one decimal show colours only (the sum below the picture has the values)
    formats = ("{:.2e}", "{:.1e}", "{:.0e}") if exp else ("{:.3f}", "{:.2f}", "{:.1f}")
    room = cell - 8  # a little air on both sides of the widest number
    for fmt in formats:
        texts = [[cell_number(v, fmt) if math.isfinite(v) else str(v) for v in row]
                 for row in values.tolist()]
        if all(metrics.horizontalAdvance(t) <= room for row in texts for t in row):
            return texts
    return None


def layout(diagram: Diagram, width: float | None = None) -> Layout:
    """Place every part (at scale 1). ``width``: fix the picture's width (GIF frames share
    one), eliding text lines that would be wider; None: as wide as the content."""
    fonts = Fonts.make(CELL)
    fm_title, fm_sub = QFontMetricsF(fonts.title), QFontMetricsF(fonts.sub)
    title_h = math.ceil(fm_title.height() + fm_sub.height() + 4)  # cells on whole pixels
    rows, y, right = [], float(PAD), 0.0
    for panels, ops in diagram.rows:
        boxes, op_pos, x, grid_h = [], [], float(PAD), 0.0
        for i, p in enumerate(panels):
            if i:
                op_pos.append((ops[i - 1], QPointF(x + OP_W / 2, 0)))
                x += OP_W
            r, c = p.values.shape
            cell = _cell_size(p)
            box_fonts = Fonts.make(cell)
            texts = cell_texts(p.values, cell, box_fonts.cell)
            labels = cell >= 16
            gutter = GUTTER if labels else 0
            scale_w = QFontMetricsF(fonts.sub).horizontalAdvance(scale_text(p)) + 2
            w = math.ceil(max(gutter + c * cell, fm_title.horizontalAdvance(p.title) + 2,
                              fm_sub.horizontalAdvance(p.subtitle) + 2, scale_w))
            grid = QRectF(x + gutter, y + title_h + gutter, c * cell, r * cell)
            boxes.append(PanelBox(p, x, w, grid, texts, labels, cell, box_fonts))
            grid_h = max(grid_h, gutter + r * cell)
            x += w
        right = max(right, x)
        mid = y + title_h + grid_h / 2
        op_pos = [(t, QPointF(q.x(), mid)) for t, q in op_pos]
        rows.append((boxes, op_pos, y))
        y += title_h + grid_h + math.ceil(fm_sub.height()) + 4 + GAP_Y
    lines = []
    y -= GAP_Y / 2
    texts = [(t, fonts.line) for t in diagram.lines] + [(t, fonts.note) for t in diagram.notes]
    widest = max((QFontMetricsF(f).horizontalAdvance(t) for t, f in texts), default=0.0)
    if width is None:
        width = max(right, PAD + widest) + PAD
    for text, font in texts:
        fm = QFontMetricsF(font)
        shown = fm.elidedText(text, Qt.TextElideMode.ElideRight, width - 2 * PAD)
        lines.append((shown, QPointF(PAD, y + fm.ascent()), font))
        y += fm.height() + 2
    height = y + PAD if texts else y - GAP_Y / 2 + PAD
    return Layout(QSize(math.ceil(width), math.ceil(height)), rows, lines, fonts)


def scale_text(p: Panel) -> str:
    return f"colour scale ±{trimmed(f'{p.limit:.3g}')}"
