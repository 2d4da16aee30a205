"""Export animation as GIF (frame count, sampling, cancel, the selection put back). Autosave:
tests/gui/test_autosave_instances.py."""

from __future__ import annotations

import pytest
from files_support import (  # noqa: F401
    FakePrompts,
    controller_for,
    data_home_fixture,
    dialogs_fixture,
    edit_cell,
    files_fixture,
)
from PIL import Image
from PySide6.QtWidgets import QPushButton

from core.explain import explain_spec
from gui.gif_export import CAPTION_PX, MAX_FRAMES, frame_steps
from gui.selection import Selection


def gif_frames(path) -> int:
    with Image.open(path) as im:
        return im.n_frames


def terms_of(window, tensor, index) -> int:
    s = window.document.session
    return len(explain_spec(s.spec, tensor, index, **s.tensors()))


def test_frame_steps_sample_long_animations_evenly():
    assert frame_steps(0) == [] and frame_steps(1) == [0]
    assert frame_steps(28) == list(range(28))
    steps = frame_steps(1000, cap=50)
    assert len(steps) == len(set(steps)) == 50
    assert steps[0] == 0 and steps[-1] == 999 and steps == sorted(steps)
    assert len(frame_steps(MAX_FRAMES + 1)) == MAX_FRAMES


@pytest.mark.parametrize(
    "tensor, index",
    [("output", (0, 1, 2, 3)), ("grad_input", (0, 2, 0, 5)), ("grad_bias", (3,))],
)
def test_gif_has_one_frame_per_step(window, files, dialogs, tmp_path, tensor, index):
    sel = Selection(tensor, index)
    window.selection.set_selection(sel)
    count = terms_of(window, tensor, index)
    path = tmp_path / "anim.gif"
    dialogs.save.append(str(path))
    files.exports.gif_action.trigger()
    assert files.prompts.errors == []
    assert gif_frames(path) == len(frame_steps(count))
    assert window.selection.selection == sel  # the step the user had is back


class StepLog:
    """The animation steps the selection went through (what the explainer is driven by)."""

    def __init__(self) -> None:
        self.steps: list = []

    def on_selection_changed(self, sel: Selection) -> None:
        self.steps.append(sel.step)


@pytest.mark.parametrize("widgets", [False, True])
def test_gif_of_a_long_sum_is_sampled(window, files, dialogs, tmp_path, widgets):
    window.selection.set_selection(Selection("grad_weight", (1, 0, 2, 1)))
    count = terms_of(window, "grad_weight", (1, 0, 2, 1))
    assert count > MAX_FRAMES  # one term per output position that reads a real pixel
    if widgets:
        files.exports.set_gif_widgets([window.grids])
    log = StepLog()
    window.selection.selectionChanged.connect(log.on_selection_changed)
    dialogs.save.append(str(tmp_path / "gw"))
    files.exports.export_gif()
    assert gif_frames(tmp_path / "gw.gif") == MAX_FRAMES
    if not widgets:  # diagram frames (the default) are drawn without touching the window
        assert log.steps == []
        return
    assert log.steps[:2] == [0, count - 1]  # the shared palette is taken from these two
    assert log.steps[2:-1] == frame_steps(count)  # each frame is the step it names
    assert log.steps[-1] is None  # then the selection is back as it was


def test_gif_frames_stack_the_chosen_widgets(window, files, dialogs, tmp_path):
    parts = [window.grids.grids["input"], window.grids.grids["weight"]]
    files.exports.set_gif_widgets(parts)
    window.selection.set_selection(Selection("grad_bias", (0,)))
    dialogs.save.append(str(tmp_path / "s.gif"))
    files.exports.export_gif()
    with Image.open(tmp_path / "s.gif") as im:
        assert im.size == (max(p.width() for p in parts),
                           sum(p.height() for p in parts) + CAPTION_PX)


def test_gif_is_rendered_through_the_event_loop_and_reported(window, files, dialogs, tmp_path,
                                                             qtbot):
    files.synchronous = False
    window.selection.set_selection(Selection("output", (0, 0, 0, 0), step=3))
    dialogs.save.append(str(tmp_path / "a.gif"))
    with qtbot.waitSignal(files.exports.gifFinished, timeout=60_000):
        recorder = files.exports.export_gif()
        assert recorder is not None and not recorder.done
    assert gif_frames(tmp_path / "a.gif") == terms_of(window, "output", (0, 0, 0, 0))
    assert window.selection.selection.step == 3


def test_cancelled_gif_writes_nothing(window, files, dialogs, tmp_path, qtbot):
    files.synchronous = False
    window.selection.set_selection(Selection("output", (0, 0, 1, 1)))
    dialogs.save.append(str(tmp_path / "c.gif"))
    recorder = files.exports.export_gif()
    with qtbot.waitSignal(recorder.canceled, timeout=30_000):
        qtbot.waitUntil(lambda: len(recorder.frames) >= 2, timeout=30_000)
        files.exports.progress.findChild(QPushButton).click()  # the progress dialog's Cancel
    assert not (tmp_path / "c.gif").exists()
    assert list(tmp_path.glob(".c.gif*")) == []
    assert window.selection.selection == Selection("output", (0, 0, 1, 1))


@pytest.mark.parametrize(
    "sel", [Selection(), Selection("input", (0, 0, 1, 1)), Selection("output", (0, 0, 0, 0),
                                                                       anchor=(0, 0, 2, 2))])
def test_gif_needs_one_selected_result_entry(window, files, dialogs, sel):
    window.selection.set_selection(sel)
    assert files.exports.export_gif() is None
    assert "Select one entry of output" in files.prompts.last_error
    assert dialogs.asked == []
