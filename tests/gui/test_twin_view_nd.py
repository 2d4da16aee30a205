"""Explain › Compare for Conv1d and Conv3d (review r11 #2): the tables show the numbers
`core.twin.compare_with_twin` computes, a Conv1d's as channels × positions with the sample
picked by a box, a Conv3d's as one height × width plane picked by sample, channel and depth."""

from __future__ import annotations

import numpy as np

from core.io.presets import load_preset
from core.session import Session
from core.spec import LayerSpec
from core.twin import compare_with_twin
from gui.equation import fmt


def _texts(a: np.ndarray) -> list[list[str]]:
    return [[fmt(v) for v in row] for row in a]


def _open(window):
    window.twin_action.trigger()
    view = window.twin_view
    assert view.isVisible()
    expected = compare_with_twin(window.document.session, window.engine.latest.results)
    return view, expected


def test_compare_a_batched_conv1d_picks_the_sample_and_shows_channels_by_positions(
        make_window):
    spec = LayerSpec(dims=1, in_channels=3, out_channels=2, kernel_size=3, padding=1,
                     input_size=5, batch=2, bias=False)
    window = make_window(Session.default(spec))
    assert window.twin_action.text() == "&Compare with the matching Conv1d / ConvTranspose1d…"
    view, expected = _open(window)
    assert expected.ours_values.shape == (2, 3, 5)  # grad_input (N, C_in, L)
    assert view.sample.isVisible() and view.sample.maximum() == 1
    assert not view.channel.isVisible() and not view.depth.isVisible()
    assert "channels down, positions across" in view.axes_note.text()
    for n in (0, 1):
        view.sample.setValue(n)
        assert view.texts("ours") == _texts(expected.ours_values[n])  # 3 channels × 5
        assert view.texts("theirs") == _texts(expected.theirs_values[n])
    view.close()


def test_compare_a_conv3d_picks_sample_channel_and_depth(make_window):
    window = make_window(load_preset("conv3d_basic"))
    assert window.twin_action.text() == "&Compare with the matching Conv3d / ConvTranspose3d…"
    view, expected = _open(window)
    values = expected.ours_values
    assert values.ndim == 5
    assert view.channel.maximum() == values.shape[1] - 1
    assert view.depth.isVisible() and view.depth.maximum() == values.shape[2] - 1
    for c, d in ((0, 0), (values.shape[1] - 1, values.shape[2] - 1)):
        view.channel.setValue(c)
        view.depth.setValue(d)
        ours = view.texts("ours")
        assert ours and ours == _texts(values[0, c, d])
        assert view.texts("theirs") == _texts(expected.theirs_values[0, c, d])
    view.close()


def test_compare_an_unbatched_conv_transpose1d(make_window):
    spec = LayerSpec(dims=1, in_channels=2, out_channels=3, kernel_size=3, stride=2,
                     input_size=4, batch=None, transposed=True)
    window = make_window(Session.default(spec))
    view, expected = _open(window)
    assert expected.ours_values.ndim == 2 and not view.sample.isVisible()
    assert view.texts("ours") == _texts(expected.ours_values)
    assert view.texts("theirs") == _texts(expected.theirs_values)
    view.close()
