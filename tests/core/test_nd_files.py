"""Conv1d, Conv3d, their transposed forms and the causal Conv1d in the file formats: session
files (and the old 2D ones), spec.json exports, .npy imports, checkpoints and modules,
presets and the command line's session argument. Results are compared with torch's
functional convolutions (`nd_reference`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from export_checks import torch_from_folder
from nd_reference import EVERY_KIND, of_session, random_session
from session_checks import assert_same_session
from torch import nn

from core.io.checkpoint_formats import open_checkpoint
from core.io.checkpoint_import import conv_weights, session_with_layer
from core.io.export import export_npy, export_spec
from core.io.module_import import session_from_module
from core.io.presets import load_preset
from core.io.session_io import (
    SessionTensorError,
    load_session,
    save_arrays,
    save_session,
    session_arrays,
)
from core.io.tensor_import import fitting_spec, import_npy
from core.session import Session, compute_session, with_spatial_rank
from core.spec import LayerSpec, SpecError
from core.spec_dims import spec_with_dims
from gui.cli.session_arg import open_session_arg

DATA = Path(__file__).parent / "data"
NEW_PRESETS = ("causal_conv1d", "conv1d_basic", "conv3d_basic", "conv_transpose1d",
               "conv_transpose3d")


def tol(spec: LayerSpec) -> float:
    return 1e-5 if spec.dtype in ("float32", "complex64") else 1e-10


# -- session files -------------------------------------------------------------------------
@pytest.mark.parametrize("name", EVERY_KIND)
def test_session_round_trip_of_every_kind(tmp_path, name):
    s = random_session(EVERY_KIND[name], seed=1)
    save_session(tmp_path / "s.npz", s)
    back = load_session(tmp_path / "s.npz")
    assert_same_session(back, s)
    assert (back.spec.dims, back.spec.causal) == (s.spec.dims, s.spec.causal)


def test_dims_and_causal_are_written_only_when_they_say_something():
    assert "dims" not in EVERY_KIND["conv2d"].to_dict()
    assert EVERY_KIND["conv3d"].to_dict()["dims"] == 3
    data = EVERY_KIND["causal_conv1d"].to_dict()
    assert (data["dims"], data["causal"], data["padding"]) == (1, True, [0])


@pytest.mark.parametrize("file, transposed", [("r10_conv2d.npz", False),
                                              ("r10_conv_transpose2d.npz", True)])
def test_session_files_from_before_dims_load_as_2d(file, transposed):
    """Written by the release before N-d layers (their spec has no "dims" key)."""
    with np.load(DATA / file) as npz:
        assert "dims" not in json.loads(str(npz["spec"]))
    s = load_session(DATA / file)
    assert s.spec.dims == 2 and not s.spec.causal and s.spec.transposed == transposed
    assert len(s.spec.kernel_size) == 2 and s.input.ndim == 4 - (s.spec.batch is None)
    got, truth = compute_session(s), of_session(s)
    for key, value in truth.items():
        if value is not None:
            np.testing.assert_allclose(getattr(got, key), value, rtol=tol(s.spec),
                                       atol=tol(s.spec), err_msg=key)


@pytest.mark.parametrize("spec, name, shape", [
    (EVERY_KIND["conv2d"], "input", (1, 2, 6, 5, 1)),   # a 3D input in a 2D file
    (EVERY_KIND["conv1d"], "weight", (2, 2, 3, 1)),     # a Conv2d's weight in a 1D file
    (EVERY_KIND["conv3d"], "grad_output", (1, 2, 3, 3)),
])
def test_a_session_whose_tensor_rank_is_not_the_specs_is_refused(tmp_path, spec, name, shape):
    arrays = session_arrays(Session.default(spec))
    arrays[name] = np.zeros(shape)
    save_arrays(tmp_path / "bad.npz", arrays)
    with pytest.raises(SpecError) as info:
        load_session(tmp_path / "bad.npz")
    assert isinstance(info.value, SessionTensorError) and info.value.fields == (name,)
    text = str(info.value)
    assert f"tensor '{name}' has {len(shape)} axes, shape {shape}" in text
    assert f"{spec.dims}D layer" in text and str(spec.shape(name)) in text
    assert info.value.numbers == {"shape": shape, "expected": spec.shape(name)}


@pytest.mark.parametrize("name", EVERY_KIND)
def test_default_tensors_of_every_kind(name):
    spec = EVERY_KIND[name]
    s = Session.default(spec, seed=2)
    for t in ("input", "weight", "grad_output"):
        assert s.tensor(t).shape == spec.shape(t) and s.tensor(t).dtype == np.dtype(spec.dtype)
    assert np.all(s.grad_output == 1) and np.any(s.input != 0)


def test_a_session_changes_its_number_of_spatial_axes():
    s = random_session(LayerSpec(2, 3, (3, 2), stride=(2, 1), input_size=(5, 6)), seed=3)
    one = s.with_spec(spec_with_dims(s.spec, 1))
    assert one.spec.kernel_size == (2,) and one.spec.stride == (1,)
    assert one.spec.input_size == (6,) and one.input.shape == (1, 2, 6)
    np.testing.assert_array_equal(one.input, s.input[:, :, 0])  # row 0 of each map stays
    three = s.with_spec(spec_with_dims(s.spec, 3))
    assert three.spec.kernel_size == (3, 3, 2) and three.input.shape == (1, 2, 5, 5, 6)
    np.testing.assert_array_equal(three.input[:, :, 0], s.input)
    assert not np.any(three.input[:, :, 1:])
    causal = spec_with_dims(EVERY_KIND["causal_conv1d"], 2)
    assert not causal.causal and causal.dilation == (2, 2)
    assert with_spatial_rank(np.zeros((2, 3, 4)), 1, 2).shape == (2, 3, 1, 4)


# -- export --------------------------------------------------------------------------------
def test_spec_json_of_a_causal_layer_says_how_to_pad():
    spec = EVERY_KIND["causal_conv1d"]
    data = export_spec(spec)
    assert data["torch_class"] == "Conv1d" and data["causal_pad"] == [4, 0]
    assert data["padding"] == [0] and data["causal"] is True and data["dims"] == 1
    assert "causal_pad" not in export_spec(EVERY_KIND["conv1d"])


@pytest.mark.parametrize("name", EVERY_KIND)
def test_export_of_every_kind_rebuilds_in_torch_from_spec_json(tmp_path, name):
    s = random_session(EVERY_KIND[name], seed=4)
    export_npy(tmp_path, s, compute_session(s))
    spec = json.loads((tmp_path / "spec.json").read_text())
    kind = "ConvTranspose" if s.spec.transposed else "Conv"
    assert spec["torch_class"] == f"{kind}{s.spec.dims}d"
    load, got = torch_from_folder(tmp_path)  # the class and keywords spec.json names
    for key, value in got.items():
        torch.testing.assert_close(value, load[key], rtol=tol(s.spec), atol=tol(s.spec))


# -- .npy import ---------------------------------------------------------------------------
@pytest.mark.parametrize("spec, name, shape", [
    (EVERY_KIND["conv1d"], "input", (1, 4, 5, 5)),
    (EVERY_KIND["conv3d"], "input", (2, 5, 4)),
    (EVERY_KIND["conv_transpose1d"], "weight", (2, 2, 3, 3)),
    (EVERY_KIND["conv3d_same"], "grad_output", (2, 2, 3, 4, 4, 1)),
])
def test_npy_of_the_wrong_rank_is_refused_naming_the_tensor(tmp_path, spec, name, shape):
    s = Session.default(spec)
    np.save(tmp_path / "a.npy", np.ones(shape))
    imp = import_npy(tmp_path / "a.npy", name, s)
    assert not imp.fits and imp.proposal is None
    kind = f"Conv{'Transpose' if spec.transposed else ''}{spec.dims}d"
    article = "an" if name == "input" else "a"
    assert f"{article} {name} cannot have {len(shape)} dimensions in a {kind}" in imp.refusal
    with pytest.raises(SpecError) as info:
        imp.apply(s)
    assert info.value.fields == (name,)
    with pytest.raises(SpecError) as info:
        fitting_spec(spec, name, np.ones(shape))
    assert info.value.fields == (name,) and info.value.numbers["dims"] == spec.dims


@pytest.mark.parametrize("spec, name, shape, phrase", [
    (EVERY_KIND["conv1d"], "input", (1, 4, 5, 5),
     "4 dimensions fit a Conv2d or Conv3d: switch the layer to 2D or 3D first"),
    (EVERY_KIND["conv3d"], "input", (2, 5, 4), "3 dimensions fit a Conv1d or Conv2d"),
    (EVERY_KIND["conv_transpose1d"], "weight", (2, 2, 3, 3),
     "4 dimensions fit a ConvTranspose2d: switch the layer to 2D first"),
    (EVERY_KIND["conv3d"], "input", (5,), "an input cannot have 1 dimension in a Conv3d"),
])
def test_a_wrong_rank_refusal_reads_well_and_names_the_layer_it_fits(tmp_path, spec, name,
                                                                    shape, phrase):
    """Review r11 #14: "a input", "1 dimensions", and no word of the other layers."""
    np.save(tmp_path / "a.npy", np.ones(shape))
    refusal = import_npy(tmp_path / "a.npy", name, Session.default(spec)).refusal
    assert phrase in refusal
    assert "a input" not in refusal and "1 dimensions" not in refusal
    if len(shape) == 1:
        assert "switch" not in refusal  # no layer takes it


@pytest.mark.parametrize("spec, name, shape, changed", [
    (EVERY_KIND["causal_conv1d"], "input", (3, 2, 16), {"batch": 3, "input_size": (16,)}),
    (EVERY_KIND["conv3d"], "input", (4, 3, 6, 5), {"batch": None, "in_channels": 4,
                                                   "input_size": (3, 6, 5)}),
    (EVERY_KIND["conv3d"], "weight", (5, 2, 1, 2, 3), {"out_channels": 5,
                                                       "kernel_size": (1, 2, 3)}),
    (EVERY_KIND["conv_transpose1d"], "grad_output", (1, 4, 11), {"input_size": (6,),
                                                                 "output_padding": (0,)}),
])
def test_npy_of_the_right_rank_proposes_the_layer_it_fits(tmp_path, spec, name, shape,
                                                          changed):
    np.save(tmp_path / "a.npy", np.ones(shape))
    imp = import_npy(tmp_path / "a.npy", name, Session.default(spec))
    assert imp.proposal is not None and imp.proposal.dims == spec.dims
    for key, value in changed.items():
        assert getattr(imp.proposal, key) == value, key
    assert imp.apply(Session.default(spec)).tensor(name).shape == shape


# -- checkpoints and modules ---------------------------------------------------------------
def nd_model() -> nn.Sequential:
    torch.manual_seed(1)
    return nn.Sequential(nn.Conv1d(2, 4, 3), nn.Conv3d(4, 2, (1, 2, 2), bias=False),
                         nn.ConvTranspose1d(4, 6, 3, groups=2),
                         nn.ConvTranspose3d(2, 3, 2)).double()


def test_checkpoint_weights_of_rank_3_and_5_are_layers_of_1_and_3_axes(tmp_path):
    model = nd_model()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    ckpt = open_checkpoint(tmp_path / "m.pt")
    assert [(w.key, w.dims) for w in conv_weights(ckpt)] == [
        ("0.weight", 1), ("1.weight", 3), ("2.weight", 1), ("3.weight", 3)]
    base = Session.default(LayerSpec(4, 4, 3, stride=(2, 1), input_size=(7, 8)))
    for index, transposed, groups in ((0, False, 1), (1, False, 1), (2, True, 2),
                                      (3, True, 1)):
        layer = model[index]
        s = session_with_layer(base, ckpt, f"{index}.weight", groups, transposed)
        assert (s.spec.dims, s.spec.transposed) == (len(layer.kernel_size), transposed)
        assert (s.spec.in_channels, s.spec.out_channels, s.spec.kernel_size) == (
            layer.in_channels, layer.out_channels, layer.kernel_size)
        # the session's stride (2, 1), per axis: the last axes kept, the first copied
        assert s.spec.stride == {1: (1,), 3: (2, 2, 1)}[s.spec.dims]
        np.testing.assert_array_equal(s.weight, layer.weight.detach().numpy())


@pytest.mark.parametrize("layer, x_shape", [
    (nn.Conv1d(2, 3, 3, padding=2, dilation=2, padding_mode="circular"), (2, 2, 7)),
    (nn.Conv3d(2, 2, (1, 2, 3), stride=(1, 2, 1), padding=(0, 1, 1)), (1, 2, 2, 5, 4)),
    (nn.ConvTranspose1d(2, 4, 3, stride=2, output_padding=1, groups=2), (2, 5)),
    (nn.ConvTranspose3d(1, 2, 2, stride=(2, 1, 2), bias=False), (1, 1, 2, 3, 2)),
])
def test_a_module_of_every_kind_opens_as_its_session(layer, x_shape):
    layer = layer.double()
    x = torch.randn(x_shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    s = session_from_module(layer, x)
    assert s.spec.dims == len(layer.kernel_size) and s.spec.transposed == layer.transposed
    assert s.spec.padding_mode == layer.padding_mode and s.input.shape == x_shape
    y = layer(x)
    assert s.spec.output_shape == tuple(y.shape)
    np.testing.assert_allclose(compute_session(s).output, y.detach().numpy(), atol=1e-12)


# -- presets and the command line ----------------------------------------------------------
@pytest.mark.parametrize("name", NEW_PRESETS)
def test_new_presets_load_and_compute_as_torch(name):
    s = load_preset(name)
    assert s.spec.dims in (1, 3) and s.input.size <= 100
    got, truth = compute_session(s), of_session(s)
    for key, value in truth.items():
        if value is not None:
            np.testing.assert_allclose(getattr(got, key), value, rtol=1e-12, atol=1e-12,
                                       err_msg=key)


def test_causal_preset_is_a_tcn_layer_whose_impulse_response_starts_at_the_impulse():
    s = load_preset("causal_conv1d")
    spec = s.spec
    assert spec.causal and spec.kernel_size == (3,) and spec.dilation == (2,)
    assert spec.output_size == spec.input_size == (12,)
    out = of_session(s)["output"]
    # output channel 0 reads input channel 0 only (the impulse at t = 5) plus no bias
    assert np.all(out[0, 0, :5] == 0) and out[0, 0, 5] != 0


@pytest.mark.parametrize("name", NEW_PRESETS)
def test_the_command_line_opens_the_new_presets(tmp_path, name):
    s = open_session_arg(name)
    assert_same_session(s, load_preset(name))
    from gui.cli.headless import export_headless

    export_headless(name, tmp_path / "out")
    load, got = torch_from_folder(tmp_path / "out")
    for key, value in got.items():
        torch.testing.assert_close(value, load[key], rtol=1e-10, atol=1e-10)


def test_a_picture_is_refused_by_a_1d_or_3d_layer_with_the_reason():
    from core.io.image_import import default_size, session_with_image

    for name in ("causal_conv1d", "conv3d"):
        s = Session.default(EVERY_KIND[name])
        with pytest.raises(SpecError, match=r"a picture is a 2D input \(1 × 4 × 5\) but the "
                                            r"layer is a Conv[13]d") as info:
            session_with_image(s, np.zeros((1, 4, 5)))
        assert info.value.fields == ("input", "dims")
    assert default_size(EVERY_KIND["causal_conv1d"]) == (10, 10)
    assert default_size(EVERY_KIND["conv3d"]) == (5, 4)


def test_a_preset_of_a_1d_layer_cannot_take_a_picture():
    from core.io.presets import PresetError, parse_preset

    data = {"format": 1, "name": "x", "description": "y",
            "spec": EVERY_KIND["conv1d"].to_dict(), "tensors": {"input": {"image": "shapes.png"}}}
    with pytest.raises(PresetError, match="tensor 'input': a picture is a 2D input, but this "
                                          "layer has 1 spatial axis"):
        parse_preset(data)


def test_the_command_line_imports_a_conv1d_weight_as_asked(tmp_path, capsys):
    import main

    torch.save(nd_model().state_dict(), tmp_path / "m.pt")
    out = tmp_path / "out"
    code = main.main(["causal_conv1d", "--import-layer", str(tmp_path / "m.pt"), "2.weight",
                      "--import-as", "ConvTranspose1d", "--layer-groups", "2",
                      "--export", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert ("read as ConvTranspose1d (in_channels, out_channels/groups, kL), groups 2; the "
            "layer is now a ConvTranspose1d (was Conv1d); no longer causal: a ConvTranspose1d "
            "has no causal form") in err
    spec = json.loads((out / "spec.json").read_text())
    assert (spec["torch_class"], spec["in_channels"], spec["out_channels"]) == (
        "ConvTranspose1d", 4, 6)
    load, got = torch_from_folder(out)
    for key, value in got.items():
        torch.testing.assert_close(value, load[key], rtol=1e-10, atol=1e-10)
    code = main.main(["--import-layer", str(tmp_path / "m.pt"), "1.weight", "--import-as",
                      "Conv1d", "--export", str(tmp_path / "no")])
    err = capsys.readouterr().err
    assert code == 2 and not (tmp_path / "no").exists()
    assert ("--import-as Conv1d takes a 3-D weight, but '1.weight' (2, 4, 1, 2, 2) is 5-D"
            in err)


@pytest.mark.parametrize("name", ["conv1d", "conv3d"])
def test_a_kind_switch_of_1d_and_3d_layers_regroups_the_weight(name):
    from core.session import kind_switch_note

    s = random_session(EVERY_KIND[name], seed=8)
    spec = s.spec.replace(transposed=True, stride=1, padding=0)
    t = s.with_spec(spec)
    assert t.weight.shape == spec.weight_shape and t.input.shape == s.input.shape
    per_in, per_out = spec.in_per_group, spec.out_per_group
    for o in range(spec.out_channels):  # the tap from input c to output o keeps its value
        for c in range(spec.in_channels):
            if c // per_in == o // per_out:
                np.testing.assert_array_equal(t.weight[c, o % per_out], s.weight[o, c % per_in])
    note = kind_switch_note(s, t)
    assert note.startswith(f"Switched to ConvTranspose{spec.dims}d") and "regrouped" in note
    back = t.with_spec(t.spec.replace(transposed=False))
    np.testing.assert_array_equal(back.weight, s.weight)
