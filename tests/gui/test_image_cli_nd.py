"""``--import-image`` on a Conv1d or Conv3d says first that such a layer takes no picture
(it asked for --image-color first, review r11 #16); nothing else is tried."""

from __future__ import annotations

import io

import pytest

import main
from gui.cli.import_options import cli_session
from tests.core.image_files import random_pixels, write_png


@pytest.mark.parametrize("preset, layer", [("conv3d_basic", "Conv3d"),
                                           ("conv1d_basic", "Conv1d"),
                                           ("conv_transpose3d", "ConvTranspose3d")])
def test_a_picture_into_a_1d_or_3d_layer_is_refused_first_for_its_axes(tmp_path, preset,
                                                                        layer):
    write_png(tmp_path / "p.png", random_pixels((12, 10, 3)))
    args = main.build_parser().parse_args([preset, "--import-image", str(tmp_path / "p.png")])
    err = io.StringIO()
    assert cli_session(args, err) == 2
    line = err.getvalue()
    assert line.count("\n") == 1
    assert line.startswith(f"convviz: a picture is a 2D input but the layer is a {layer}")
    assert "make the layer 2D (Conv2d or ConvTranspose2d) first" in line
    assert "--image-color" not in line
