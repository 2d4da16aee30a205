"""The im2col matrices' row labels fit their axis from the first frame: a Conv3d's "0,1,2"
positions and "d,h" image rows were drawn as "0", "2" (review r11 #6)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetricsF

from core.io.presets import load_preset
from gui.selection import Selection


@pytest.mark.parametrize("preset, entry", [("conv3d_basic", ("output", (0, 0, 1, 1, 1))),
                                           ("conv_transpose3d", ("output", (0, 0, 1, 2, 3)))])
def test_every_row_label_fits_its_axis(make_window, qtbot, preset, entry):
    window = make_window(load_preset(preset))
    window.tabs.setCurrentWidget(window.im2col)
    window.selection.set_selection(Selection(*entry, step=0))
    qtbot.wait(20)  # the layouts take the axes' widths
    labelled = 0
    for plot in window.im2col.plots.values():
        if plot.array is None:
            continue
        axis = plot.axes[1]
        font = axis.style.get("tickFont") or axis.font()
        label = axis.labeler or str
        rows = plot.array.shape[0]
        widest = max(QFontMetricsF(font).horizontalAdvance(label(i)) for i in range(rows))
        assert axis.width() >= widest + axis.style["tickTextOffset"][0], plot.name
        labelled += axis.labeler is not None and "," in label(rows - 1)
    assert labelled >= 2  # "d,h,w" positions and "d,h" image rows among them
