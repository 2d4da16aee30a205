"""Session files and atomic writes: round trips, hostile files, and failed writes.

No Qt and no torch here. Failures are simulated with monkeypatch (tests may run as root,
where chmod does not stop a write).
"""

from __future__ import annotations

import errno
import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy_format
from session_checks import assert_same_session

from core.io.atomic import WriteError, atomic_write, atomic_write_bytes
from core.io.session_io import FORMAT_VERSION, SessionError, load_session, save_session
from core.session import Session
from core.spec import DTYPES, LayerSpec


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def default(**spec: object) -> Session:
    base = {"in_channels": 2, "out_channels": 4, "kernel_size": 3, "input_size": (6, 7)}
    return Session.default(LayerSpec(**{**base, **spec}), seed=7)


# -- round trips -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", [None, 1, 3, 0])
@pytest.mark.parametrize("bias", [True, False])
def test_save_load_round_trip(tmp_path, dtype, batch, bias):
    session = default(dtype=dtype, batch=batch, bias=bias, padding=1)
    save_session(tmp_path / "s.npz", session)
    assert_same_session(load_session(tmp_path / "s.npz"), session)
    assert leftovers(tmp_path) == ["s.npz"]


@pytest.mark.parametrize(
    "spec",
    [
        {"padding": "same", "kernel_size": (2, 3), "dilation": (2, 1)},
        {"padding": "valid", "stride": (2, 3)},
        {"padding": (2, 1), "padding_mode": "reflect", "groups": 2},
        {"padding": 1, "padding_mode": "circular", "dilation": 2},
        {"padding": (0, 2), "padding_mode": "replicate", "stride": 2},
    ],
)
def test_round_trip_keeps_every_hyperparameter(tmp_path, spec):
    session = default(**spec)
    session = session.with_tensor("grad_output", np.arange(session.grad_output.size).reshape(
        session.grad_output.shape) * 0.5)
    save_session(tmp_path / "s.npz", session)
    assert_same_session(load_session(tmp_path / "s.npz"), session)


def test_file_holds_plain_arrays_only(tmp_path):
    session = default(dtype="complex64")
    save_session(tmp_path / "s.npz", session)
    with np.load(tmp_path / "s.npz", allow_pickle=False) as npz:
        assert set(npz.files) == {"format", "spec", "input", "weight", "bias", "grad_output"}
        assert npz["spec"].dtype.kind == "U" and npz["spec"].ndim == 0
        assert int(npz["format"]) == FORMAT_VERSION
        assert json.loads(str(npz["spec"])) == session.spec.to_dict()
        assert not any(npz[n].dtype.hasobject for n in npz.files)


def test_save_overwrites_and_load_accepts_str_path(tmp_path):
    path = tmp_path / "s.npz"
    save_session(path, default())
    second = default(out_channels=2, bias=False)
    save_session(str(path), second)
    assert_same_session(load_session(str(path)), second)


# -- hostile files -----------------------------------------------------------------------
def entries(session: Session) -> dict[str, np.ndarray]:
    return {
        "format": np.array(FORMAT_VERSION),
        "spec": np.array(json.dumps(session.spec.to_dict())),
        **session.tensors(),
    }


def refused(path: Path) -> str:
    return str(refusal(path))


def refusal(path: Path) -> SessionError:
    with pytest.raises(SessionError) as info:
        load_session(path)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert message.startswith(f"cannot open {path}: "), message
    assert "\n" not in message
    return info.value


def write_npz(path: Path, arrays: dict[str, np.ndarray], allow_pickle: bool = False) -> Path:
    with open(path, "wb") as f:
        np.savez(f, allow_pickle=allow_pickle, **arrays)
    return path


def test_refuses_object_arrays(tmp_path):
    arrays = entries(default())
    arrays["input"] = np.array([object(), 1.0], dtype=object)
    path = write_npz(tmp_path / "obj.npz", arrays, allow_pickle=True)
    assert "'input' holds Python objects (pickled data)" in refused(path)


def test_refuses_pickled_spec(tmp_path):
    arrays = entries(default())
    arrays["spec"] = np.array([json.dumps(default().spec.to_dict())], dtype=object)
    path = write_npz(tmp_path / "obj.npz", arrays, allow_pickle=True)
    assert "'spec' holds Python objects" in refused(path)


def test_refuses_entries_no_session_holds_and_pickled_results(tmp_path):
    """An extra entry was dropped at the next Save without a word, a pickled one too (never
    loaded); an export's results are known entries, but a pickled one is refused (review r13
    R10)."""
    arrays = entries(default())
    arrays["evil"] = np.array([object()], dtype=object)
    path = write_npz(tmp_path / "extra.npz", arrays, allow_pickle=True)
    assert "unknown entries 'evil': a ConvViz session holds format, spec" in refused(path)
    arrays = entries(default())
    arrays["output"] = np.array([object()], dtype=object)
    path = write_npz(tmp_path / "result.npz", arrays, allow_pickle=True)
    assert "'output' holds Python objects (pickled data)" in refused(path)
    arrays = entries(default())
    arrays["output"] = np.zeros(3)  # an export's result: read as the session it holds
    assert load_session(write_npz(tmp_path / "export.npz", arrays)).spec == default().spec


def test_refuses_a_pickle(tmp_path):
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"input": [1.0]}))
    assert "pickled data is never loaded" in refused(path)


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9, 0.999])
def test_refuses_truncated_zip(tmp_path, keep):
    save_session(tmp_path / "s.npz", default())
    data = (tmp_path / "s.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: int(len(data) * keep)])
    assert "truncated or corrupt" in refused(tmp_path / "cut.npz")


def test_refuses_corrupt_member(tmp_path):
    save_session(tmp_path / "s.npz", default())
    data = bytearray((tmp_path / "s.npz").read_bytes())
    start = data.index(b"weight.npy")
    data[start - 200] ^= 0xFF  # inside the input's data: the CRC no longer matches
    (tmp_path / "bad.npz").write_bytes(bytes(data))
    assert "entry 'input' is corrupt" in refused(tmp_path / "bad.npz")


def test_refuses_empty_garbage_npy_and_missing(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    assert "empty" in refused(tmp_path / "empty.npz")
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not really a zip")
    assert "truncated or corrupt" in refused(tmp_path / "junk.npz")
    np.save(tmp_path / "one.npy", np.zeros(3))
    assert "single .npy array" in refused(tmp_path / "one.npy")
    assert "No such file" in refused(tmp_path / "nowhere.npz")


@pytest.mark.parametrize("name", ["input", "weight", "bias", "grad_output"])
def test_refuses_missing_tensor(tmp_path, name):
    arrays = entries(default())
    del arrays[name]
    error = refusal(write_npz(tmp_path / "m.npz", arrays))
    assert f"missing tensor(s): {name}" in str(error)
    assert error.fields == (name,)


def test_refuses_wrong_shape_naming_tensor_and_shapes(tmp_path):
    arrays = entries(default(batch=1))
    arrays["weight"] = np.zeros((4, 2, 3, 2))
    error = refusal(write_npz(tmp_path / "w.npz", arrays))
    assert "tensor 'weight' has shape (4, 2, 3, 2) but the spec needs (4, 2, 3, 3)" in str(error)
    assert error.fields == ("weight",)
    assert error.numbers == {"shape": (4, 2, 3, 2), "expected": (4, 2, 3, 3)}


def test_refuses_spec_with_groups_that_do_not_divide(tmp_path):
    arrays = entries(default())
    spec = default().spec.to_dict() | {"in_channels": 3, "groups": 2}
    arrays["spec"] = np.array(json.dumps(spec))
    error = refusal(write_npz(tmp_path / "g.npz", arrays))
    assert "invalid layer spec: in_channels 3 is not divisible by groups 2" in str(error)
    assert error.fields == ("in_channels", "groups")  # the spec's refusal, kept
    assert error.numbers == {"channels": 3, "groups": 2}


@pytest.mark.parametrize(
    ("spec", "expected", "fields"),
    [
        ("{not json", "the spec is not valid JSON", ()),
        ('{"in_channels": 1}', "spec is missing field(s): kernel_size, out_channels",
         ("kernel_size", "out_channels")),
        ('{"in_channels": 1, "out_channels": 1, "kernel_size": 9, "input_size": 4}',
         "kernel height extent 9", ("kernel_size", "dilation", "padding", "input_size")),
        ("[1, 2]", "a layer spec must be a JSON object", ()),
        ('{"in_channels": 1, "out_channels": 1, "kernel_size": 1, "hue": 2}',
         "unknown spec field(s): hue", ("hue",)),
    ],
)
def test_refuses_bad_specs(tmp_path, spec, expected, fields):
    arrays = entries(default()) | {"spec": np.array(spec)}
    error = refusal(write_npz(tmp_path / "s.npz", arrays))
    assert expected in str(error)
    assert error.fields == fields


def test_refuses_wrong_dtype_kinds(tmp_path):
    arrays = entries(default())
    arrays["input"] = np.zeros(arrays["input"].shape, dtype=np.int64)
    assert "tensor 'input' has dtype int64; a float or complex type is needed" in refused(
        write_npz(tmp_path / "i.npz", arrays)
    )
    arrays = entries(default()) | {"format": np.array(1.0)}
    assert "'format' entry must be one integer" in refused(write_npz(tmp_path / "f.npz", arrays))
    arrays = entries(default()) | {"spec": np.array(3)}
    assert "'spec' entry must be one JSON string" in refused(write_npz(tmp_path / "s.npz", arrays))


def test_refuses_dtype_that_differs_from_spec(tmp_path):
    arrays = entries(default(dtype="float32"))
    arrays["grad_output"] = arrays["grad_output"].astype(np.complex64)
    message = refused(write_npz(tmp_path / "d.npz", arrays))
    assert "tensor 'grad_output' has dtype complex64 but the spec says float32" in message


def test_refuses_bias_the_spec_does_not_have(tmp_path):
    arrays = entries(default(bias=False)) | {"bias": np.zeros(4)}
    assert "bias tensor but the spec says bias=False" in refused(
        write_npz(tmp_path / "b.npz", arrays)
    )


def test_refuses_unknown_or_missing_format(tmp_path):
    arrays = entries(default()) | {"format": np.array(FORMAT_VERSION + 1)}
    message = refused(write_npz(tmp_path / "v.npz", arrays))
    assert f"format version {FORMAT_VERSION + 1} is not supported" in message
    arrays = entries(default())
    del arrays["format"]
    assert "not a ConvViz session" in refused(write_npz(tmp_path / "n.npz", arrays))


def test_one_d_spec_string_is_accepted(tmp_path):
    session = default()
    arrays = entries(session) | {"spec": np.array([json.dumps(session.spec.to_dict())])}
    assert_same_session(load_session(write_npz(tmp_path / "s.npz", arrays)), session)


# -- atomic writes -----------------------------------------------------------------------
def test_atomic_write_writes_and_leaves_nothing_else(tmp_path):
    atomic_write_bytes(tmp_path / "a.txt", b"hello")
    assert (tmp_path / "a.txt").read_text() == "hello"
    assert leftovers(tmp_path) == ["a.txt"]


def test_disk_full_midway_leaves_no_file(tmp_path):
    def writer(f):
        f.write(b"x" * 1000)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(WriteError) as info:
        atomic_write(tmp_path / "a.bin", writer)
    assert str(info.value) == f"cannot write {tmp_path / 'a.bin'}: No space left on device"
    assert info.value.errno == errno.ENOSPC
    assert leftovers(tmp_path) == []


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "s.npz"
    old = default()
    save_session(path, old)

    def full_disk(f, **arrays):
        f.write(b"PK\x03\x04partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(WriteError, match="No space left on device"):
        save_session(path, default(out_channels=1))
    monkeypatch.undo()
    assert leftovers(tmp_path) == ["s.npz"]
    assert_same_session(load_session(path), old)


def test_permission_denied(tmp_path, monkeypatch):
    def no_permission(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr("core.io.atomic.os.open", no_permission)
    with pytest.raises(WriteError) as info:
        save_session(tmp_path / "s.npz", default())
    assert str(info.value) == f"cannot write {tmp_path / 's.npz'}: Permission denied"
    assert isinstance(info.value, OSError)
    monkeypatch.undo()
    assert leftovers(tmp_path) == []


def test_rename_refused_removes_temporary(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr("core.io.atomic.os.replace", refuse)
    with pytest.raises(WriteError, match="Permission denied"):
        save_session(tmp_path / "s.npz", default())
    assert leftovers(tmp_path) == []


def test_missing_folder(tmp_path):
    path = tmp_path / "gone" / "s.npz"
    with pytest.raises(WriteError) as info:
        save_session(path, default())
    assert str(info.value) == f"cannot write {path}: the folder {path.parent} does not exist"
    assert leftovers(tmp_path) == []


def test_bug_in_writer_propagates_and_cleans_up(tmp_path):
    def buggy(f):
        f.write(b"half")
        raise KeyError("boom")

    with pytest.raises(KeyError):
        atomic_write(tmp_path / "a.bin", buggy)
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_rewrite_keeps_permissions(tmp_path):
    path = tmp_path / "a.txt"
    atomic_write_bytes(path, b"one")
    path.chmod(0o640)
    atomic_write_bytes(path, b"two")
    assert path.stat().st_mode & 0o777 == 0o640
    assert path.read_text() == "two"


def test_refuses_header_that_promises_more_than_the_file_holds(tmp_path):
    spec = LayerSpec(2, 4, 3, input_size=(3_000_000, 3))
    path = tmp_path / "s.npz"
    small = {"format": np.array(1), "spec": np.array(json.dumps(spec.to_dict())),
             "weight": np.zeros(1), "bias": np.zeros(1), "grad_output": np.zeros(1)}
    with zipfile.ZipFile(path, "w") as archive:
        for name, a in small.items():
            buffer = io.BytesIO()
            np.save(buffer, a)
            archive.writestr(f"{name}.npy", buffer.getvalue())
        buffer = io.BytesIO()
        header = {"descr": "<f8", "fortran_order": False, "shape": spec.input_shape}
        npy_format.write_array_header_1_0(buffer, header)
        archive.writestr("input.npy", buffer.getvalue() + np.zeros(18).tobytes())
    message = refused(path)
    assert "entry 'input' is corrupt: shape (1, 2, 3000000, 3) of float64 needs 144000000 " \
        "bytes but it holds 144" in message
