"""The Presets menu groups the presets by kind of layer under headers (review r12 F14: by id
alone Causal Conv1d came second and the ConvTranspose2d ones last, 1D/2D/3D interleaved),
each kind's in a lesson's order (the presets' "order")."""

from __future__ import annotations

from core.io.presets import list_presets, load_preset
from gui.widgets.presets_menu import PresetsMenu


def _layout(menu: PresetsMenu) -> list[tuple[str, list[str]]]:
    """(header, preset ids) in menu order; '' for the entries before the first header."""
    out: list[tuple[str, list[str]]] = [("", [])]
    for action in menu.actions():
        if action.isSeparator():
            continue
        if action.data():
            out[-1][1].append(action.data())
        else:
            assert not action.isEnabled() and action.font().bold()  # a heading
            out.append((action.text(), []))
    return out


def test_presets_are_grouped_by_kind_of_layer(qtbot):
    menu = PresetsMenu()
    qtbot.addWidget(menu)
    menu.fill()
    layout = _layout(menu)
    assert layout[0] == ("", ["default"])
    headers = [h for h, _ in layout[1:]]
    assert headers == ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
                       "ConvTranspose3d"]
    for header, names in layout[1:]:
        assert names, header
        for name in names:
            spec = load_preset(name).spec
            assert header == f"{'ConvTranspose' if spec.transposed else 'Conv'}{spec.dims}d"
    sections = dict(layout)
    assert sections["Conv1d"] == ["conv1d_basic", "causal_conv1d"]
    # a lesson's order: one multiply, a known filter, its picture, then the arguments
    assert sections["Conv2d"][:4] == ["seed002_pointwise", "sobel_edges", "sobel_image",
                                      "strided_dilated"]
    assert sections["ConvTranspose2d"][0] == "transposed_unit_stride"
    assert sections["ConvTranspose2d"][-1] == "transposed_vs_conv2d"
    assert sorted(menu.names()) == sorted(p.name for p in list_presets())
    menu.load("conv3d_basic")  # loading by id is unchanged
