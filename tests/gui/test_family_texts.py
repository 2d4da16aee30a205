"""The texts that describe the app name the whole family it shows (review r11 #8): Conv1d,
Conv2d, Conv3d and their transposed forms, not Conv2d alone."""

from __future__ import annotations

import re

import main

CONV_2D_ONLY = re.compile(r"Conv(Transpose)?2d (or|and) (nn\.)?ConvTranspose2d")


def test_help_names_the_family():
    text = main.build_parser().format_help()
    assert "nn.Conv1d/2d/3d and nn.ConvTranspose1d/2d/3d" in " ".join(text.split())
    assert "5 in a Conv3d" in " ".join(text.split())
    assert not CONV_2D_ONLY.search(main.__doc__)


def test_window_tips_name_the_family(window):
    texts = {
        "cross-check": window.status.check.toolTip(),
        "import layer": window.imports.layer_action.statusTip(),
        "compare": window.twin_action.toolTip(),
    }
    for what, text in texts.items():
        assert not CONV_2D_ONLY.search(text), what
    assert "nn.Conv1d/2d/3d or nn.ConvTranspose1d/2d/3d" in texts["cross-check"]
    assert "Conv1d/2d/3d or ConvTranspose1d/2d/3d" in texts["import layer"]
