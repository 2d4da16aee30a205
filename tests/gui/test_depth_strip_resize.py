"""A Conv3d's depth strip, as the app is styled, fits again when the window is resized with
a sum selected, or a new session is shown: the three 'same'-padded slices of grad_weight
[0,1,0,0,0] print at 1280×800 at term 7 too, whose window reaches into the padded border
no term reads (the crop took it in, then printed nothing, and fell back to whole planes),
when the window is made 1280×800 from 1600×1000 (a teacher moving to the projector), and
back."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtWidgets import QApplication
from test_depth_strip_layout import assert_laid_out

from core.io.presets import load_preset
from gui.selection import Selection


@pytest.fixture
def styled():
    """The app's style sheet, as a real window has it (its fonts decide what prints)."""
    from gui import resources

    app = QApplication.instance()
    app.setStyleSheet(resources.style_sheet())
    yield
    app.setStyleSheet("")


def _lines_px(note) -> int:
    """The height ``note``'s text takes at its width, measured on a fresh label."""
    from PySide6.QtWidgets import QLabel

    fresh = QLabel(note.text())
    fresh.setWordWrap(True)
    fresh.setFont(note.font())
    fresh.setStyleSheet(note.styleSheet())
    fresh.ensurePolished()
    return fresh.heightForWidth(note.width())


def test_a_strip_refits_when_the_window_is_resized(make_window, qtbot, styled):
    window = make_window(load_preset("conv3d_basic"))
    window.resize(1600, 1000)
    window.document.set_spec(dataclasses.replace(window.document.spec, padding="same"))
    qtbot.wait(20)
    window.selection.set_selection(Selection("grad_weight", (0, 1, 0, 0, 0), step=7))
    strip = window.grids.grids["input"].depths
    qtbot.waitUntil(strip.shows_values, timeout=2000)
    for size in ((1280, 800), (1600, 1000), (1280, 800), (1400, 800)):
        window.resize(*size)
        qtbot.waitUntil(strip.shows_values, timeout=2000)
        assert_laid_out(strip)
        if strip.note.isVisible():  # as tall as its lines now: at 1400 px one, not the two
            # of 1280 px it kept (Qt's heightForWidth never goes below a minimum height)
            assert strip.note.minimumHeight() == _lines_px(strip.note), size


def test_a_strip_shown_again_after_a_new_session_fits_the_new_size(make_window, qtbot,
                                                                   styled):
    window = make_window(load_preset("conv3d_basic"))
    strip = window.grids.grids["input"].depths
    for size in ((1600, 1000), (1280, 800)):
        window.resize(*size)
        qtbot.wait(20)
        window.document.replace_session(load_preset("conv3d_basic"))
        window.document.set_spec(dataclasses.replace(window.document.spec, padding="same"))
        qtbot.wait(20)
        window.selection.set_selection(Selection("grad_weight", (0, 1, 0, 0, 0), step=7))
        qtbot.waitUntil(strip.shows_values, timeout=2000)
        assert_laid_out(strip)
