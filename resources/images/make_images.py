"""Writes the sample pictures shipped in this folder, deterministically (numpy + Pillow only).

    python resources/images/make_images.py        # rewrites the PNGs next to this script

* ``shapes.png``      96 × 96 RGB: a red disc, a green square, a blue triangle on a soft
                      vertical gradient — colour, edges at every angle, a smooth background.
* ``checkerboard.png`` 64 × 64 gray: 8-pixel squares — the cleanest test for edge filters.
* ``text.png``        48 × 96 gray: the word CONV in a 5 × 7 bitmap font, scaled 3× — thin
                      strokes, corners.

No font file, no randomness: the same bytes on every machine with the same Pillow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent

_GLYPHS = {  # 5 × 7, '#' on
    "C": [" ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### "],
    "O": [" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
    "N": ["#   #", "##  #", "# # #", "#  ##", "#   #", "#   #", "#   #"],
    "V": ["#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "],
}


def shapes() -> np.ndarray:
    h = w = 96
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.empty((h, w, 3))
    img[...] = (200 + 40 * y / h)[..., None] * np.array([0.85, 0.9, 1.0])  # light gradient
    disc = (y - 30) ** 2 + (x - 30) ** 2 <= 18**2
    square = (y >= 52) & (y < 84) & (x >= 12) & (x < 44)
    triangle = (y >= 20) & (y <= 80) & (np.abs(x - 70) <= (y - 20) * 0.4)
    img[disc] = (220, 40, 40)
    img[square] = (40, 160, 60)
    img[triangle] = (40, 70, 200)
    return np.round(img).clip(0, 255).astype(np.uint8)


def checkerboard() -> np.ndarray:
    y, x = np.mgrid[0:64, 0:64]
    return np.where(((y // 8) + (x // 8)) % 2 == 0, 230, 25).astype(np.uint8)


def text(word: str = "CONV", scale: int = 3) -> np.ndarray:
    cells = np.zeros((7, 6 * len(word) - 1), dtype=bool)
    for i, ch in enumerate(word):
        cells[:, 6 * i : 6 * i + 5] = [[c == "#" for c in row] for row in _GLYPHS[ch]]
    big = np.kron(cells, np.ones((scale, scale), dtype=bool))
    out = np.full((48, 96), 240, dtype=np.uint8)
    top, left = (48 - big.shape[0]) // 2, (96 - big.shape[1]) // 2
    out[top : top + big.shape[0], left : left + big.shape[1]][big] = 20
    return out


def main() -> None:
    for name, pixels in (("shapes", shapes()), ("checkerboard", checkerboard()),
                         ("text", text())):
        Image.fromarray(pixels).save(HERE / f"{name}.png")


if __name__ == "__main__":
    main()
