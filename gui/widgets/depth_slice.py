"""DepthSlice: one slice of a `DepthStrip` — its label and a small heatmap of its own, with
the grid's highlights placed on it; a click picks a cell and a hover names it, through the
strip (`DepthStrip.picked`, `DepthStrip.hovered`).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from .grid_marks import GridMarks, Placement
from .heatmap_view import HeatmapView
from .slice_plane import SlicePlane

LABEL_H = 15  # pixels of a slice's depth label


class DepthSlice(QWidget):
    """One depth slice: its label and a small heatmap with its own highlight layers."""

    def __init__(self, strip) -> None:
        super().__init__(strip)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        self.label = QLabel("", objectName="depthLabel")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setFixedHeight(LABEL_H)
        self.view = HeatmapView(scrub_wheel=False)
        self.view.small = True
        # neither the plot's least size nor a long label ('d = 0 · window only') may hold the
        # strip wider than its grid (four slices in a row widened the window past 1280 px)
        self.view.setMinimumSize(1, 1)
        self.label.setMinimumWidth(1)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        # one colour scale: the grid's, on its own plane. Hidden and squeezed, not removed
        # (a removed bar, parentless, keeps a stray top-level widget alive after the grid)
        self.view.colorbar.setVisible(False)
        self.view.colorbar.setMaximumWidth(0)
        self.view.ci.layout.setColumnMaximumWidth(1, 0)
        self.view.ci.layout.setContentsMargins(0, 0, 0, 0)  # every pixel to the cells
        self.view.ci.layout.setHorizontalSpacing(0)
        box.addWidget(self.label)
        box.addWidget(self.view, 1)
        self.marks = GridMarks(self.view.vb)
        self.plane: SlicePlane | None = None
        self.depth = 0  # in the grid's lead coordinates (padded for the input)
        self.real = self.source = 0  # its depth in the tensor, and the slice drawn there
        self.shape: tuple[int, int] = (1, 1)
        self.where: Placement | None = None  # the slice's place, for the grid's marks
        self.view.vb.sigResized.connect(self._on_vb_sigResized)
        self.view.vb.clicked.connect(self._on_vb_clicked)
        self.view.vb.hovered.connect(self._on_vb_hovered)
        self._strip = strip

    def _on_vb_sigResized(self, _vb) -> None:
        self.fit()
        self._strip.say_rounding_soon()  # (the digits that print at the size the layout gave)

    def fit(self) -> None:
        # a Conv1d's strip crops itself around the sum (`HeatmapView.set_strip`)
        self.view.fit(self.shape, True, None if self.view.vb.strip else self._strip.region)

    def _cell(self, pos: QPointF | None) -> tuple[int, ...] | None:
        if pos is None or self.plane is None:
            return None
        r, c = int(np.floor(pos.y())), int(np.floor(pos.x()))
        if not (0 <= r < self.shape[0] and 0 <= c < self.shape[1]):
            return None
        return self.plane.real_index(r, c)

    def _on_vb_clicked(self, pos: QPointF, _modifiers, _double: bool) -> None:
        index = self._cell(pos)
        if index is not None:
            self._strip.picked(index)

    def _on_vb_hovered(self, pos: QPointF | None) -> None:
        text = ""
        if pos is not None and self.plane is not None:
            text = self.plane.describe(int(np.floor(pos.y())), int(np.floor(pos.x())),
                                       self._strip.symbol)
        self._strip.hovered(self._cell(pos), text)
