"""The player over more steps than a QSlider (a C int) holds: a sweep of a tensor with more
than 2³¹ − 1 entries (possible with a raised memory limit) neither raises nor lands short."""

from __future__ import annotations

from gui.widgets.player import SLIDER_MAX, PlayerBar


def test_a_sweep_longer_than_a_slider_scrubs_over_all_of_it(qtbot):
    bar = PlayerBar()
    qtbot.addWidget(bar)
    count = 3 * SLIDER_MAX + 7
    bar.set_count(count, unit="entry")
    assert bar.playback.count == count
    bar.set_step(count - 1)  # from the controller: the last entry
    assert bar.playback.step == count - 1
    assert "of 0–" + str(count - 1) in bar.position.text()
    assert bar.scrubber.value() == bar.scrubber.maximum()
    seen = []
    bar.stepRequested.connect(seen.append)
    bar.last.click()
    bar.scrubber.setValue(1)
    bar.scrubber.setValue(bar.scrubber.maximum())
    assert seen[0] == count - 1
    assert seen[1] == 4  # each position is a stride of ⌈count / SLIDER_MAX⌉ = 4 steps
    assert count - 4 <= seen[2] <= count - 1
    bar.set_count(50)  # back to an ordinary count: one step per position
    bar.scrubber.setValue(37)
    assert seen[-1] == 37
