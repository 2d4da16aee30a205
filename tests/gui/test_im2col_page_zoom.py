"""A matrix zoomed with Ctrl+wheel can be put back (review r13 S3): View › Zoom all grids to
fit (Ctrl+0) refitted the tensor grids only, and a zoom-out left cols a small patch in the
middle of its box. Ctrl+0 now refits the im2col matrices too, zooming out stops at the
fitted range, and a zoomed matrix pans to the player's current cell."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QApplication

from core.io.presets import load_preset
from gui.selection import Selection

ENTRY = ("output", (0, 1, 1, 1))


def _settle(qtbot) -> None:
    for _ in range(3):
        QApplication.processEvents()
    qtbot.wait(30)


def _close(a: QRectF, b: QRectF) -> bool:
    return all(abs(x - y) < 1e-6 for x, y in zip(a.getRect(), b.getRect(), strict=True))


def test_ctrl0_refits_a_zoomed_matrix_and_zoom_out_stops_at_the_fit(make_window, qtbot):
    window = make_window(load_preset("seed001_im2col_gradients"))
    window.resize(1280, 800)
    window.selection.set_selection(Selection(*ENTRY, step=5))
    window.tabs.setCurrentIndex(1)
    view = window.im2col
    qtbot.waitUntil(lambda: view.shown("cols", "forward") is not None, timeout=3000)
    _settle(qtbot)
    box = view.plots["forward", "cols"].view
    fitted = box.viewRect()
    box.scaleBy((0.3, 0.3))  # Ctrl+wheel in: columns around the middle
    _settle(qtbot)
    assert box.viewRect().width() < fitted.width() / 2
    # the player steps on: the current cell is panned into view
    for step in (0, 26):
        window.selection.set_selection(Selection(*ENTRY, step=step))
        _settle(qtbot)
        cells = view.plots["forward", "cols"].current_mask.nonzero()
        shown = box.viewRect()
        for r, c in zip(*cells, strict=True):
            assert shown.contains(QRectF(c, r, 1, 1)), (step, r, c, shown)
    box.scaleBy((20.0, 20.0))  # Ctrl+wheel out, far: no further than the fitted range
    _settle(qtbot)
    assert box.viewRect().width() <= fitted.width() + 1e-6
    assert box.viewRect().height() <= fitted.height() + 1e-6
    box.scaleBy((0.3, 0.3))
    window.fit_action.trigger()  # View › Zoom all grids to fit (Ctrl+0)
    _settle(qtbot)
    assert _close(box.viewRect(), fitted), (box.viewRect(), fitted)
