"""Autosave: where it lives, and write, read and clear without Qt."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from session_checks import assert_same_session

from core import autosave
from core.presets import load_preset


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def test_path_follows_xdg_data_home(data_home):
    assert autosave.autosave_path() == data_home / "convviz" / "autosave.npz"


@pytest.mark.parametrize("value", ["", "relative/dir"])
def test_path_without_usable_xdg_is_under_home(tmp_path, monkeypatch, value):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", value)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert autosave.autosave_path() == tmp_path / ".local" / "share" / "convviz" / "autosave.npz"


def test_platform_conventions(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "darwin")
    assert autosave.data_dir() == tmp_path / "Library" / "Application Support" / "ConvViz"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert autosave.data_dir() == Path(tmp_path / "Local") / "ConvViz"


def test_write_read_clear(data_home):
    assert autosave.read_autosave() is None
    session = load_preset("depthwise")
    path = autosave.write_autosave(session)
    assert path == autosave.autosave_path() and path.is_file()
    assert_same_session(autosave.read_autosave(), session)
    autosave.clear_autosave()
    assert autosave.read_autosave() is None and not path.exists()
    autosave.clear_autosave()  # clearing twice is fine


def test_unreadable_autosave_is_ignored_and_kept(data_home, caplog):
    path = autosave.write_autosave(load_preset("default"))
    path.write_bytes(path.read_bytes()[:50])
    with caplog.at_level(logging.WARNING, logger="core.autosave"):
        assert autosave.read_autosave() is None
    assert "ignoring the autosave" in caplog.text and path.exists()
