"""Conv1d, Conv3d, their transposed forms and the causal Conv1d in `core.torch_layer`, the
cross-check and "Copy as PyTorch code": each checked against torch's functional
convolutions (`nd_reference`), which share none of our code.

The snippet and the torch side of the cross-check need no results of ours: they are first
fed torch's own (so they run before the core computes N-d layers), then ours.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from nd_reference import EVERY_KIND, of_session, random_session
from torch import nn

from core.conv import ConvResults
from core.session import compute_session
from core.spec import LayerSpec
from core.torch_layer import (
    KINDS,
    kind_name,
    kinds,
    layer_arguments,
    layer_call,
    layer_class,
    pad_call,
)
from core.verify import snippet
from core.verify.crosscheck import crosscheck, torch_reference
from core.verify.snippet import pytorch_snippet

CAUSAL = EVERY_KIND["causal_conv1d"]


def test_every_kind_is_named_once():
    assert list(KINDS) == ["Conv1d", "Conv2d", "Conv3d",
                           "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]
    assert all(hasattr(nn, name) for name in KINDS)
    assert kinds(1) == {"Conv1d": False, "ConvTranspose1d": True}
    assert kinds() == {"Conv2d": False, "ConvTranspose2d": True}
    assert kind_name(True, 3) == "ConvTranspose3d" and kind_name(False) == "Conv2d"
    for name, kind in KINDS.items():
        assert (kind.name, kind_name(kind.transposed, kind.dims)) == (name, name)


@pytest.mark.parametrize("name", EVERY_KIND)
def test_torch_builds_every_kind_from_our_arguments_and_text(name):
    spec = EVERY_KIND[name]
    dtype = getattr(torch, spec.dtype)
    layer = getattr(nn, layer_class(spec))(**layer_arguments(spec), dtype=dtype)
    assert type(layer).__name__ == f"Conv{'Transpose' if spec.transposed else ''}{spec.dims}d"
    assert tuple(layer.weight.shape) == spec.shape("weight")
    x = torch.zeros(spec.shape("input"), dtype=dtype)
    if spec.causal:
        x = F.pad(x, ((spec.kernel_size[0] - 1) * spec.dilation[0], 0))
    assert tuple(layer(x).shape) == spec.shape("output")
    for full in (False, True):
        text = layer_call(spec, f"torch.{spec.dtype}", full=full)
        built = eval(text, {"nn": nn, "torch": torch})  # noqa: S307 (our text)
        assert type(built) is type(layer)
        for key in ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                    "dilation", "groups", "padding_mode", "output_padding"):
            assert getattr(built, key) == getattr(layer, key), key


def test_short_calls_of_other_dims():
    assert layer_call(EVERY_KIND["conv1d"], "dtype") == (
        "nn.Conv1d(4, 2, kernel_size=3, stride=2, padding=1, groups=2, dtype=dtype)")
    assert layer_call(LayerSpec(1, 1, 2, dims=3, transposed=True, stride=(1, 2, 2)), "d") == (
        "nn.ConvTranspose3d(1, 1, kernel_size=2, stride=(1, 2, 2), dtype=d)")


def test_a_causal_layer_is_a_left_pad_then_a_conv1d_without_padding():
    assert layer_class(CAUSAL) == "Conv1d" and layer_arguments(CAUSAL)["padding"] == (0,)
    assert layer_call(CAUSAL, "dtype") == (
        "nn.Conv1d(2, 3, kernel_size=3, padding=0, dilation=2, dtype=dtype)")
    assert pad_call(CAUSAL) == "F.pad(x, ((3 - 1) * 2, 0))"
    assert pad_call(CAUSAL, "h", named=True) == "F.pad(h, ((k - 1) * dilation, 0))"
    assert pad_call(EVERY_KIND["conv1d"]) is None
    x = torch.arange(10.0).reshape(1, 1, 10)
    torch.testing.assert_close(eval(pad_call(CAUSAL), {"F": F, "x": x}),  # noqa: S307
                               torch.cat([torch.zeros(1, 1, 4), x], dim=-1))


@pytest.mark.parametrize("name", EVERY_KIND)
def test_the_cross_checks_torch_side_is_torchs_functional_convolution(name):
    s = random_session(EVERY_KIND[name], seed=3)
    ours = torch_reference(s.spec, s.input, s.weight, s.bias, s.grad_output)
    truth = of_session(s)
    tol = 1e-5 if s.spec.dtype == "float32" else 1e-12
    for key, value in truth.items():
        if value is None:
            assert ours[key] is None
            continue
        assert ours[key].shape == value.shape, key
        np.testing.assert_allclose(ours[key], value, rtol=tol, atol=tol, err_msg=key)


def test_the_causal_gradient_is_with_respect_to_the_unpadded_input():
    s = random_session(CAUSAL, seed=4)
    got = torch_reference(s.spec, s.input, s.weight, s.bias, s.grad_output)
    assert got["grad_input"].shape == s.input.shape == (1, 2, 10)
    # an output entry never depends on a later input: the last input entry reaches only
    # the last output entry, through the kernel's last tap
    only_last = np.zeros_like(s.grad_output)
    only_last[..., -1] = 1.0
    last = torch_reference(s.spec, s.input, s.weight, s.bias, only_last)["grad_input"]
    np.testing.assert_allclose(last[0, :, -1], s.weight[:, :, -1].sum(axis=0), rtol=1e-12)
    first = np.zeros_like(s.grad_output)
    first[..., 0] = 1.0
    early = torch_reference(s.spec, s.input, s.weight, s.bias, first)["grad_input"]
    assert np.all(early[..., 1:] == 0)  # output 0 sees input 0 only (the rest is padding)


def results_from(values: dict) -> ConvResults:
    return ConvResults(**{k: values[k] for k in ("output", "grad_input", "grad_weight",
                                                 "grad_bias")})


RUNNER = r"""
import contextlib, io, json, sys, traceback
report = {}
for name, source in json.load(sys.stdin).items():
    try:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            exec(compile(source, f"<snippet {name}>", "exec"), {"__name__": "__main__"})
        report[name] = "ok" if out.getvalue().startswith("torch agrees") else out.getvalue()
    except BaseException:
        report[name] = traceback.format_exc()
print(json.dumps(report))
"""


def run_snippets(sources: dict[str, str]) -> dict[str, str]:
    done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(sources),
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout)


def test_snippets_of_every_kind_run_and_agree_with_torchs_values(monkeypatch):
    """Fed torch's functional results, every kind's snippet passes; a wrong value fails.
    (The tolerances, which our compute works out, are fixed here: this checks the text.)"""
    monkeypatch.setattr(snippet, "tolerances", lambda session: dict.fromkeys(
        ("output", "grad_input", "grad_weight", "grad_bias"),
        1e-4 if session.spec.dtype == "float32" else 1e-9))
    sources = {}
    for name, spec in EVERY_KIND.items():
        s = random_session(spec, seed=5)
        sources[name] = pytorch_snippet(s, results_from(of_session(s)))
    s = random_session(CAUSAL, seed=5)
    wrong = of_session(s)
    wrong["grad_input"] = wrong["grad_input"].copy()
    wrong["grad_input"][0, 0, 0] += 1e-3
    sources["causal_wrong"] = pytorch_snippet(s, results_from(wrong))
    report = run_snippets(sources)
    for name in EVERY_KIND:
        assert report[name] == "ok", report[name]
    wrong_report = report["causal_wrong"]
    assert "AssertionError" in wrong_report and "at index (0, 0, 0)" in wrong_report
    causal = sources["causal_conv1d"]
    assert "import torch.nn.functional as F" in causal
    assert "output = conv(F.pad(x, ((k - 1) * dilation, 0)))" in causal
    assert "k, dilation = 3, 2" in causal and "stride=(1,), padding=0, dilation=(2,)" in causal


@pytest.mark.parametrize("name", EVERY_KIND)
def test_cross_check_of_every_kind_passes_on_our_results(name):
    s = random_session(EVERY_KIND[name], seed=6)
    check = crosscheck(s.spec, s.input, s.weight, s.bias, s.grad_output, compute_session(s))
    assert check.ok, check.summary()
    assert set(check.deltas) == {"output", "grad_input", "grad_weight"} | (
        {"grad_bias"} if s.spec.bias else set())


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("name", ["conv2d", "conv_transpose1d"])
def test_cross_check_compares_nan_and_inf_by_place(name, dtype):
    """An inf and a nan typed into the weight spread through the sums in ours and torch's
    alike: the check matches (inf − inf is nan, so they are compared by place and sign, not
    subtracted) and says how many; moved to another entry, they differ, said in words."""
    s = random_session(dataclasses.replace(EVERY_KIND[name], dtype=dtype), seed=3)
    w = s.weight.copy()
    w.flat[0], w.flat[1] = np.inf, np.nan
    s = s.with_tensor("weight", w)
    ours = compute_session(s)
    with np.errstate(all="raise"):  # (no "invalid value in subtract" on stderr)
        check = crosscheck(s.spec, s.input, s.weight, s.bias, s.grad_output, ours)
    assert check.ok, check.summary()
    assert check.nonfinite["output"] > 0
    assert "nan/inf entries where torch has them" in check.summary()
    moved = ours.output.copy()
    bad = np.flatnonzero(~np.isfinite(moved))[0]
    moved.flat[bad] = 0.0
    check = crosscheck(s.spec, s.input, s.weight, s.bias, s.grad_output,
                       dataclasses.replace(ours, output=moved))
    assert not check.ok
    assert check.summary() == "differs from torch: nan/inf in other places than torch's in output"


def test_the_cross_check_of_same_with_an_even_kernel_warns_nothing():
    """torch notes that 'same' with an even kernel copies the input: no finding of the
    check, and the app's stderr is no place for it (review r13 R9)."""
    spec = LayerSpec(2, 2, (2, 2, 2), padding="same", input_size=(3, 4, 4), batch=1, dims=3)
    s = random_session(spec, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check = crosscheck(s.spec, s.input, s.weight, s.bias, s.grad_output, compute_session(s))
    assert check.ok, check.summary()


def test_our_snippets_of_every_kind_pass():
    sources = {}
    for name, spec in EVERY_KIND.items():
        s = random_session(spec, seed=7)
        sources[name] = pytorch_snippet(s, compute_session(s))
    report = run_snippets(sources)
    assert report == dict.fromkeys(EVERY_KIND, "ok"), report
