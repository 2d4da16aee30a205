"""Test-wide settings: headless Qt, private data/config/cache folders, hypothesis profiles."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile

# Before anything imports Qt: tests never need a screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The suite never touches the user's autosaves, settings (QSettings reads XDG_CONFIG_HOME) or
# log: each run gets folders of its own, removed at the end. Subprocesses inherit them.
_HOME = tempfile.mkdtemp(prefix="convviz-tests-")
for _var, _name in (("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                    ("XDG_CACHE_HOME", "cache")):
    os.environ[_var] = os.path.join(_HOME, _name)


def pytest_sessionfinish(session, exitstatus) -> None:
    shutil.rmtree(_HOME, ignore_errors=True)


def pytest_collection_finish(session) -> None:
    """What collection imported (numpy, torch, Qt, pyqtgraph: about 200,000 objects) lives as
    long as the run: frozen, the garbage collector stops scanning it at every full collection
    (the GUI tests' leak check collects twice per test: 0.14 s of CPU each time unfrozen,
    microseconds frozen). Objects made later, by the tests, are collected as before."""
    gc.collect()
    gc.freeze()

from hypothesis import HealthCheck, settings  # noqa: E402

# A property test states the examples it needs with @settings(max_examples=...); the rest get
# the default profile's 100. Generation stays random (not derandomized): each run explores
# layers the last did not, and a failure prints the blob that reproduces it
# (@reproduce_failure), the local example database replaying it too.
settings.register_profile(
    "default", max_examples=100, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("quick", max_examples=60, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
