"""Presets through the menu (checked against torch), and the compute engine's threading."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from gui_checks import assert_results_match_core

import gui.compute as compute_module
from core.io.presets import list_presets, load_preset
from core.session import Session
from core.spec import LayerSpec
from core.verify.crosscheck import crosscheck
from gui.compute import ComputeEngine
from gui.crosscheck import CrossChecker, CrossCheckResult
from gui.torch_probe import TorchStatus

PRESETS = [p.name for p in list_presets()]


def test_the_menu_lists_every_preset(window):
    names = window.presets_menu.names()  # grouped by kind of layer (test_presets_menu.py)
    assert sorted(names) == sorted(PRESETS) and names[0] == PRESETS[0] == "default"
    assert len(PRESETS) >= 7


@pytest.mark.parametrize("name", PRESETS)
def test_each_preset_loads_and_matches_torch(window, name):
    window.presets_menu.load(name)
    want = load_preset(name)
    s = window.document.session
    assert s.spec == want.spec
    for key, a in want.tensors().items():
        np.testing.assert_array_equal(s.tensor(key), a)
    rtol = 1e-5 if s.spec.dtype in ("float32", "complex64") else 1e-12
    assert_results_match_core(window, rtol=rtol)
    r = window.engine.latest.results
    check = crosscheck(s.spec, s.input, s.weight, s.bias, s.grad_output, r)
    assert check.ok, check.summary()
    assert window.panel.spec_from_fields() == s.spec
    window.undo_action.trigger()  # loading a preset is one undo step
    assert window.document.spec != s.spec or name == "default"


def test_status_bar_shows_the_cross_check(window):
    window.start_background()  # synchronous engine: torch loads inline here
    assert window.torch_probe.cuda_available is not None
    assert window.engine.cuda_available == window.torch_probe.cuda_available
    assert "matches torch, max |Δ| = " in window.status.check.text()
    window.grids.grids["weight"].fill_tensor("random")
    assert "matches torch" in window.status.check.text()
    assert window.status.check.property("state") == "ok"


def _session(k: int) -> Session:
    return Session.default(LayerSpec(2, 3, 3, input_size=(6 + k, 6), padding=1), seed=k)


def test_worker_drops_stale_results(qtbot, monkeypatch):
    monkeypatch.setattr(compute_module, "INLINE_BUDGET_S", 0.0)  # everything on the worker
    monkeypatch.setattr(compute_module, "IMMEDIATE_BUDGET_S", 0.0)
    engine = ComputeEngine()
    shown = []
    engine.resultReady.connect(shown.append)
    try:
        for k in range(12):
            last = engine.request(_session(k))
        qtbot.waitUntil(lambda: engine.latest is not None and engine.latest.generation == last,
                        timeout=10_000)
        generations = [r.generation for r in shown]
        assert generations == sorted(generations)  # never goes back in time
        assert len(shown) < 12  # requests in between were coalesced
        assert engine.latest.session.spec.input_size == (17, 6)
        qtbot.waitUntil(lambda: not engine.busy, timeout=5000)
    finally:
        engine.shutdown()
        engine.deleteLater()


def test_tiny_scenes_compute_at_once_small_ones_on_the_next_turn(qtbot, monkeypatch):
    engine = ComputeEngine()
    try:
        engine.request(_session(0))
        assert engine.latest is not None and engine.latest.seconds < 0.025  # at once
        monkeypatch.setattr(compute_module, "IMMEDIATE_BUDGET_S", 0.0)
        with qtbot.waitSignal(engine.resultReady, timeout=5000) as blocker:
            engine.request(_session(1))
            assert engine.latest.session.spec.input_size == (6, 6)  # not yet
        assert blocker.args[0].session.spec.input_size == (7, 6)
    finally:
        engine.shutdown()
        engine.deleteLater()


def test_background_window_follows_edits(make_window, qtbot, monkeypatch):
    monkeypatch.setattr(compute_module, "INLINE_BUDGET_S", 0.0)
    monkeypatch.setattr(compute_module, "IMMEDIATE_BUDGET_S", 0.0)
    window = make_window(synchronous=False)
    qtbot.waitUntil(lambda: window.engine.latest is not None, timeout=10_000)
    for v in range(5):
        window.grids.grids["bias"].editor.fill("ones" if v % 2 else "zeros", "tensor")
    qtbot.waitUntil(lambda: window.engine.latest.session is window.document.session,
                    timeout=10_000)
    assert_results_match_core(window)


def test_a_synchronous_window_starts_no_thread(make_window):
    """Synchronous mode computes, loads torch and cross-checks inline: no worker thread."""
    before = {t.ident for t in threading.enumerate()}
    window = make_window()
    window.start_background()
    window.grids.grids["weight"].fill_tensor("random")
    assert "matches torch" in window.status.check.text()
    started = [t.name for t in threading.enumerate() if t.ident not in before]
    assert not [name for name in started if name.startswith("convviz-")], started


def test_a_check_of_a_result_no_longer_shown_is_dropped(qtbot):
    """The cross-check of a result replaced before its check arrived is not shown; the
    newest result's is (a worker thread, as in the app)."""
    engine, checker = ComputeEngine(synchronous=True), CrossChecker()
    engine.resultReady.connect(checker.set_result)
    checked: list[CrossCheckResult] = []
    checker.crossCheckReady.connect(checked.append)
    try:
        checker.set_torch_status(TorchStatus(cuda_available=False))
        engine.request(_session(0))
        checker._on_timer_timeout()  # the first result's check starts at once...
        engine.request(_session(1))  # ...and a newer result arrives while it runs
        qtbot.waitUntil(lambda: len(checked) == 1, timeout=30_000)
        assert checked[0].generation == engine.latest.generation
        assert checked[0].check.ok, checked[0].check.summary()
    finally:
        for part in (engine, checker):
            part.shutdown()
            part.deleteLater()
