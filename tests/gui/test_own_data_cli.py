"""``main.py … --import-layer/--import-image … --screenshot``: the imports compose with a
window and a figure; a bad file stops before any window with one line and exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch
from PIL import Image

from tests.core.checkpoint_files import small_model
from tests.core.image_files import random_pixels, write_png

ROOT = Path(__file__).resolve().parents[2]


def run_main(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def test_screenshot_of_an_imported_layer_and_picture(tmp_path):
    torch.save(small_model().state_dict(), tmp_path / "m.pt")
    write_png(tmp_path / "p.png", random_pixels((30, 40, 3)))
    shot = tmp_path / "shot.png"
    done = run_main("--import-layer", tmp_path / "m.pt", "0.weight", "--import-image",
                    tmp_path / "p.png", "--image-size", "24x32", "--gray", "--select",
                    "output[0,7,3,4]", "--screenshot", shot)
    assert done.returncode == 0, done.stderr
    with Image.open(shot) as image:
        assert image.size[0] > 800
    notes = done.stderr.strip().splitlines()
    assert [n.split(":")[1].strip() for n in notes] == ["note", "note"], done.stderr
    assert "0.weight (8, 3, 3, 3) with bias" in notes[0] and "3 × 24 × 32" in notes[1]


def test_a_bad_picture_stops_before_the_window(tmp_path):
    (tmp_path / "bad.png").write_text("no")
    done = run_main("--import-image", tmp_path / "bad.png", "--screenshot", tmp_path / "s.png")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "convviz: cannot read bad.png: not an image Pillow can read (PNG, JPEG, BMP, GIF, "
        "TIFF…), or its header is damaged"]
    assert not (tmp_path / "s.png").exists()
