"""Your own data in the app: File › Import image… / Import layer…, files dropped on the input
and weight grids (real QDropEvents through the real widgets), one undo step each, the option
dialogs, the gray feature-map view, and every hostile file refused with its message while
the session stays exactly as it was."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from files_support import data_home_fixture, dialogs_fixture, files_fixture  # noqa: F401
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from core import budget
from core.io.checkpoint_formats import open_checkpoint
from core.io.checkpoint_import import conv_weights
from core.io.image_import import ImageOptions, default_size, load_image
from gui.import_dialogs import ImageImportDialog, LayerImportDialog
from tests.core.checkpoint_files import Evil, small_model
from tests.core.image_files import header_only_png, random_pixels, write_png
from tests.core.session_checks import assert_same_session


@pytest.fixture
def imports(window, files):
    """The window's ImportController; dialogs answered by `options` / `layer` below."""
    ctl = window.imports
    ctl.asked = []

    def ask_image(path, picture, spec):
        ctl.asked.append(("image", path.name, picture))
        return ctl.next_options

    def ask_layer(ckpt, weights):
        ctl.asked.append(("layer", [w.key for w in weights]))
        return ctl.next_layer

    ctl.next_options = ImageOptions("rgb", (16, 16))
    ctl.next_layer = None
    ctl.ask_image_options = ask_image
    ctl.ask_layer = ask_layer
    return ctl


def drop(widget, path) -> bool:
    """Drag ``path`` over ``widget`` and drop it, as Qt delivers a drag from a file manager;
    True when the drag was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    actions = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, actions, mime, buttons, mods)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    QApplication.sendEvent(widget, QDropEvent(pos, actions, mime, buttons, mods))
    return True


def unchanged(window, before, depth):
    assert window.document.session is before
    assert window.document.undo_stack.count() == depth


# -- images -------------------------------------------------------------------------------
def test_dropping_a_picture_on_the_input_grid_imports_it_in_one_undo_step(window, imports,
                                                                         tmp_path):
    path = write_png(tmp_path / "cat.png", random_pixels((20, 30, 3)))
    before = window.document.session
    target = window.grids.grids["input"].view.viewport()
    assert drop(target, path)
    assert imports.asked == [("image", "cat.png", (20, 30))]
    s = window.document.session
    assert s.spec == before.spec  # (1, 3, 16, 16): RGB at the current size
    np.testing.assert_array_equal(s.input[0], load_image(path, ImageOptions("rgb", (16, 16))))
    assert window.grids.grids["input"].array is s.input  # the grid shows it
    assert window.engine.latest.session is s  # and the results are of it
    assert window.document.undo_stack.undoText() == "Import image cat.png"
    window.document.undo_stack.undo()
    assert_same_session(window.document.session, before)  # undo rebuilds it


def test_drops_that_are_not_pictures_are_not_taken(window, imports, tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    before, depth = window.document.session, window.document.undo_stack.count()
    assert not drop(window.grids.grids["input"].view.viewport(), tmp_path / "notes.txt")
    assert not drop(window.grids.grids["output"].view.viewport(), tmp_path / "notes.txt")
    unchanged(window, before, depth)
    assert imports.asked == []


def test_a_gray_picture_changes_in_channels_only_when_the_user_agrees(window, imports,
                                                                      tmp_path):
    path = write_png(tmp_path / "g.png", random_pixels((8, 8)))
    imports.next_options = ImageOptions("gray", (8, 8))
    before, depth = window.document.session, window.document.undo_stack.count()
    imports.files.prompts.answers.append(False)
    assert not imports.import_image_from(path)
    question = imports.files.prompts.questions[-1]
    assert "has 1 channel but the layer has in_channels 3" in question[1]
    # fewer channels: none is new (review r13 R12)
    assert "its channels past 1 go" in question[2] and "new channels" not in question[2]
    unchanged(window, before, depth)
    assert imports.import_image_from(path)  # yes
    s = window.document.session
    assert (s.spec.in_channels, s.spec.input_size) == (1, (8, 8))
    np.testing.assert_array_equal(s.weight, before.weight[:, :1])
    window.document.undo_stack.undo()  # one step back to all of it
    assert_same_session(window.document.session, before)  # undo rebuilds it


def test_cancelling_the_options_changes_nothing(window, imports, tmp_path):
    path = write_png(tmp_path / "g.png", random_pixels((8, 8)))
    imports.next_options = None
    before, depth = window.document.session, window.document.undo_stack.count()
    assert not imports.import_image_from(path)
    unchanged(window, before, depth)


@pytest.mark.parametrize("kind, text", [
    ("truncated", "cut.png: the file is truncated or corrupt"),
    ("huge", "huge.png is 20000 × 20000 pixels (400,000,000), more than ConvViz reads"),
    ("text", "text.png: not an image Pillow can read"),
    ("groups", "cannot take a 3-channel 16 × 16 image: in_channels 3 is not divisible by "
               "groups 2"),
    ("budget", "the layer with a 3-channel 16 × 16 image needs about"),
])
def test_bad_pictures_say_why_and_leave_the_session(window, imports, tmp_path, kind, text,
                                                    monkeypatch):
    if kind == "budget":
        monkeypatch.setattr(budget, "_limit_override", 1024)
        path = write_png(tmp_path / "c.png", random_pixels((16, 16, 3)))
    elif kind == "truncated":
        data = write_png(tmp_path / "a.png", random_pixels((64, 64), 3)).read_bytes()
        (path := tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    elif kind == "huge":
        path = header_only_png(tmp_path / "huge.png", 20000, 20000)
    elif kind == "text":
        (path := tmp_path / "text.png").write_text("not a picture")
    else:
        spec = window.document.spec.replace(in_channels=2, out_channels=2, groups=2)
        window.document.set_spec(spec)
        path = write_png(tmp_path / "c.png", random_pixels((16, 16, 3)))
        imports.files.prompts.answers.append(True)  # in_channels 2 → 3: yes
    before, depth = window.document.session, window.document.undo_stack.count()
    assert drop(window.grids.grids["input"], path)  # a picture's name: the drag is taken
    title, what, detail = imports.files.prompts.errors[-1]
    assert title == "Cannot import the image"
    assert "the session is unchanged" in what and text in detail
    unchanged(window, before, depth)


def test_the_image_dialog_offers_the_current_size_and_the_layers_channels(qtbot):
    from core.io.presets import default_session

    spec = default_session().spec.replace(input_size=(40, 600), batch=2)
    dialog = ImageImportDialog("cat.png", (480, 640), spec)
    qtbot.addWidget(dialog)
    o = dialog.options()
    assert (o.color, o.size, o.fit, o.scaling) == ("rgb", default_size(spec), "crop", "0-1")
    assert o.size == (40, 128)
    assert "input's, 40 × 600, capped at 128" in dialog.note.text()
    assert "sample 0 of 2" in dialog.note.text() and "Sides over" not in dialog.note.text()
    dialog.color.setCurrentIndex(0)
    dialog.scaling.setCurrentIndex(2)
    dialog.fit.setCurrentIndex(1)
    dialog.height_box.setValue(32)
    dialog.width_box.setValue(300)
    assert dialog.options() == ImageOptions("gray", (32, 300), "stretch", "imagenet")
    assert "in_channels changes 3 → 1" in dialog.note.text()
    assert "Sides over 128 make every edit slower" in dialog.note.text()
    # typed beyond a side's range: kept and said, OK waits (review r13 R3: 5000 became 500)
    from PySide6.QtCore import Qt

    dialog.show()
    qtbot.keyClick(dialog.height_box, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dialog.height_box, "5000")
    assert dialog.height_box.value() == 5000
    assert dialog.note.text() == "The height 5000 is not a side of 1 to 2048 pixels."
    assert not dialog.ok.isEnabled()
    dialog.height_box.setValue(32)
    assert dialog.ok.isEnabled() and "Sides over 128" in dialog.note.text()


# -- layers -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    model = small_model()
    path = tmp_path_factory.mktemp("model") / "model.pt"
    torch.save(model.state_dict(), path)
    return model, path


def test_a_checkpoint_dropped_on_the_weight_grid_reproduces_the_module(window, imports,
                                                                      model_file):
    model, path = model_file
    imports.next_layer = ("2.weight", 2, False)
    before = window.document.session
    notes = []
    imports.message.connect(notes.append)
    assert drop(window.grids.grids["weight"].view.viewport(), path)
    assert imports.asked == [("layer", ["0.weight", "2.weight"])]
    assert notes == ["Imported 2.weight (4, 4, 3, 5) without bias from model.pt, read as Conv2d "
                     "(out_channels, in_channels/groups, kH, kW), groups 2. stride, padding, "
                     "output_padding, dilation and padding_mode are not stored in a "
                     "state_dict: the layer keeps its own; set them to the model's."]
    assert window.document.undo_stack.undoText() == "Import layer 2.weight"
    s = window.document.session
    conv = model[2]
    assert (s.spec.in_channels, s.spec.out_channels, s.spec.groups, s.spec.bias) == (8, 4, 2,
                                                                                     False)
    window.document.set_spec(s.spec.replace(padding=0))  # the model's, which the user sets
    s = window.document.session
    x = torch.tensor(s.input, requires_grad=True)
    y = conv(x)
    y.backward(torch.tensor(s.grad_output))
    got = window.engine.latest.results
    np.testing.assert_allclose(got.output, y.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(got.grad_input, x.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(got.grad_weight, conv.weight.grad.numpy(), atol=1e-10)
    conv.zero_grad()
    stack = window.document.undo_stack
    stack.undo()
    stack.undo()
    assert_same_session(window.document.session, before)  # undo rebuilds it


def test_the_layer_dialog_lists_weights_and_their_groups(qtbot, model_file):
    _, path = model_file
    ckpt = open_checkpoint(path)
    weights = conv_weights(ckpt)
    dialog = LayerImportDialog("model.pt", weights, len(ckpt.entries) - len(weights))
    qtbot.addWidget(dialog)
    assert [dialog.list.item(i).text() for i in range(dialog.list.count())] == [
        "0.weight (8, 3, 3, 3), bias 0.bias (8,)", "2.weight (4, 4, 3, 5), no bias"]
    assert dialog.choice() == ("0.weight", 1, False)
    dialog.list.setCurrentRow(1)
    assert [dialog.groups.itemData(i) for i in range(dialog.groups.count())] == [1, 2, 4]
    dialog.groups.setCurrentIndex(1)
    assert dialog.choice() == ("2.weight", 2, False)
    assert "in_channels 8, out_channels 4" in dialog.groups.currentText()
    dialog.kind.setCurrentIndex(1)  # the same tensor read as a ConvTranspose2d's
    assert dialog.choice() == ("2.weight", 2, True)
    assert "in_channels 4, out_channels 8" in dialog.groups.currentText()
    dialog.list.setCurrentRow(0)  # its bias (8,) fits no transposed reading of (8, 3, …)
    assert dialog.groups.itemText(0) == "1  (in_channels 8, out_channels 3; the bias has 8, not 3)"


def test_the_layer_dialog_offers_the_current_kind_and_imports_as_chosen(window, imports,
                                                                      model_file, qtbot):
    dialog = LayerImportDialog("model.pt", conv_weights(open_checkpoint(model_file[1])), 2,
                               transposed=True)
    qtbot.addWidget(dialog)
    assert dialog.kind.currentText().startswith("ConvTranspose2d") and dialog.choice()[2]
    imports.next_layer = ("2.weight", 1, True)  # the answer, read as ConvTranspose2d
    notes = []
    imports.message.connect(notes.append)
    assert imports.import_layer_from(model_file[1])
    spec = window.document.spec
    assert spec.transposed and spec.weight_shape == (4, 4, 3, 5)
    assert "read as ConvTranspose2d (in_channels, out_channels/groups, kH, kW), groups 1; " \
           "the layer is now a ConvTranspose2d (was Conv2d)." in notes[0]
    np.testing.assert_array_equal(window.document.session.weight,
                                  model_file[0][2].weight.detach().numpy())


@pytest.mark.parametrize("kind, text", [
    ("evil", "holds Python objects besides tensors and plain containers (it refers to exec)"),
    ("linear", "has no tensor that can be a Conv2d weight"),
    ("2d", "tensor '5.weight' has shape (10, 4): a Conv2d weight is 4-D"),
    ("cut", "cannot read cut.pt as a PyTorch checkpoint"),
])
def test_bad_checkpoints_say_why_and_leave_the_session(window, imports, tmp_path, model_file,
                                                       kind, text):
    model, good = model_file
    path, key = tmp_path / f"{kind}.pt", None
    if kind == "evil":
        torch.save({"0.weight": torch.zeros(2, 1, 3, 3), "x": Evil(str(tmp_path / "pwned"))},
                   path)
    elif kind == "linear":
        torch.save(torch.nn.Linear(3, 2).state_dict(), path)
    elif kind == "2d":
        path, key = good, "5.weight"
    else:
        data = good.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    before, depth = window.document.session, window.document.undo_stack.count()
    assert not imports.import_layer_from(path, key)
    title, what, detail = imports.files.prompts.errors[-1]
    assert title == "Cannot import the layer" and "the session is unchanged" in what
    assert text in detail
    unchanged(window, before, depth)
    assert not (tmp_path / "pwned").exists()


# -- menus and the gray view --------------------------------------------------------------
def test_menus_hold_the_imports_and_the_gray_toggle(window):
    file_items = [a.text() for a in window.file_menu.actions()]
    assert "Import &image…" in file_items and "Import &layer from a checkpoint…" in file_items
    assert file_items[-1] == "&Quit"
    assert window.imports.gray_action in window.view_menu.actions()


def test_gray_feature_maps_span_the_scaled_values_from_min_to_max(window):
    """Gray levels follow the colour-scale mode: the slice on screen, or the whole tensor."""
    window.imports.gray_action.setChecked(True)
    for shared in (False, True):
        window.shared_scale_action.setChecked(shared)
        for name, grid in window.grids.grids.items():
            assert grid.gray, name
            a = grid.array
            if a is None:
                continue
            assert grid.colorbar.colorMap().name == "gray"
            shown = a if shared or a.ndim < 3 else a[grid.lead]
            lo, hi = shown.min(), shown.max()
            want = (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)  # a constant: mid-gray
            assert tuple(grid.image.levels) == pytest.approx(want), (name, shared)
    window.shared_scale_action.setChecked(False)
    window.imports.gray_action.setChecked(False)
    grid = window.grids.grids["output"]
    assert grid.colorbar.colorMap().name == "diverging"
    assert tuple(grid.image.levels) == (-grid.limit, grid.limit)


@pytest.mark.parametrize("dims", [1, 3])
def test_a_picture_into_a_1d_or_3d_layer_is_refused_saying_why(window, imports, tmp_path,
                                                               dims):
    from core.session import Session
    from core.spec import LayerSpec

    window.document.replace_session(Session.default(LayerSpec(3, 2, 3, dims=dims,
                                                              input_size=5)))
    path = write_png(tmp_path / "g.png", random_pixels((8, 8)))
    before, depth = window.document.session, window.document.undo_stack.count()
    assert not imports.import_image_from(path)
    unchanged(window, before, depth)
    title, what, detail = imports.files.prompts.errors[-1]
    assert title == "Cannot import the image" and "g.png was not imported" in what
    assert detail == (f"a picture is a 2D input and the layer is a Conv{dims}d: switch the "
                      "layer to 2D first")


def test_the_layer_dialog_names_the_kinds_by_the_weight_s_rank(qtbot):
    from core.io.checkpoint_import import ConvWeight

    weights = [ConvWeight("a.weight", (4, 2, 3), None), ConvWeight("b.weight", (4, 2, 3, 3, 3),
                                                                   "b.bias", (4,))]
    dialog = LayerImportDialog("m.pt", weights, 0, transposed=True)
    qtbot.addWidget(dialog)
    texts = [dialog.kind.itemText(i) for i in range(2)]
    assert texts == ["Conv1d: weight (out, in/groups, kL)",
                     "ConvTranspose1d: weight (in, out/groups, kL)"]
    assert dialog.kind.currentData() is True  # the current layer's kind stays offered
    dialog.list.setCurrentRow(1)
    assert dialog.kind.currentText() == "ConvTranspose3d: weight (in, out/groups, kD, kH, kW)"
    assert dialog.choice() == ("b.weight", 1, True)
