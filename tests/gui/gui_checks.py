"""Assertions shared by the GUI tests."""

from __future__ import annotations

import numpy as np

from core.conv import compute


def assert_results_match_core(window, rtol: float = 1e-12) -> None:
    """Every result grid shows what core.compute gives for the document's session."""
    s = window.document.session
    ref = compute(s.spec, s.input, s.weight, s.bias, s.grad_output)
    latest = window.engine.latest
    assert latest is not None and latest.session is s, "the results are not for this session"
    for name in ("output", "grad_input", "grad_weight", "grad_bias"):
        want = getattr(ref, name)
        shown = window.grids.grids[name].array
        if want is None:
            assert shown is None, name
            continue
        assert shown.shape == want.shape, name
        np.testing.assert_allclose(shown, want, rtol=rtol, atol=1e-12, err_msg=name)


def svg_is_valid(data: bytes) -> bool:
    """Whether Qt can read ``data`` back as an SVG."""
    from PySide6.QtCore import QByteArray
    from PySide6.QtSvg import QSvgRenderer

    return QSvgRenderer(QByteArray(data)).isValid()


def cell_pos(grid, r: int, c: int):
    """Viewport position (QPoint) of the centre of real cell (r, c) of a grid's shown slice."""
    from PySide6.QtCore import QPointF

    top, left = grid.offset
    scene = grid.vb.mapViewToScene(QPointF(c + left + 0.5, r + top + 0.5))
    return grid.view.mapFromScene(scene)


def marked_rows(panel) -> set[str]:
    """The rows drawn invalid; every widget in a row says the same as its row."""
    from PySide6.QtWidgets import QWidget

    marked = set()
    for row in panel.findChildren(QWidget):
        if row.property("role") != "fieldRow":
            continue
        bad = bool(row.property("invalid"))
        for child in row.findChildren(QWidget):
            assert bool(child.property("invalid")) == bad, (row.objectName(), child.objectName())
        if bad:
            marked.add(row.objectName().removeprefix("row_"))
    return marked


def settle(qtbot, window, size: tuple[int, int] | None = None) -> None:
    """Resize ``window`` to ``size`` (if given) and let its layout and deferred fits run."""
    from PySide6.QtWidgets import QApplication

    if size is not None:
        window.resize(*size)
    for _ in range(3):
        QApplication.processEvents()
    qtbot.wait(10)


def marks_in_view(page, plot, current: bool, slack: float = 0.0) -> bool:
    """Whether ``plot``'s marked (``current``: the current term's) cells lie wholly in the
    scrolled viewport of its im2col page (both ways), give or take ``slack`` pixels."""
    from PySide6.QtCore import QRectF

    rect = plot.marked_rect(current)
    assert rect is not None, plot.name
    area = QRectF(page.graphics.mapFromScene(rect).boundingRect())
    left, top = page.horizontalScrollBar().value(), page.verticalScrollBar().value()
    view = page.viewport()
    return (left - slack <= area.left() and area.right() <= left + view.width() + slack
            and top - slack <= area.top() and area.bottom() <= top + view.height() + slack)
