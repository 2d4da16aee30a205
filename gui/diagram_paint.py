"""Paints a `gui.diagram.Diagram` as laid out by `gui.diagram_layout`: PNG, SVG and the
frames of a GIF.

Everything is drawn as plain rectangles, paths and text with one QPainter, so that the SVG
holds no embedded bitmaps, patterns or blend modes: every renderer (librsvg, resvg, a
browser, Inkscape) draws the same crisp cells as the PNG. Heatmap cells are filled
rectangles, highlights are outlines and translucent fills, the padded border is a lighter
tint with a dashed frame. The picture is as large as its content plus `PAD` pixels: no
blank margins.

Sizes are in pixels at scale 1; ``scale`` multiplies everything (2 for a slide at 2×).
"""

from __future__ import annotations

import math
import re

import numpy as np
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QLineF,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
)
from PySide6.QtSvg import QSvgGenerator

from .diagram import STYLE_ORDER, Diagram, Panel
from .diagram_layout import GUTTER, OP_W, PAD, Fonts, Layout, PanelBox, layout, scale_text
from .widgets.grid_items import colormap
from .widgets.highlight_items import arrow_head

SEAM = 0.5  # how far a cell's fill reaches under its right and lower neighbours
BACKGROUND = QColor("#ffffff")
INK, GREY, MUTED = QColor("#111827"), QColor("#4b5563"), QColor("#6b7280")
#: style -> (outline, width, fill with alpha or None), as the window's highlights
MARKS: dict[str, tuple[str | None, float, tuple[str, int] | None]] = {
    "pending": (None, 0.0, ("#ffffff", 215)),
    "window": ("#1d4ed8", 1.6, None),
    "read": ("#0f766e", 2.0, None),
    "done": (None, 0.0, ("#0f766e", 70)),
    "source": ("#be185d", 1.8, None),
    "write": ("#7c3aed", 2.6, ("#a78bfa", 70)),
    "current": ("#ea580c", 3.2, ("#fb923c", 90)),
}
ARROW = QColor("#be185d")


def _colors(p: Panel) -> np.ndarray:
    """RGBA bytes (rows, cols, 4) of each cell on the diverging map, ±limit."""
    v = np.nan_to_num(p.values, nan=0.0, posinf=p.limit, neginf=-p.limit)
    x = np.clip(0.5 + 0.5 * v / p.limit, 0.0, 1.0)
    rgba = colormap("diverging").map(x.ravel(), mode="byte")
    return np.asarray(rgba, np.uint8).reshape(*p.values.shape, -1)


def paint(painter: QPainter, diagram: Diagram, lay: Layout, scale: float = 1.0) -> None:
    """Paint ``diagram`` as laid out, ``scale`` times its size, from (0, 0)."""
    painter.save()
    painter.scale(scale, scale)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    painter.fillRect(QRectF(0, 0, lay.size.width(), lay.size.height()), BACKGROUND)
    fonts = lay.fonts
    for boxes, ops, top in lay.rows:
        for box in boxes:
            _paint_box(painter, box, top, box.cell, box.fonts)
        painter.setFont(fonts.op)
        painter.setPen(GREY)
        for text, at in ops:
            painter.drawText(QRectF(at.x() - OP_W / 2, at.y() - 20, OP_W, 40),
                             Qt.AlignmentFlag.AlignCenter, text)
    for text, at, font in lay.lines:
        painter.setFont(font)
        painter.setPen(MUTED if font is fonts.note else INK)
        painter.drawText(at, text)
    painter.restore()


def _paint_box(painter: QPainter, box: PanelBox, top: float, cell: float, fonts: Fonts) -> None:
    p, g = box.panel, box.grid
    fm_title = QFontMetricsF(fonts.title)
    painter.setFont(fonts.title)
    painter.setPen(INK)
    painter.drawText(QPointF(box.x, top + fm_title.ascent()), p.title)
    painter.setFont(fonts.sub)
    painter.setPen(GREY)
    painter.drawText(QPointF(box.x, top + fm_title.height() + QFontMetricsF(fonts.sub).ascent()),
                     p.subtitle)
    rows, cols = p.values.shape
    if p.values.size == 0:
        return
    rgba = _colors(p)
    t, left, rr, rc = p.real
    real = np.zeros((rows, cols), bool)
    real[t:t + rr, left:left + rc] = True
    painter.setPen(Qt.PenStyle.NoPen)
    shown = rgba[..., :3].astype(np.int32)
    shown[~real] = (shown[~real] + 255) // 2  # the border: a lighter tint of what it holds
    packed = (shown[..., 0] << 16) | (shown[..., 1] << 8) | shown[..., 2]
    colors = {int(v): QColor.fromRgb(int(v)) for v in np.unique(packed)}
    for r, a, b, v in zip(*(x.tolist() for x in row_runs(packed)), strict=True):
        # one rectangle per run of a colour, a little past the next cell's edge:
        # antialiased neighbours leave no seam
        painter.fillRect(QRectF(g.x() + a * cell, g.y() + r * cell, (b - a) * cell + SEAM,
                                cell + SEAM), colors[v])
    _paint_marks(painter, p, g, cell)
    if box.texts is not None:
        for r in range(rows):
            for c in range(cols):
                lum = rgba[r, c, :3] @ np.array([0.299, 0.587, 0.114]) / 255
                if not real[r, c]:
                    painter.setFont(fonts.cell_muted)
                    painter.setPen(MUTED)
                else:
                    painter.setFont(fonts.cell)
                    painter.setPen(QColor("#ffffff") if lum < 0.5 else INK)
                painter.drawText(QRectF(g.x() + c * cell, g.y() + r * cell, cell, cell),
                                 Qt.AlignmentFlag.AlignCenter, box.texts[r][c])
    frame = QPen(QColor("#9ca3af"), 1.0)
    painter.setPen(frame)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(g)
    if not real.all():
        dashed = QPen(QColor("#374151"), 1.4, Qt.PenStyle.DashLine)
        painter.setPen(dashed)
        painter.drawRect(QRectF(g.x() + left * cell, g.y() + t * cell, rc * cell, rr * cell))
    _paint_links(painter, p.links, g, cell)
    if box.labels:
        painter.setFont(fonts.index)
        painter.setPen(MUTED)
        centre = Qt.AlignmentFlag.AlignCenter
        for c in range(rc):
            painter.drawText(QRectF(g.x() + (left + c) * cell, g.y() - GUTTER, cell, GUTTER),
                             centre, str(c))
        for r in range(rr):
            painter.drawText(QRectF(g.x() - GUTTER, g.y() + (t + r) * cell, GUTTER, cell),
                             centre, str(r))
    painter.setFont(fonts.sub)
    painter.setPen(MUTED)
    painter.drawText(QPointF(box.x, g.bottom() + 4 + QFontMetricsF(fonts.sub).ascent()),
                     scale_text(p))


def row_runs(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal values along each row of 2D ``a``: (row, start, stop, value) arrays."""
    rows, cols = a.shape
    if a.size == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, a.ravel()
    change = np.ones(a.shape, bool)
    change[:, 1:] = a[:, 1:] != a[:, :-1]
    r, start = np.nonzero(change)
    stop = np.full_like(start, cols)
    stop[:-1] = np.where(r[1:] == r[:-1], start[1:], cols)
    return r, start, stop, a[r, start]


def _true_runs(flags: np.ndarray) -> list[tuple[int, int, int]]:
    """(row, start, stop) of each run of True along the rows of 2D ``flags``."""
    row, start, stop, on = row_runs(flags)
    return list(zip(row[on].tolist(), start[on].tolist(), stop[on].tolist(), strict=True))


def _mask_paths(mask: np.ndarray, g: QRectF, cell: float) -> tuple[QPainterPath, QPainterPath]:
    """The cells of ``mask`` as one fill (a rectangle per run of a row: no overlaps, so a
    translucent fill stays even) and their union's outline (the edges between a marked
    and an unmarked cell, merged into runs). Linear in the cells, unlike
    ``QPainterPath.simplified`` on thousands of squares."""
    x0, y0 = g.x(), g.y()
    fill = QPainterPath()
    for r, a, b in _true_runs(mask):
        fill.addRect(QRectF(x0 + a * cell, y0 + r * cell, (b - a) * cell, cell))
    m = np.pad(mask, 1)
    outline = QPainterPath()
    for r, a, b in _true_runs(m[1:, 1:-1] != m[:-1, 1:-1]):  # the edge above row r
        outline.moveTo(x0 + a * cell, y0 + r * cell)
        outline.lineTo(x0 + b * cell, y0 + r * cell)
    for c, a, b in _true_runs((m[1:-1, 1:] != m[1:-1, :-1]).T):  # the edge left of column c
        outline.moveTo(x0 + c * cell, y0 + a * cell)
        outline.lineTo(x0 + c * cell, y0 + b * cell)
    return fill, outline


def _paint_marks(painter: QPainter, p: Panel, g: QRectF, cell: float) -> None:
    for style in STYLE_ORDER:
        cells = p.marks.get(style)
        if cells is None or not len(cells):
            continue
        outline, width, fill = MARKS[style]
        mask = np.zeros(p.values.shape, bool)
        inside = np.all((cells >= 0) & (cells < p.values.shape), axis=1)
        mask[cells[inside, 0], cells[inside, 1]] = True
        area, edges = _mask_paths(mask, g, cell)
        if fill is not None:
            color = QColor(fill[0])
            color.setAlpha(fill[1])
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawPath(area)
        if outline is not None:
            pen = QPen(QColor(outline), width,
                       Qt.PenStyle.DashLine if style == "window" else Qt.PenStyle.SolidLine)
            pen.setCapStyle(Qt.PenCapStyle.SquareCap)  # the runs meet at the corners
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(edges)


def _paint_links(painter: QPainter, links: np.ndarray, g: QRectF, cell: float) -> None:
    pen = QPen(ARROW, 2.0)
    for r0, c0, r1, c1 in links.tolist():
        if (r0, c0) == (r1, c1):
            continue
        a = QPointF(g.x() + (c0 + 0.5) * cell, g.y() + (r0 + 0.5) * cell)
        b = QPointF(g.x() + (c1 + 0.5) * cell, g.y() + (r1 + 0.5) * cell)
        line = QLineF(a, b)
        normal = line.normalVector().unitVector()
        bend = QPointF(normal.dx(), normal.dy()) * min(0.35 * cell, 0.2 * line.length())
        ctrl = line.center() + bend
        path = QPainterPath(a)
        path.quadTo(ctrl, b)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        painter.setBrush(ARROW)
        painter.drawPolygon(arrow_head(ctrl, b, 0.28 * cell))
        painter.drawEllipse(a, 0.08 * cell, 0.08 * cell)


# -- output ------------------------------------------------------------------------------
def scaled_size(lay: Layout, scale: float) -> QSize:
    return QSize(math.ceil(lay.size.width() * scale), math.ceil(lay.size.height() * scale))


def raster(diagram: Diagram, scale: float, width: float | None = None) -> QImage:
    """The diagram at ``scale``, uncropped (as laid out)."""
    lay = layout(diagram, width)
    image = QImage(scaled_size(lay, scale), QImage.Format.Format_RGB32)
    image.fill(BACKGROUND)
    painter = QPainter(image)
    try:
        paint(painter, diagram, lay, scale)
    finally:
        painter.end()
    return image


def ink_rect(image: QImage, pad: int = PAD) -> QRect:
    """The part of ``image`` (RGB32) that is not background, grown by ``pad`` pixels: font
    leading and descents leave blank rows that a layout cannot know about."""
    stride = image.bytesPerLine() // 4
    bits = np.frombuffer(image.constBits(), np.uint32, stride * image.height())
    ink = bits.reshape(image.height(), stride)[:, : image.width()] != BACKGROUND.rgb()
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not rows.size:
        return image.rect()
    left, top = max(int(cols[0]) - pad, 0), max(int(rows[0]) - pad, 0)
    right = min(int(cols[-1]) + pad, image.width() - 1)
    bottom = min(int(rows[-1]) + pad, image.height() - 1)
    return QRect(QPoint(left, top), QPoint(right, bottom))


def to_image(diagram: Diagram, scale: float = 1.0, width: float | None = None,
             crop: QRect | None = None) -> QImage:
    """The diagram as an RGB image, ``scale`` times its natural size, cropped to its ink
    plus `PAD` (or to ``crop``: GIF frames share one)."""
    image = raster(diagram, scale, width)
    return image.copy(crop if crop is not None else ink_rect(image))


def png_bytes(diagram: Diagram, scale: float = 1.0) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not to_image(diagram, scale).save(buffer, "PNG"):
        raise ValueError("cannot encode the diagram as PNG")
    return bytes(buffer.data())


def svg_bytes(diagram: Diagram, scale: float = 1.0, title: str = "ConvViz diagram") -> bytes:
    """The diagram as SVG: rectangles, paths and text only (see the module docstring), the
    same size and crop as `png_bytes`."""
    lay = layout(diagram)
    crop = ink_rect(raster(diagram, scale, None))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(crop.size())
    generator.setViewBox(QRectF(crop))
    generator.setTitle(title)
    generator.setDescription("Exported from ConvViz")
    painter = QPainter(generator)
    try:
        paint(painter, diagram, lay, scale)
    finally:
        painter.end()
    return pixel_size(bytes(QByteArray(buffer.data())), crop.size())


def pixel_size(svg: bytes, size: QSize) -> bytes:
    """The root's width and height in pixels: Qt writes millimetres from the screen's DPI,
    which each renderer converts back at its own (librsvg 90 dpi, resvg none at all)."""
    head, sep, rest = svg.partition(b"viewBox=")
    head = re.sub(rb'width="[^"]*" height="[^"]*"',
                  f'width="{size.width()}" height="{size.height()}"'.encode(), head, count=1)
    return head + sep + rest
