"""Random layers of 1, 2 and 3 spatial axes (core's `nd_cases.valid_cases`: every padding
mode and string, causal Conv1d, ConvTranspose with output_padding, empty and unbatched
inputs, complex dtypes) through the files' paths: a session file round trip, the torch side
of the cross-check, the cross-check of our results, and the layer spec.json describes."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nd_cases import Case, torch_run, valid_cases
from session_checks import assert_same_session
from torch_reference import Reference, assert_matches, quiet_torch

from core.io.export import export_spec
from core.io.session_io import load_session, save_session
from core.session import Session, compute_session
from core.verify.crosscheck import crosscheck, torch_reference

TOL = {"float64": 1e-10, "complex128": 1e-10, "float32": 1e-5, "complex64": 1e-5}
SOME = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def session_of(case: Case) -> tuple[Session, Reference]:
    rng, x, w, b = case.tensors()
    ref = torch_run(case, x, w, b, rng)
    return Session(spec=case.spec(), input=x, weight=w, bias=b, grad_output=ref.grad_output), ref


def from_spec_json(data: dict, s: Session) -> dict[str, np.ndarray]:
    """A reader's forward and backward: the class and keywords spec.json names."""
    keys = ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
            "groups", "bias", "padding_mode"]
    if data["torch_class"].startswith("ConvTranspose"):
        keys.append("output_padding")
    dtype = getattr(torch, data["dtype"])
    with quiet_torch():
        conv = getattr(torch.nn, data["torch_class"])(**{k: data[k] for k in keys},
                                                      dtype=dtype)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(s.weight))
        if data["bias"]:
            conv.bias.copy_(torch.tensor(s.bias))
    x = torch.tensor(s.input, requires_grad=True)
    pad = data.get("causal_pad")
    with quiet_torch():
        y = conv(torch.nn.functional.pad(x, pad) if pad else x)
    y.backward(torch.tensor(s.grad_output))
    zeros = lambda t, a: np.zeros_like(a) if t.grad is None else t.grad.numpy()  # noqa: E731
    return {"output": y.detach().numpy(), "grad_input": zeros(x, s.input),
            "grad_weight": zeros(conv.weight, s.weight)}


@SOME
@given(dims=st.sampled_from([1, 2, 3]), data=st.data())
def test_random_layers_through_the_files(dims, data):
    case = data.draw(valid_cases(dims, dtypes=("float64", "float32", "complex128")))
    s, ref = session_of(case)
    tol = TOL[case.dtype]
    with tempfile.TemporaryDirectory() as folder:
        save_session(Path(folder) / "s.npz", s)
        assert_same_session(load_session(Path(folder) / "s.npz"), s)
    theirs = torch_reference(s.spec, s.input, s.weight, s.bias, s.grad_output)
    for name in ("output", "grad_input", "grad_weight", "grad_bias"):
        expected, got = getattr(ref, name), theirs[name]
        if expected is None:
            assert got is None
            continue
        if got is None:  # an empty batch leaves .grad None
            got = np.zeros_like(expected)
        assert_matches(got, expected, tol)
    check = crosscheck(s.spec, s.input, s.weight, s.bias, s.grad_output, compute_session(s))
    assert check.ok, check.summary()
    rebuilt = from_spec_json(export_spec(s.spec), s)
    for name, value in rebuilt.items():
        assert_matches(value, getattr(ref, name), tol)
