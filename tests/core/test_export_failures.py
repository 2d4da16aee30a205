"""A folder export is all or nothing: whatever fails, the folder is left as it was.

Failures are injected through the export's two seams (`_write_file`: one staged file;
`_move`: one rename while swapping the files in) after k successful calls, for every k, and
simulated for the file system (disk full, no permission, a name taken by a folder). Tests
may run as root, where chmod does not stop a write, so permissions are simulated too.
"""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import numpy as np
import pytest

import core.io.export as export
from core.conv import compute
from core.io.atomic import WriteError
from core.io.export import export_npy
from core.session import Session
from core.spec import LayerSpec
from gui.cli.headless import cli_export


def make(bias: bool, seed: int) -> Session:
    spec = LayerSpec(in_channels=2, out_channels=3, kernel_size=3, input_size=(5, 6), bias=bias,
                     padding=1)
    return Session.default(spec, seed=seed)


def run_export(folder, session: Session) -> list[Path]:
    s = session
    return export_npy(folder, s, compute(s.spec, s.input, s.weight, s.bias, s.grad_output))


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder`` (hidden ones included) with its bytes; None for folders."""
    return {str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def old_export(tmp_path) -> Path:
    """A folder holding an earlier export (with a bias) and a file of the user's."""
    folder = tmp_path / "out"
    run_export(folder, make(bias=True, seed=1))
    (folder / "notes.txt").write_text("mine")
    return folder


def fail_after(monkeypatch, seam: str, k: int, error: OSError) -> list[int]:
    """Make ``export.<seam>`` raise ``error`` on its call number k (0-based); count calls."""
    real, calls = getattr(export, seam), [0]

    def flaky(*args):
        calls[0] += 1
        if calls[0] == k + 1:
            raise error
        real(*args)

    monkeypatch.setattr(export, seam, flaky)
    return calls


def disk_full() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# 9 files with a bias, 7 without; with an old export in place each file is set aside, then
# moved in (18 renames), and without a bias the two old bias files are set aside too (16).
@pytest.mark.parametrize(("bias", "k"), [(True, k) for k in range(9)]
                         + [(False, k) for k in range(7)])
def test_a_write_failing_after_k_files_leaves_the_folder_as_it_was(old_export, monkeypatch,
                                                                     bias, k):
    before = snapshot(old_export)
    fail_after(monkeypatch, "_write_file", k, disk_full())
    with pytest.raises(WriteError, match=f"cannot export to {old_export}: No space left"):
        run_export(old_export, make(bias=bias, seed=2))
    assert snapshot(old_export) == before


@pytest.mark.parametrize(("bias", "k"), [(True, k) for k in range(18)]
                         + [(False, k) for k in range(16)])
def test_a_rename_failing_after_k_leaves_the_folder_as_it_was(old_export, monkeypatch, bias, k):
    before = snapshot(old_export)
    calls = fail_after(monkeypatch, "_move", k, OSError(errno.EIO, os.strerror(errno.EIO)))
    with pytest.raises(WriteError, match="Input/output error"):
        run_export(old_export, make(bias=bias, seed=2))
    assert snapshot(old_export) == before
    assert calls[0] == k + 1  # the failure was at rename k, not earlier


def test_the_renames_counted_above_are_all_of_them(old_export, monkeypatch):
    for bias, total in ((True, 18), (False, 16)):
        run_export(old_export, make(bias=True, seed=1))
        calls = fail_after(monkeypatch, "_move", 10**6, disk_full())
        run_export(old_export, make(bias=bias, seed=2))
        assert calls[0] == total
        monkeypatch.undo()


def test_a_success_replaces_every_file_and_keeps_the_users(old_export):
    session = make(bias=False, seed=2)
    written = run_export(old_export, session)
    names = sorted(p.name for p in old_export.iterdir())
    assert names == sorted([p.name for p in written] + ["notes.txt"])
    assert "bias.npy" not in names and "grad_bias.npy" not in names
    np.testing.assert_array_equal(np.load(old_export / "input.npy"), session.input)
    assert (old_export / "notes.txt").read_text() == "mine"


def test_disk_full_while_a_file_is_half_written(old_export, monkeypatch):
    before = snapshot(old_export)
    real, calls = export._write_file, [0]

    def half(path, write):
        calls[0] += 1
        if calls[0] < 3:
            return real(path, write)
        with open(path, "xb") as f:
            f.write(b"\x93NUMPY half")
        raise disk_full()

    monkeypatch.setattr(export, "_write_file", half)
    stderr = io.StringIO()
    assert cli_export(None, old_export, stderr) == 1
    assert stderr.getvalue() == f"convviz: cannot export to {old_export}: No space left on device\n"
    assert snapshot(old_export) == before


def test_a_name_taken_by_a_folder_is_refused_before_anything_is_written(old_export):
    (old_export / "output.npy").unlink()
    (old_export / "output.npy").mkdir()
    (old_export / "output.npy" / "inside").write_text("kept")
    before = snapshot(old_export)
    with pytest.raises(WriteError, match=f"{old_export / 'output.npy'} is a folder, not a file"):
        run_export(old_export, make(bias=True, seed=2))
    assert snapshot(old_export) == before


def test_a_target_that_is_a_file(tmp_path):
    target = tmp_path / "taken"
    target.write_text("a file")
    with pytest.raises(WriteError, match=f"cannot export to {target}: it is a file, not a folder"):
        run_export(target, make(bias=True, seed=2))
    assert target.read_text() == "a file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_missing_parents_are_created(tmp_path):
    written = run_export(tmp_path / "a" / "b" / "out", make(bias=True, seed=2))
    assert len(written) == 9 and all(p.is_file() for p in written)


def test_a_failure_removes_the_folders_it_created(tmp_path, monkeypatch):
    fail_after(monkeypatch, "_write_file", 4, disk_full())
    with pytest.raises(WriteError, match="No space left"):
        run_export(tmp_path / "a" / "b" / "out", make(bias=True, seed=2))
    assert list(tmp_path.iterdir()) == []


def test_a_parent_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(WriteError, match=f"cannot create the folder {tmp_path / 'file' / 'out'}: "
                                         f"{tmp_path / 'file'} is a file"):
        run_export(tmp_path / "file" / "out", make(bias=True, seed=2))


def test_a_read_only_parent_refusing_the_new_folder(tmp_path, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(WriteError, match=f"cannot create the folder {tmp_path / 'out'}: "
                                         "Permission denied"):
        run_export(tmp_path / "out", make(bias=True, seed=2))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_an_existing_folder_in_a_read_only_parent_is_exported_into(old_export):
    """Nothing is written beside the folder, so its parent's permissions do not matter."""
    parent = old_export.parent
    parent.chmod(0o555)
    try:
        run_export(old_export, make(bias=False, seed=2))
    finally:
        parent.chmod(0o755)
    assert (old_export / "spec.json").is_file() and not (old_export / "bias.npy").exists()


def test_a_folder_refusing_the_staging_folder(old_export, monkeypatch):
    before = snapshot(old_export)

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(export.tempfile, "mkdtemp", refuse)
    with pytest.raises(WriteError, match=f"cannot export to {old_export}: Permission denied"):
        run_export(old_export, make(bias=True, seed=2))
    assert snapshot(old_export) == before


def test_an_undo_that_fails_too_says_where_the_old_files_are(old_export, monkeypatch):
    before = snapshot(old_export)
    real_replace, calls = os.replace, [0]

    def move(src, dst):
        calls[0] += 1
        if calls[0] == 6:
            raise disk_full()
        real_replace(src, dst)

    def broken(*args):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(export, "_move", move)
    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(WriteError, match="putting the old files back failed too "
                                         r"\(Input/output error\): they are in ") as info:
        run_export(old_export, make(bias=True, seed=2))
    monkeypatch.undo()
    kept = Path(str(info.value).rsplit("they are in ", 1)[1])
    # renames 1-5 set input, weight and bias aside and moved the new input and weight in
    assert sorted(p.name for p in kept.iterdir()) == ["bias.npy", "input.npy", "weight.npy"]
    for name in ("input.npy", "weight.npy", "bias.npy"):
        assert (kept / name).read_bytes() == before[name]


def test_an_empty_folder_name_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WriteError, match="the folder name is empty"):
        run_export("", make(bias=True, seed=2))
    assert list(tmp_path.iterdir()) == []
