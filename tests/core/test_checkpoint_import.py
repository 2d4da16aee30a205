"""Layers from checkpoints (core.io.checkpoint_import) and from live modules
(core.io.module_import): a real small model's conv layers imported from .pt and .safetensors
reproduce the module's output and autograd's gradients; every hostile file is refused with its
reason; a malicious pickle never runs."""

from __future__ import annotations

import json
import pickle
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from checkpoint_files import Evil, as_numpy, small_model, write_safetensors
from torch import nn

from core import budget
from core.io.checkpoint_formats import CheckpointError, open_checkpoint
from core.io.checkpoint_import import (
    conv_weights,
    describe_layer,
    group_choices,
    kind_note,
    session_with_layer,
)
from core.io.module_import import session_from_module
from core.session import Session, compute_session
from core.spec import LayerSpec, SpecError

TOL = 1e-10


@pytest.fixture(scope="module")
def model():
    return small_model()


@pytest.fixture(scope="module", params=["pt", "wrapped.pt", "safetensors"])
def ckpt_path(request, model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ckpt")
    sd = model.state_dict()
    if request.param == "pt":
        torch.save(sd, folder / "model.pt")
        return folder / "model.pt"
    if request.param == "wrapped.pt":  # a training checkpoint: the state_dict inside a dict
        torch.save({"epoch": 3, "state_dict": sd, "optimizer": {"lr": 0.1}}, folder / "ck.pth")
        return folder / "ck.pth"
    return write_safetensors(folder / "model.safetensors", dict(sd), pad=5)


def base_session() -> Session:
    spec = LayerSpec(in_channels=3, out_channels=4, kernel_size=3, padding=1,
                     input_size=(9, 11), batch=2)
    return Session.default(spec, seed=2)


def test_lists_the_conv_weights_with_their_biases(ckpt_path):
    ckpt = open_checkpoint(ckpt_path)
    found = {(w.key, w.shape, w.bias_key) for w in conv_weights(ckpt)}
    assert found == {("0.weight", (8, 3, 3, 3), "0.bias"), ("2.weight", (4, 4, 3, 5), None)}
    keys = {e.key for e in ckpt.entries}
    assert {"5.weight", "5.bias"} <= keys  # the Linear's tensors are there, not offered


def test_a_key_as_the_file_spells_it_finds_the_listed_tensor(tmp_path, model):
    """A training checkpoint lists its keys without the wrapper all of them share, and the
    key as torch shows it (``ckpt["model"]["0.weight"]`` → 'model.0.weight') works too
    (review r13 R11: it was refused, listing '0.weight')."""
    torch.save({"epoch": 3, "model": model.state_dict()}, tmp_path / "train.pth")
    ckpt = open_checkpoint(tmp_path / "train.pth")
    assert ckpt.wrapper == "model." and ckpt.get("0.weight") is not None
    assert ckpt.entry("model.0.weight") == ckpt.entry("0.weight")
    np.testing.assert_array_equal(ckpt.array("model.0.weight"), as_numpy(model[0].weight))
    s = session_with_layer(base_session(), ckpt, "model.0.weight")
    np.testing.assert_array_equal(s.bias, as_numpy(model[0].bias))  # its bias found too
    with pytest.raises(CheckpointError, match="has no tensor 'model.9.weight'"):
        ckpt.entry("model.9.weight")


@pytest.mark.parametrize("index, groups", [(0, 1), (2, 2)])
def test_imported_layer_matches_the_module_and_autograd(ckpt_path, model, index, groups):
    module = model[index]
    ckpt = open_checkpoint(ckpt_path)
    s = session_with_layer(base_session(), ckpt, f"{index}.weight", groups)
    assert (s.spec.in_channels, s.spec.out_channels) == (module.in_channels,
                                                         module.out_channels)
    assert s.spec.kernel_size == module.kernel_size and s.spec.groups == module.groups
    assert s.spec.bias == (module.bias is not None)
    # the user sets what a state_dict does not hold, as the app says
    s = s.with_spec(s.spec.replace(padding=module.padding, stride=module.stride))
    np.testing.assert_array_equal(s.weight, as_numpy(module.weight))
    x = torch.tensor(s.input, requires_grad=True)
    y = module(x)
    gy = torch.tensor(np.random.default_rng(3).standard_normal(tuple(y.shape)))
    s = s.with_tensor("grad_output", gy.numpy())
    y.backward(gy)
    got = compute_session(s)
    np.testing.assert_allclose(got.output, y.detach().numpy(), atol=TOL, rtol=0)
    np.testing.assert_allclose(got.grad_input, x.grad.numpy(), atol=TOL, rtol=0)
    np.testing.assert_allclose(got.grad_weight, module.weight.grad.numpy(), atol=TOL, rtol=0)
    if module.bias is not None:
        np.testing.assert_allclose(got.grad_bias, module.bias.grad.numpy(), atol=TOL, rtol=0)
    module.zero_grad()


def test_safetensors_are_read_without_torch(model, tmp_path):
    ckpt_path = write_safetensors(tmp_path / "m.safetensors", dict(model.state_dict()))
    code = ("import sys; from core.io.checkpoint_formats import open_checkpoint; "
            "from core.io.checkpoint_import import conv_weights; "
            f"c = open_checkpoint({str(ckpt_path)!r}); c.array('0.weight'); "
            "print(len(conv_weights(c)), 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert done.stdout.split() == ["2", "False"], done.stderr


def test_group_choices_are_the_divisors_of_out_channels():
    assert group_choices((4, 4, 3, 5)) == [1, 2, 4]
    assert group_choices((6, 1, 3, 3)) == [1, 2, 3, 6]


def test_keeps_the_sessions_hyperparameters(ckpt_path):
    s = base_session().with_spec(base_session().spec.replace(stride=2, dilation=(1, 2),
                                                             padding_mode="reflect"))
    new = session_with_layer(s, open_checkpoint(ckpt_path), "0.weight")
    for field in ("stride", "padding", "dilation", "padding_mode", "batch", "input_size",
                  "dtype"):
        assert getattr(new.spec, field) == getattr(s.spec, field)


def test_float32_and_half_tensors_are_read(tmp_path):
    w = torch.randn(2, 1, 3, 3)
    write_safetensors(tmp_path / "h.safetensors", {"c.weight": w.half(), "c.bias":
                                                   torch.ones(2, dtype=torch.float32)})
    torch.save({"c.weight": w.bfloat16()}, tmp_path / "b.pt")
    ckpt = open_checkpoint(tmp_path / "h.safetensors")
    np.testing.assert_array_equal(ckpt.array("c.weight"), w.half().float().numpy())
    assert conv_weights(ckpt)[0].bias_key == "c.bias"
    np.testing.assert_array_equal(open_checkpoint(tmp_path / "b.pt").array("c.weight"),
                                  w.bfloat16().float().numpy())
    # the note of an import says how the values were converted (review r13 R11)
    said = describe_layer(ckpt, "c.weight", 1, dtype="float64")
    assert said.endswith("groups 1, its float16 values as float64")
    said = describe_layer(open_checkpoint(tmp_path / "b.pt"), "c.weight", 1, dtype="float32")
    assert said.endswith(", its bfloat16 values as float32")
    assert describe_layer(ckpt, "c.weight", 1, dtype="float16").endswith("groups 1")


# -- hostile checkpoints ------------------------------------------------------------------
def test_a_malicious_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned.txt"
    path = tmp_path / "evil.pt"
    torch.save({"0.weight": torch.zeros(2, 1, 3, 3), "extra": Evil(str(marker))}, path)
    with pytest.raises(CheckpointError, match=r"evil.pt holds Python objects besides tensors"
                                              r".*weights_only=True.*never runs a full unpickle"):
        open_checkpoint(path)
    assert not marker.exists()
    # the payload is real: a full unpickle does write the file
    torch.load(path, weights_only=False)
    assert marker.read_text() == "pwned"


def test_a_plain_pickle_is_refused_in_words_and_silently_runs_nothing(tmp_path):
    """Not torch.save's archive but pickle.dumps (protocol 4): one reason, no torch warning
    ("please file an issue") on the way, and nothing unpickled (review r13 R9)."""
    marker = tmp_path / "pwned.txt"
    path = tmp_path / "evil2.pt"
    path.write_bytes(pickle.dumps(Evil(str(marker)), protocol=4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        with pytest.raises(CheckpointError, match="evil2.pt as a PyTorch checkpoint: a plain "
                                                  "Python pickle"):
            open_checkpoint(path)
    assert not marker.exists()


def test_a_whole_module_needs_a_full_unpickle_and_is_refused(tmp_path, model):
    torch.save(model, tmp_path / "whole.pt")
    with pytest.raises(CheckpointError, match="Save model.state_dict"):
        open_checkpoint(tmp_path / "whole.pt")


def test_no_tensor_of_the_right_rank(tmp_path):
    torch.save(nn.Linear(4, 3).state_dict(), tmp_path / "linear.pt")
    with pytest.raises(CheckpointError, match=r"linear.pt has no tensor that can be a Conv2d "
                                              r"weight \(4-D.*it holds 1 of rank 1, 1 of rank 2"):
        conv_weights(open_checkpoint(tmp_path / "linear.pt"))


def test_a_tensor_that_cannot_be_a_conv_weight(tmp_path, model):
    torch.save({**model.state_dict(), "z.weight": torch.zeros(0, 3, 3, 3),
                "i.weight": torch.zeros(2, 2, 3, 3, dtype=torch.int64)}, tmp_path / "m.pt")
    ckpt = open_checkpoint(tmp_path / "m.pt")
    for key, text in (("5.weight", r"has shape \(10, 4\): a Conv2d weight is 4-D"),
                      ("z.weight", "with a zero dimension"),
                      ("i.weight", "dtype int64; a convolution's weight is a float tensor"),
                      ("nope.weight", "has no tensor 'nope.weight'; weights here: 0.weight")):
        with pytest.raises(CheckpointError, match=text):
            session_with_layer(base_session(), ckpt, key)
    with pytest.raises(CheckpointError, match="groups 3 does not divide out_channels 8"):
        session_with_layer(base_session(), ckpt, "0.weight", groups=3)


def test_a_layer_the_session_cannot_take_or_over_budget(ckpt_path):
    ckpt = open_checkpoint(ckpt_path)
    tiny = base_session().with_spec(base_session().spec.replace(input_size=(4, 4), padding=0))
    with pytest.raises(CheckpointError, match=r"layer of '2.weight' \(4, 4, 3, 5\) read as Conv2d "
                                              "does not fit this session: kernel width extent "
                                              "5 .* larger than the padded input width 4"):
        session_with_layer(tiny, ckpt, "2.weight", groups=2)
    budget.set_limit(1024)
    try:
        with pytest.raises(CheckpointError, match="over the memory limit of 1.0 KiB"):
            session_with_layer(base_session(), ckpt, "0.weight")
    finally:
        budget.set_limit(None)


def test_a_weight_is_read_as_the_kind_asked_for_and_the_bias_checks_it(tmp_path, model):
    torch.manual_seed(4)
    up = nn.ConvTranspose2d(4, 6, (3, 2), stride=2, padding=1, output_padding=1,
                            groups=2).double()
    torch.save({"up.weight": up.weight, "up.bias": up.bias, **model.state_dict()},
               tmp_path / "m.pt")
    ckpt = open_checkpoint(tmp_path / "m.pt")
    conv = base_session()
    transposed = conv.with_spec(conv.spec.replace(transposed=True, stride=2, output_padding=1))
    s = session_with_layer(transposed, ckpt, "up.weight", groups=2)  # the session's kind
    assert s.spec == transposed.spec.replace(in_channels=4, out_channels=6, kernel_size=(3, 2),
                                             groups=2)
    assert "read as ConvTranspose2d (in_channels, out_channels/groups" in describe_layer(
        ckpt, "up.weight", 2, True)
    x = torch.tensor(s.input, requires_grad=True)
    y = up(x)
    y.backward(torch.tensor(s.grad_output))
    got = compute_session(s)
    for ours, theirs in ((got.output, y), (got.grad_input, x.grad),
                         (got.grad_weight, up.weight.grad), (got.grad_bias, up.bias.grad)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), atol=TOL, rtol=0)
    # the same tensor read as a Conv2d's: (out 4, in/groups 3) — its bias of 6 says otherwise
    with pytest.raises(CheckpointError, match=r"bias 'up.bias' has 6 values but 'up.weight' "
                       r"\(4, 3, 3, 2\) read as Conv2d with groups 2 has out_channels 4; the "
                       "bias fits it read as ConvTranspose2d with groups 2"):
        session_with_layer(conv, ckpt, "up.weight", groups=2)
    # another kind than the session's switches it, and says what it dropped
    s = session_with_layer(transposed, ckpt, "0.weight", transposed=False)
    assert not s.spec.transposed and s.spec.output_padding == (0, 0)
    assert s.spec.weight_shape == (8, 3, 3, 3)
    assert kind_note(transposed, s) == ("the layer is now a Conv2d (was ConvTranspose2d); "
                                        "output_padding (1, 1) dropped: a Conv2d has none")
    s = session_with_layer(conv, ckpt, "2.weight", transposed=True)
    assert (s.spec.transposed, s.spec.in_channels, s.spec.out_channels) == (True, 4, 4)
    assert kind_note(conv, s) == "the layer is now a ConvTranspose2d (was Conv2d)"
    reflect = conv.with_spec(conv.spec.replace(padding_mode="reflect"))
    with pytest.raises(CheckpointError, match="read as ConvTranspose2d does not fit this "
                       "session: padding_mode must be 'zeros'"):
        session_with_layer(reflect, ckpt, "2.weight", transposed=True)


def test_truncated_and_foreign_files(tmp_path, model):
    torch.save(model.state_dict(), tmp_path / "m.pt")
    data = (tmp_path / "m.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.pt").write_text("hello")
    for name in ("cut.pt", "text.pt"):
        with pytest.raises(CheckpointError, match=f"cannot read {name} as a PyTorch checkpoint"):
            open_checkpoint(tmp_path / name)
    with pytest.raises(CheckpointError, match="no such file"):
        open_checkpoint(tmp_path / "gone.pt")


def _safetensors_bytes(header: dict, data: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


@pytest.mark.parametrize("content, text", [
    (b"\x01\x02", "shorter than a safetensors header"),
    (struct.pack("<Q", 2**60) + b"{}", "header claims 1,152,921,504,606,846,976 bytes"),
    (struct.pack("<Q", 4) + b"\xff\xfe{}", "its header is not JSON"),
    (_safetensors_bytes([1, 2]), "not a JSON object"),
    (_safetensors_bytes({"w": {"dtype": "F32", "shape": [2, 1, 1, 1], "data_offsets": [0, 8]}},
                        b"\0" * 4), r"claims bytes 0…8 but needs 8 and the data holds 4"),
    (_safetensors_bytes({"w": {"dtype": "F32", "shape": [2, 1, 1, 1], "data_offsets": [0, 4]}},
                        b"\0" * 8), "claims bytes 0…4 but needs 8"),
    (_safetensors_bytes({"w": {"dtype": "F32", "shape": [2]}}), "no valid dtype, shape"),
    (_safetensors_bytes({"w": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}},
                        b"\0" * 8), "dtype 'C64'"),
])
def test_malformed_safetensors_are_refused(tmp_path, content, text):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=text):
        open_checkpoint(path)


# -- live modules (what gui.show opens) ---------------------------------------------------
def test_session_from_a_module_takes_everything_from_it():
    torch.manual_seed(1)
    conv = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2,
                     padding_mode="reflect").double()
    x = torch.randn(2, 4, 7, 8, dtype=torch.float64, requires_grad=True)
    s = session_from_module(conv, x)
    want = dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 1),
                padding=(1, 2), dilation=(1, 2), groups=2, bias=True, padding_mode="reflect",
                input_size=(7, 8), batch=2, dtype="float64")
    assert s.spec == LayerSpec(**want)
    np.testing.assert_array_equal(s.weight, as_numpy(conv.weight))
    np.testing.assert_array_equal(s.bias, as_numpy(conv.bias))
    np.testing.assert_array_equal(s.input, as_numpy(x))
    assert np.all(s.grad_output == 1)
    y = conv(x)
    y.sum().backward()
    np.testing.assert_allclose(compute_session(s).grad_input, x.grad.numpy(), atol=TOL)


def test_session_from_a_conv_transpose_module_computes_as_torch():
    torch.manual_seed(2)
    conv = nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                              dilation=(1, 2), groups=2).double()
    x = torch.randn(2, 4, 5, 4, dtype=torch.float64, requires_grad=True)
    y = conv(x)
    gy = torch.randn(y.shape, dtype=torch.float64)
    s = session_from_module(conv, x, gy)
    assert s.spec == LayerSpec(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 3),
                               padding=(1, 0), output_padding=(1, 2), dilation=(1, 2), groups=2,
                               input_size=(5, 4), batch=2, transposed=True)
    np.testing.assert_array_equal(s.weight, as_numpy(conv.weight))  # (in, out/groups, kH, kW)
    y.backward(gy)
    got = compute_session(s)
    for ours, theirs in ((got.output, y), (got.grad_input, x.grad),
                         (got.grad_weight, conv.weight.grad), (got.grad_bias, conv.bias.grad)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), atol=TOL, rtol=0)
    conv.padding_mode = "reflect"  # torch refuses it at construction only; so do we, by name
    with pytest.raises(SpecError, match="padding_mode must be 'zeros'") as info:
        session_from_module(conv, x)
    assert info.value.fields == ("padding_mode",)


def test_session_from_a_module_converts_arrays_and_checks_shapes():
    conv = nn.Conv2d(1, 2, 3, bias=False, padding="same")  # float32
    x = np.random.default_rng(0).random((1, 5, 5))  # numpy float64, unbatched
    s = session_from_module(conv, x, grad_output=np.ones((2, 5, 5)))
    assert s.spec.dtype == "float32" and s.spec.batch is None and s.spec.padding == "same"
    for call, text, fields in (
        (lambda: session_from_module(conv, x, grad_output=np.ones((2, 4, 4))),
         r"grad_output has shape \(2, 4, 4\) but the layer's output has shape \(2, 5, 5\)",
         ("grad_output",)),
        (lambda: session_from_module(conv, np.zeros((2, 5, 5))), "input has 2 channels but weight",
         ("input", "weight", "groups")),
        (lambda: session_from_module(nn.Linear(2, 2), x),
         r"layer must be a torch.nn convolution \(Conv1d, Conv2d, Conv3d, ConvTranspose1d, "
         r"ConvTranspose2d, ConvTranspose3d\), got Linear", ("layer",)),
        (lambda: session_from_module(nn.ConvTranspose1d(1, 1, 3), x[None]),  # 2D input
         r"input must be 2D \(C, L\) or 3D \(N, C, L\), got shape \(1, 1, 5, 5\)",
         ("input",)),
        (lambda: session_from_module(nn.Conv2d(1, 1, 3).half(), x), "dtype float16",
         ("layer.weight",)),
        (lambda: session_from_module(conv, np.array(["a"])), "input must hold numbers",
         ("input",)),
        (lambda: session_from_module(conv, x + 1j), "input is complex but the layer is float32",
         ("input",)),
    ):
        with pytest.raises(SpecError, match=text) as info:
            call()
        assert info.value.fields == fields
