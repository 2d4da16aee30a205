"""Autosave without Qt: where it lives, one locked file per instance, and which rescues a new
instance may offer (only those whose owner is gone — checked with a real second process)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from session_checks import assert_same_session

from core.io import autosave
from core.io.autosave import AutosaveSlot, find_rescues
from core.io.presets import load_preset

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def die(slot: AutosaveSlot) -> None:
    """What the operating system does for a killed instance: its lock goes, its files stay."""
    os.close(slot._fd)
    slot._fd = None


def test_path_follows_xdg_data_home(data_home):
    assert autosave.autosave_dir() == data_home / "convviz" / "autosaves"
    slot = AutosaveSlot()
    assert slot.path.parent == data_home / "convviz" / "autosaves"
    assert slot.path.name.startswith(f"autosave-{os.getpid()}-")


@pytest.mark.parametrize("value", ["", "relative/dir"])
def test_path_without_usable_xdg_is_under_home(tmp_path, monkeypatch, value):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", value)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert autosave.autosave_dir() == tmp_path / ".local" / "share" / "convviz" / "autosaves"


def test_platform_conventions(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "darwin")
    assert autosave.data_dir() == tmp_path / "Library" / "Application Support" / "ConvViz"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert autosave.data_dir() == Path(tmp_path / "Local") / "ConvViz"


def test_two_instances_have_two_files_and_a_clean_exit_removes_only_its_own(tmp_path):
    a, b = AutosaveSlot(tmp_path, "1-a"), AutosaveSlot(tmp_path, "1-b")
    a.write(load_preset("depthwise"))
    b.write(load_preset("default"))
    assert a.path != b.path and a.path.is_file() and b.path.is_file()
    assert find_rescues(tmp_path) == []  # both alive: nothing to offer
    b.release()
    assert not b.path.exists() and not b.lock_path.exists()
    assert a.path.is_file() and a.lock_path.is_file()
    a.release()


def test_a_dead_instance_is_offered_once_and_declining_removes_only_it(tmp_path):
    alive, dead = AutosaveSlot(tmp_path, "1-alive"), AutosaveSlot(tmp_path, "2-dead")
    alive.write(load_preset("default"))
    session = load_preset("depthwise")
    dead.write(session)
    die(dead)
    rescues = find_rescues(tmp_path)
    assert [r.path for r in rescues] == [dead.path] and rescues[0].owner == "2"
    assert find_rescues(tmp_path) == []  # claimed by the first finder while it decides
    assert_same_session(rescues[0].read(), session)
    rescues[0].discard()
    assert not dead.path.exists() and not dead.lock_path.exists()
    assert alive.path.is_file()
    alive.release()


def test_a_released_claim_is_offered_again(tmp_path):
    dead = AutosaveSlot(tmp_path, "3-x")
    dead.write(load_preset("default"))
    die(dead)
    (rescue,) = find_rescues(tmp_path)
    rescue.release()
    assert [r.path for r in find_rescues(tmp_path)] == [dead.path]


def test_the_older_single_autosave_is_offered(tmp_path):
    folder = tmp_path / "convviz" / "autosaves"
    legacy = tmp_path / "convviz" / autosave.AUTOSAVE_NAME
    legacy.parent.mkdir(parents=True)
    from core.io.session_io import save_session

    save_session(legacy, load_preset("depthwise"))
    (rescue,) = find_rescues(folder)
    assert rescue.path == legacy and rescue.owner == ""
    rescue.discard()
    assert not legacy.exists()


def test_a_stale_lock_without_a_file_is_cleaned_up(tmp_path):
    slot = AutosaveSlot(tmp_path, "4-y")
    slot.acquire()
    die(slot)
    assert find_rescues(tmp_path) == [] and not slot.lock_path.exists()


def test_an_unreadable_rescue_is_ignored_and_kept(tmp_path, caplog):
    slot = AutosaveSlot(tmp_path, "5-z")
    slot.write(load_preset("default"))
    slot.path.write_bytes(slot.path.read_bytes()[:50])
    die(slot)
    (rescue,) = find_rescues(tmp_path)
    with caplog.at_level(logging.WARNING, logger="core.io.autosave"):
        assert rescue.read() is None
    assert "ignoring the autosave" in caplog.text and slot.path.exists()
    rescue.release()


CHILD = textwrap.dedent("""
    import sys, time
    from core.io.autosave import AutosaveSlot
    from core.io.presets import load_preset
    slot = AutosaveSlot(sys.argv[1])
    slot.write(load_preset("depthwise"))
    print(slot.path, flush=True)
    time.sleep(120)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="kills with SIGKILL")
def test_another_process_rescue_is_offered_only_after_it_is_killed(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        path = Path(child.stdout.readline().strip())
        assert path.is_file()
        assert find_rescues(tmp_path) == []  # its owner runs: not offered, not touched
        assert path.is_file()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    (rescue,) = find_rescues(tmp_path)
    assert rescue.path == path and rescue.owner == str(child.pid)
    assert_same_session(rescue.read(), load_preset("depthwise"))
    rescue.discard()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are Linux's")
def test_the_suite_never_uses_the_users_own_folders():
    home = Path.home().resolve()
    for folder in (autosave.data_dir(), autosave.autosave_dir()):
        assert "convviz-tests-" in str(folder) and home not in folder.resolve().parents
