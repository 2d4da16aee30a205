"""Exporting results (.npy folder, one .npz, one tensor) and importing one .npy into a grid.

The export test rebuilds the layer in torch from ``spec.json`` alone and checks that the
exported files reproduce the gradients.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from export_checks import TORCH_KEYS, torch_from_folder
from session_checks import assert_same_session

from core.conv import compute
from core.io.export import export_npy, export_npz, export_tensor
from core.io.session_io import load_session
from core.io.tensor_import import (
    TensorFileError,
    describe_change,
    fitting_spec,
    import_npy,
    read_npy,
)
from core.session import Session
from core.spec import LayerSpec, SpecError


def results_of(session: Session):
    return compute(session.spec, session.input, session.weight, session.bias, session.grad_output)


def make(**spec: object) -> Session:
    base = {"in_channels": 2, "out_channels": 4, "kernel_size": 3, "input_size": (6, 5)}
    return Session.default(LayerSpec(**{**base, **spec}), seed=3)


# -- export -----------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"bias": False, "batch": None},
        {"padding": "same", "kernel_size": (2, 3), "dtype": "float32"},
        {"padding": 1, "padding_mode": "reflect", "groups": 2, "dtype": "complex128", "batch": 2},
        {"stride": 2, "dilation": (1, 2), "padding": (2, 1), "padding_mode": "circular"},
        {"transposed": True, "stride": 2, "padding": 1, "output_padding": (1, 0), "groups": 2},
    ],
)
def test_export_npy_reproduces_torch(tmp_path, spec):
    session = make(**spec)
    written = export_npy(tmp_path / "out", session, results_of(session))
    names = {"input", "weight", "grad_output", "output", "grad_input", "grad_weight"}
    if session.spec.bias:
        names |= {"bias", "grad_bias"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [f"{n}.npy" for n in names] + ["spec.json"]
    )
    assert written[-1].name == "spec.json" and len(written) == len(names) + 1
    load, got = torch_from_folder(tmp_path / "out")
    tol = 1e-4 if session.spec.dtype in ("float32", "complex64") else 1e-10
    for name, value in got.items():
        torch.testing.assert_close(value, load[name], rtol=tol, atol=tol)


def test_spec_json_uses_torch_names(tmp_path):
    session = make(padding="same", dtype="complex64", bias=False)
    export_npy(tmp_path, session, results_of(session))
    spec = json.loads((tmp_path / "spec.json").read_text())
    assert TORCH_KEYS | {"torch_class", "dtype", "input_size", "batch"} == set(spec)
    assert spec["padding"] == "same" and spec["kernel_size"] == [3, 3]
    assert spec["stride"] == [1, 1] and spec["bias"] is False and spec["dtype"] == "complex64"


def test_export_npy_removes_stale_bias_files(tmp_path):
    with_bias = make()
    export_npy(tmp_path, with_bias, results_of(with_bias))
    without = with_bias.with_spec(with_bias.spec.replace(bias=False))
    export_npy(tmp_path, without, results_of(without))
    assert not (tmp_path / "bias.npy").exists() and not (tmp_path / "grad_bias.npy").exists()


def test_export_npz_holds_everything_and_opens_as_session(tmp_path):
    session = make(batch=None)
    results = results_of(session)
    export_npz(tmp_path / "all.npz", session, results)
    with np.load(tmp_path / "all.npz", allow_pickle=False) as npz:
        assert json.loads(str(npz["spec"])) == session.spec.to_dict()
        for name in ("output", "grad_input", "grad_weight", "grad_bias"):
            np.testing.assert_array_equal(npz[name], getattr(results, name))
    assert_same_session(load_session(tmp_path / "all.npz"), session)


def test_export_tensor_round_trip(tmp_path):
    a = (np.arange(12).reshape(3, 4) + 0.5j).astype(np.complex64)
    export_tensor(tmp_path / "t.npy", a)
    b = read_npy(tmp_path / "t.npy")
    assert b.dtype == a.dtype
    np.testing.assert_array_equal(b, a)


# -- import -----------------------------------------------------------------------------
def saved(tmp_path, a, name="t.npy", allow_pickle=False):
    np.save(tmp_path / name, a, allow_pickle=allow_pickle)
    return tmp_path / name


@pytest.mark.parametrize(
    ("array", "allow", "expected"),
    [
        (np.array([1.0, object()], dtype=object), True, "pickled Python objects"),
        (np.arange(4), False, "dtype int64; a float or complex array is needed"),
        (np.array(["a"]), False, "dtype str32"),
    ],
)
def test_read_npy_refuses(tmp_path, array, allow, expected):
    with pytest.raises(TensorFileError, match=expected):
        read_npy(saved(tmp_path, array, allow_pickle=allow))


def test_read_npy_refuses_npz_and_missing(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.zeros(2))
    with pytest.raises(TensorFileError, match="a .npz archive"):
        read_npy(tmp_path / "a.npz")
    with pytest.raises(TensorFileError, match="No such file"):
        read_npy(tmp_path / "none.npy")


def test_import_that_fits_is_cast_to_the_layer_dtype(tmp_path):
    session = make(dtype="float32")
    values = np.full(session.weight.shape, 0.25)
    imp = import_npy(saved(tmp_path, values), "weight", session)
    assert imp.fits and imp.proposal is None
    new = imp.apply(session)
    assert new.weight.dtype == np.float32
    np.testing.assert_array_equal(new.weight, values)


def test_import_input_proposes_reshaped_layer(tmp_path):
    session = make()
    values = np.ones((2, 4, 7, 8))
    imp = import_npy(saved(tmp_path, values), "input", session)
    assert not imp.fits
    assert "input of shape (2, 4, 7, 8) does not fit the layer, which needs (1, 2, 6, 5)" in (
        imp.problem
    )
    assert imp.proposal == session.spec.replace(batch=2, in_channels=4, input_size=(7, 8))
    new = imp.apply(session)
    assert new.spec == imp.proposal
    np.testing.assert_array_equal(new.input, values)
    assert describe_change(session.spec, imp.proposal) == (
        "in_channels 2 → 4, input_size (6, 5) → (7, 8), batch 1 → 2"
    )


def test_import_unbatched_input(tmp_path):
    imp = import_npy(saved(tmp_path, np.ones((2, 6, 5))), "input", make())
    assert imp.proposal.batch is None and imp.proposal.input_shape == (2, 6, 5)


def test_import_weight_and_bias_proposals(tmp_path):
    session = make(groups=2)
    imp = import_npy(saved(tmp_path, np.ones((6, 3, 2, 2))), "weight", session)
    assert imp.proposal.weight_shape == (6, 3, 2, 2) and imp.proposal.in_channels == 6
    no_bias = make(bias=False)
    imp = import_npy(saved(tmp_path, np.arange(3.0)), "bias", no_bias)
    assert "the layer has no bias" in imp.problem
    assert imp.proposal.bias and imp.proposal.out_channels == 3
    np.testing.assert_array_equal(imp.apply(no_bias).bias, np.arange(3.0))


@pytest.mark.parametrize(
    ("spec", "shape"),
    [
        ({}, (1, 4, 9, 2)),
        ({"stride": 2, "padding": 1}, (3, 4, 4, 2)),
        ({"padding": "same"}, (4, 8, 8)),
        ({"dilation": 2, "stride": (3, 1)}, (1, 2, 2, 7)),
    ],
)
def test_import_grad_output_proposes_a_layer_with_that_output(tmp_path, spec, shape):
    session = make(**spec)
    imp = import_npy(saved(tmp_path, np.ones(shape)), "grad_output", session)
    assert imp.proposal.output_shape == shape
    assert imp.apply(session).grad_output.shape == shape


@pytest.mark.parametrize(("name", "shape", "want"), [
    ("weight", (5, 2, 3, 3), {"in_channels": 5, "out_channels": 2}),  # (in, out/groups, …)
    ("input", (1, 3, 4, 7), {"in_channels": 3, "input_size": (4, 7)}),
    ("grad_output", (1, 4, 9, 12), {"input_size": (5, 6), "output_padding": (0, 1)}),
    ("grad_output", (2, 3, 12, 7), {"input_size": (6, 4), "output_padding": (1, 0)}),
])
def test_import_into_a_transposed_layer_proposes_a_transposed_layer(tmp_path, name, shape,
                                                                     want):
    session = make(transposed=True, stride=2, padding=1, output_padding=1, groups=1)
    imp = import_npy(saved(tmp_path, np.ones(shape)), name, session)
    spec = imp.proposal
    assert spec.transposed and spec.shape(name) == shape
    assert {k: getattr(spec, k) for k in want} == want
    s = imp.apply(session)  # torch's own transposed layer agrees on every shape
    y = torch.nn.functional.conv_transpose2d(
        torch.tensor(s.input), torch.tensor(s.weight), stride=spec.stride, padding=spec.padding,
        output_padding=spec.output_padding, groups=spec.groups)
    assert tuple(y.shape) == spec.output_shape == s.grad_output.shape


def test_import_complex_into_real_layer_proposes_complex_dtype(tmp_path):
    session = make(dtype="float32")
    values = np.ones(session.weight.shape) * (1 + 2j)
    imp = import_npy(saved(tmp_path, values), "weight", session)
    assert imp.problem == "complex values do not fit a float32 layer"
    assert imp.proposal == session.spec.replace(dtype="complex64")


@pytest.mark.parametrize(
    ("spec", "name", "shape", "reason", "fields"),
    [
        ({"groups": 2}, "input", (1, 3, 6, 5), "in_channels 3 is not divisible by groups 2",
         ("input", "in_channels", "groups")),
        ({}, "weight", (4, 2, 3), "a weight cannot have 3 dimensions", ("weight",)),
        ({"padding": 2, "padding_mode": "reflect"}, "input", (1, 2, 2, 2),
         "padding 2 must be smaller than the input height 2",
         ("input", "padding", "padding_mode", "input_size")),
        ({}, "grad_output", (1, 4, 0, 3), "no layer fits grad_output",
         ("grad_output", "kernel_size", "dilation", "padding", "input_size")),
    ],
)
def test_import_refuses_with_reason(tmp_path, spec, name, shape, reason, fields):
    session = make(**spec)
    imp = import_npy(saved(tmp_path, np.ones(shape)), name, session)
    assert imp.proposal is None and not imp.fits
    assert reason in imp.refusal and imp.problem in imp.refusal
    with pytest.raises(SpecError, match="does not fit") as info:
        imp.apply(session)
    assert info.value.fields == (name,) and info.value.numbers == {"shape": shape}
    with pytest.raises(SpecError, match=reason) as info:  # the refusal behind it
        fitting_spec(session.spec, name, np.ones(shape))
    assert info.value.fields == fields
    assert info.value.numbers["shape"] == shape


def test_import_unknown_tensor_name(tmp_path):
    with pytest.raises(ValueError, match="unknown tensor 'output'"):
        import_npy(saved(tmp_path, np.ones(3)), "output", make())


def test_fitting_spec_keeps_other_hyperparameters():
    spec = LayerSpec(2, 2, 3, stride=2, dilation=2, padding=1, padding_mode="replicate")
    fitted = fitting_spec(spec, "input", np.ones((3, 2, 11, 9)))
    assert (fitted.stride, fitted.dilation, fitted.padding, fitted.padding_mode) == (
        (2, 2), (2, 2), (1, 1), "replicate"
    )
