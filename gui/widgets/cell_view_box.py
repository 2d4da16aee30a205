"""CellViewBox: a pyqtgraph ViewBox whose mouse selects, scrubs and hovers cells."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt, Signal


class CellViewBox(pg.ViewBox):
    """A ViewBox whose left button selects and scrubs cells instead of panning.

    Middle-drag pans, right-drag zooms, Ctrl+wheel zooms; plain wheel scrubs when
    ``scrub_wheel`` (editable grids) and zooms otherwise. Positions are in view coordinates
    (cell (r, c) covers [c, c+1] × [r, r+1]).
    """

    clicked = Signal(QPointF, object, bool)  # view pos, modifiers, double
    contextRequested = Signal(QPointF, QPoint)  # view pos, screen pos
    dragged = Signal(QPointF, QPointF, float, object, bool)  # start, now, dy px, mods, finish
    wheeled = Signal(QPointF, float, object)  # view pos, notches, modifiers
    hovered = Signal(object)  # QPointF in view coordinates, or None on leaving
    marksChanged = Signal()  # a highlight layer on the box changed (`GridMarks`)

    def __init__(self, scrub_wheel: bool) -> None:
        super().__init__(invertY=True, lockAspect=True, enableMenu=False, defaultPadding=0.02)
        self.scrub_wheel = scrub_wheel
        #: the cells are a Conv1d strip's (`HeatmapView.set_strip`): its marks route for it
        self.strip = False
        self.setAcceptHoverEvents(True)

    def mouseClickEvent(self, ev) -> None:
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        if ev.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(p, ev.modifiers(), ev.double())
        elif ev.button() == Qt.MouseButton.RightButton:
            self.contextRequested.emit(p, ev.screenPos().toPoint())

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        start = self.mapSceneToView(ev.buttonDownScenePos())
        dy = ev.screenPos().y() - ev.buttonDownScreenPos().y()
        now = self.mapSceneToView(ev.scenePos())
        self.dragged.emit(start, now, dy, ev.modifiers(), ev.isFinish())

    def wheelEvent(self, ev, axis=None) -> None:
        if not self.scrub_wheel or ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().wheelEvent(ev, axis)
            return
        ev.accept()
        self.wheeled.emit(self.mapSceneToView(ev.scenePos()), ev.delta() / 120.0, ev.modifiers())

    def hoverEvent(self, ev) -> None:
        self.hovered.emit(None if ev.isExit() else self.mapSceneToView(ev.scenePos()))
