""""Copy as PyTorch code": the snippet runs as pasted and its asserts pass (and can fail).

The snippets run in a child process (torch is imported there, not here): one as a file,
exactly as a user would paste it, and the rest exec()'d one after another in fresh
namespaces by a single child, so torch is imported once.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from core.conv import ConvResults, compute
from core.io.presets import default_session, load_preset
from core.session import Session
from core.spec import LayerSpec
from core.verify.snippet import python_literal, pytorch_snippet, tolerances

RUNNER = r"""
import contextlib, io, json, sys, traceback, warnings
warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
report = {}
for name, source in json.load(sys.stdin).items():
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(source, f"<snippet {name}>", "exec"), {"__name__": "__main__"})
        report[name] = {"ok": True, "stdout": out.getvalue()}
    except BaseException:
        report[name] = {"ok": False, "error": traceback.format_exc()}
print(json.dumps(report))
"""


def session_for(seed: int, **spec: object) -> Session:
    """Unrounded random values (every bit of the literals matters), grad_output random."""
    s = Session.default(LayerSpec(**spec), seed=seed)
    rng = np.random.default_rng(seed)
    for name, a in s.tensors().items():
        values = rng.standard_normal(a.shape) * 3
        if np.iscomplexobj(a):
            values = values + 1j * rng.standard_normal(a.shape)
        s = s.with_tensor(name, values)
    return s


def with_nonfinite() -> Session:
    s = load_preset("reflect_padding")
    x = s.input.copy()
    x[0, 0, 0, 0], x[0, 0, 4, 4] = np.nan, np.inf
    return s.with_tensor("input", x)


SESSIONS = {
    "default_float64": default_session,
    "float32_strided": lambda: session_for(
        1, in_channels=2, out_channels=3, kernel_size=(3, 2), stride=2, padding=1,
        input_size=(7, 6), batch=2, dtype="float32"),
    "reflect_groups_unbatched": lambda: session_for(
        2, in_channels=4, out_channels=6, kernel_size=3, padding=(2, 1), groups=2,
        padding_mode="reflect", input_size=(5, 6), batch=None),
    "complex64_same_dilated": lambda: session_for(
        3, in_channels=2, out_channels=2, kernel_size=(2, 3), padding="same", dilation=(2, 1),
        input_size=(5, 5), dtype="complex64"),
    "complex128_circular_no_bias": lambda: session_for(
        4, in_channels=3, out_channels=3, kernel_size=2, padding=1, padding_mode="circular",
        groups=3, bias=False, input_size=(4, 4), batch=3, dtype="complex128"),
    "replicate_empty_batch": lambda: session_for(
        5, in_channels=1, out_channels=2, kernel_size=2, padding=2, padding_mode="replicate",
        input_size=(3, 3), batch=0),
    "seed002_preset_float32_unbatched": lambda: load_preset("seed002_pointwise"),
    "transposed_groups_output_padding": lambda: session_for(
        7, in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 3), padding=(1, 0),
        output_padding=(1, 2), dilation=(1, 2), groups=2, input_size=(3, 4), batch=2,
        transposed=True),
    "transposed_complex64_unbatched_no_bias": lambda: session_for(
        8, in_channels=2, out_channels=3, kernel_size=2, stride=2, bias=False,
        input_size=(3, 3), batch=None, dtype="complex64", transposed=True),
    "nan_and_inf": with_nonfinite,
}


def results_of(s: Session) -> ConvResults:
    return compute(s.spec, s.input, s.weight, s.bias, s.grad_output)


def snippet(name: str) -> str:
    s = SESSIONS[name]()
    return pytorch_snippet(s, results_of(s))


@pytest.fixture(scope="module")
def report() -> dict:
    sources = {name: snippet(name) for name in SESSIONS}
    run = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(sources),
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


@pytest.mark.parametrize("name", SESSIONS)
def test_snippet_asserts_pass(report, name):
    assert report[name]["ok"], report[name].get("error")
    assert report[name]["stdout"].startswith("torch agrees with ConvViz: output, grad_input")


def test_snippet_runs_as_pasted(tmp_path):
    path = tmp_path / "snippet.py"
    path.write_text(snippet("reflect_groups_unbatched"))
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "torch agrees with ConvViz: output, grad_input, grad_weight, grad_bias\n"


def test_snippet_fails_when_a_value_is_off():
    s = session_for(6, in_channels=2, out_channels=2, kernel_size=3, input_size=(5, 5))
    r = results_of(s)
    grad_weight = r.grad_weight.copy()
    grad_weight[1, 0, 2, 2] += 1e-9 * max(1.0, abs(grad_weight[1, 0, 2, 2]))
    source = pytorch_snippet(s, ConvResults(r.output, r.grad_input, grad_weight, r.grad_bias))
    run = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True)
    assert run.returncode != 0
    assert "AssertionError" in run.stderr and "Tensor-likes are not close" in run.stderr


def test_snippet_builds_a_conv_transpose2d_with_its_keywords():
    source = snippet("transposed_groups_output_padding")
    assert "conv = nn.ConvTranspose2d(\n" in source
    assert "padding=(1, 0), output_padding=(1, 2), dilation=(1, 2)" in source
    assert source.startswith('"""nn.ConvTranspose2d forward and backward')


def test_snippet_builds_the_layer_and_embeds_values():
    s = load_preset("seed002_pointwise")
    source = pytorch_snippet(s, results_of(s))
    assert "import torch\n" in source and "dtype = torch.float32" in source
    assert "in_channels=1, out_channels=3, kernel_size=(1, 1)" in source
    assert "padding_mode='zeros'" in source and "bias=True" in source
    assert "[[[8.0, -3.0, 0.0, 1.0, 5.0, -2.0]]]" in source
    assert "[0.9186, -0.2191, 0.2018]" in source
    compile(source, "<snippet>", "exec")


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
def test_literals_read_back_exactly(dtype):
    rng = np.random.default_rng(0)
    scale = np.exp(rng.uniform(-80, 80, (4, 5)))
    a = rng.standard_normal((4, 5)) * scale
    if dtype.startswith("complex"):
        a = a + 1j * rng.standard_normal((4, 5)) / scale
    a = a.astype(dtype)
    a.flat[:4] = [np.nan, np.inf, -np.inf, -0.0]
    a.flat[4] = np.finfo(dtype).tiny / 8  # subnormal
    if dtype.startswith("complex"):
        a.flat[5] = complex(np.inf, np.nan)
    namespace = {"nan": float("nan"), "inf": float("inf")}
    back = np.array(eval(python_literal(a, 4), namespace), dtype=dtype)  # noqa: S307
    np.testing.assert_array_equal(back, a)
    assert np.array_equal(np.signbit(back.real), np.signbit(a.real))
    assert np.array_equal(np.signbit(back.imag), np.signbit(a.imag))


def test_tolerances_are_rounding_error_sized():
    s = default_session()
    tol = tolerances(s)
    assert set(tol) == {"output", "grad_input", "grad_weight", "grad_bias"}
    assert all(0 < t < 1e-10 for t in tol.values()), tol
    tol32 = tolerances(s.with_spec(s.spec.replace(dtype="float32")))
    assert all(t < 1e-2 for t in tol32.values()), tol32
