"""Figures: the whole window or one panel as a PNG image or an SVG drawing.

PNG is what the screen shows (``QWidget.grab``). SVG goes through pyqtgraph's own
``SVGExporter`` when the panel is a single pyqtgraph view and that exporter can do it;
otherwise, and whenever it fails (pyqtgraph 0.14's exporter cannot parse the closed paths
Qt 6 writes, pyqtgraph#3495), Qt's ``QSvgGenerator`` records the widget's painting: text,
lines and cells stay vectors, heatmaps are embedded as images. Files are written
atomically; failures raise `core.io.atomic.WriteError`. A panel not on screen (another tab
showing) is refused: it would come out blank. A widget may name the parts a figure of it draws
(``figure_parts``: the im2col view's header, then its page at full size, not the viewport it
is scrolled in).
"""

from __future__ import annotations

import logging
import math
import os
import re
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontInfo, QImage, QPainter, QPixmap, QRegion
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget

from core.io.atomic import atomic_write_bytes

log = logging.getLogger(__name__)
FORMATS = {".png": "PNG image", ".svg": "SVG drawing"}
FILTER = "PNG image (*.png);;SVG drawing (*.svg)"


def figure_format(path: str | os.PathLike[str], chosen_filter: str = "") -> str:
    """'.png' or '.svg' from the file name, else from the dialog's filter, else '.png'."""
    suffix = Path(path).suffix.lower()
    if suffix in FORMATS:
        return suffix
    return ".svg" if "svg" in chosen_filter.lower() else ".png"


def _parts(widget: QWidget) -> list[tuple[QWidget, QRect]]:
    """What a figure of ``widget`` draws, top to bottom: (widget, its area) pairs."""
    parts = getattr(widget, "figure_parts", None)
    return parts() if parts is not None else [(widget, widget.rect())]


def _size(parts: list[tuple[QWidget, QRect]]) -> QSize:
    return QSize(max(rect.width() for _, rect in parts), sum(r.height() for _, r in parts))


def _grab(widget: QWidget) -> QPixmap:
    parts = _parts(widget)
    if len(parts) == 1:
        return parts[0][0].grab(parts[0][1])
    pixmaps = [part.grab(rect) for part, rect in parts]
    ratio = pixmaps[0].devicePixelRatio()
    pixmap = QPixmap(_size(parts) * ratio)
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.white)
    painter = QPainter(pixmap)
    top = 0
    for (_, rect), part in zip(parts, pixmaps, strict=True):
        painter.drawPixmap(QPoint(0, top), part)
        top += rect.height()
    painter.end()
    return pixmap


def png_bytes(widget: QWidget) -> bytes:
    """``widget`` as it looks on screen, PNG-encoded."""
    pixmap = _grab(widget)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if pixmap.isNull() or not pixmap.save(buffer, "PNG"):
        raise ValueError(f"cannot render {widget.objectName() or 'the panel'} as an image "
                         f"(size {widget.width()}×{widget.height()})")
    return bytes(buffer.data())


def _pyqtgraph_view(widget: QWidget):
    """The pyqtgraph view that is ``widget``, or its only one (a tensor grid), or None."""
    import pyqtgraph as pg

    if isinstance(widget, pg.GraphicsView):
        return widget
    views = widget.findChildren(pg.GraphicsView)
    return views[0] if len(views) == 1 else None


def _pyqtgraph_svg(widget: QWidget) -> bytes | None:
    view = _pyqtgraph_view(widget) if len(_parts(widget)) == 1 else None
    if view is None:
        return None
    from pyqtgraph.exporters import SVGExporter

    try:
        return SVGExporter(view.scene()).export(toBytes=True)
    except Exception as e:  # pyqtgraph's exporter is fragile; Qt's generator always works
        log.info("pyqtgraph's SVG exporter failed (%s: %s); using QSvgGenerator",
                 type(e).__name__, e)
        return None


def _qt_svg(widget: QWidget, title: str) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    parts = _parts(widget)
    size = _size(parts)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(size)
    generator.setResolution(widget.logicalDpiY())  # point-size fonts as large as on screen
    generator.setViewBox(QRect(QPoint(0, 0), size))
    generator.setTitle(title)
    generator.setDescription("Exported from ConvViz")
    painter = QPainter(generator)
    try:
        top = 0
        for part, rect in parts:
            # (QWidget's render: QGraphicsView's own one renders its scene, no frame)
            QWidget.render(part, painter, QPoint(0, top), QRegion(rect))
            top += rect.height()
    finally:
        painter.end()
    from .diagram_paint import pixel_size

    return portable(pixel_size(bytes(buffer.data()), size))


_GROUP = re.compile(rb'(<g [^>]*?stroke-width=")([0-9.eE+-]+)("[^>]*?'
                    rb'transform="matrix\(([^)]*)\)"[^>]*>)(.*?</g>)', re.S)


def portable(svg: bytes) -> bytes:
    """Qt's SVG as other renderers draw it too: librsvg and resvg ignore
    ``vector-effect="non-scaling-stroke"`` (a cosmetic pen) and would scale a 2 px outline
    in a grid's cell units into a solid block, so the width is divided by the group's scale
    here; a heatmap's image is enlarged without smoothing (`_sharp_image`); a generic
    family such as "Sans Serif" is written as the font Qt resolved it to (a renderer's own
    default may be a font this machine lacks: no text at all); an empty path, which Qt
    writes but cannot read back ("invalid path data"), is left out."""

    def fix(m: re.Match) -> bytes:
        if b"non-scaling-stroke" not in m.group(5):
            return m.group(0)
        a, b, c, d = (float(v) for v in m.group(4).split(b",")[:4])
        scale = math.sqrt(abs(a * d - b * c)) or 1.0

        def shrink(text: bytes) -> bytes:
            return b",".join(f"{float(v) / scale:.6g}".encode() for v in text.split(b","))

        tag = m.group(1) + shrink(m.group(2)) + m.group(3)
        tag = re.sub(rb'(stroke-dasharray=")([^"]*)(")',
                     lambda t: t.group(1) + shrink(t.group(2)) + t.group(3), tag)
        return tag + m.group(5)

    svg = _GROUP.sub(fix, svg)
    svg = _IMAGE.sub(_sharp_image, svg)
    svg = re.sub(rb'<path [^>]*\bd=""[^>]*/>\n?', b"", svg)
    for generic in set(re.findall(rb'font-family="([^"]*)"', svg)):
        real = QFontInfo(QFont(generic.decode())).family().encode()
        if real and real != generic:
            svg = svg.replace(b'font-family="%s"' % generic, b'font-family="%s"' % real)
    return svg


_IMAGE = re.compile(rb'(<image [^>]*?xlink:href="data:image/png;base64,)([A-Za-z0-9+/=]+)(")')
#: A heatmap embedded at one pixel a cell is enlarged to about this many pixels a side.
SHARP_SIDE = 1024
_HEATMAP_MOST = 256  # pixels a side: larger images are pictures, left as they are


def _sharp_image(m: re.Match) -> bytes:
    """A heatmap's image (one pixel a cell) enlarged without smoothing: renderers stretch an
    embedded image smoothly whatever ``image-rendering`` says (librsvg 2.54 ignores it), and
    a 3 × 3 weight came out as one blur, its colours across the cells' borders."""
    image = QImage.fromData(QByteArray.fromBase64(m.group(2)), "PNG")
    side = max(image.width(), image.height())
    factor = SHARP_SIDE // side if not image.isNull() and 0 < side <= _HEATMAP_MOST else 0
    if factor < 2:
        return m.group(0)
    big = image.scaled(image.width() * factor, image.height() * factor,
                       Qt.AspectRatioMode.IgnoreAspectRatio,
                       Qt.TransformationMode.FastTransformation)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    big.save(buffer, "PNG")
    return m.group(1) + bytes(buffer.data().toBase64()) + m.group(3)


def svg_bytes(widget: QWidget, title: str = "ConvViz") -> bytes:
    """``widget`` as an SVG document (see the module docstring for which exporter)."""
    return _pyqtgraph_svg(widget) or _qt_svg(widget, title)


def export_figure(widget: QWidget, path: str | os.PathLike[str], fmt: str | None = None,
                  title: str = "ConvViz") -> Path:
    """Write ``widget`` to ``path`` as PNG or SVG (``fmt`` '.png'/'.svg', else the suffix).

    Raises
    ------
    WriteError
        When the file cannot be written (nothing partial is left).
    ValueError
        When the widget cannot be rendered (zero size, or not on screen).
    """
    if not widget.isVisible():  # (a hidden tab's panel renders blank: 640×480, empty)
        name = widget.accessibleName() or "the panel"
        raise ValueError(f"{name} is not on screen (another tab is showing): show its tab "
                         "first")
    path = Path(path)
    fmt = fmt or figure_format(path)
    data = svg_bytes(widget, title) if fmt == ".svg" else png_bytes(widget)
    atomic_write_bytes(path, data)
    return path
