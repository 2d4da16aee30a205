"""A Conv3d's three boxes per row show their values whole at the Layer panel's narrowest
(the dock at 1280×800 is that narrow): the input row's long label took 40 px from its boxes
and a 1000-long depth showed as "100"."""

from __future__ import annotations

from PySide6.QtWidgets import QSpinBox

from core.spec import LayerSpec
from gui.widgets.layer_panel import LayerPanel


def test_three_boxes_show_their_values_whole_at_the_narrowest_panel(qtbot):
    panel = LayerPanel()
    qtbot.addWidget(panel)
    panel.set_spec(LayerSpec(2, 2, 2, dims=3, input_size=(3, 4, 4), padding_mode="circular"))
    panel.show()
    panel.resize(panel.minimumSizeHint().width(), panel.sizeHint().height())
    for spin, value in ((panel.input_d, 1000), (panel.padding_h, -100), (panel.kernel_w, 999),
                        (panel.stride_w, 9999), (panel.dilation_d, 999)):
        spin.setValue(value)
    qtbot.wait(1)
    label = panel._forms["input_size"].labelForField(panel._rows["input_size"])
    assert label.text() == "input\nD × H × W"
    for spin in panel.findChildren(QSpinBox):
        if spin.isVisible():
            edit = spin.lineEdit()
            need = edit.fontMetrics().horizontalAdvance(spin.text())
            assert need + 4 <= edit.width(), (spin.objectName(), spin.text(), edit.width())
