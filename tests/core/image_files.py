"""Picture files for the image tests: made here with Pillow (or by hand, for hostile ones)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def write_png(path: Path, pixels: np.ndarray) -> Path:
    """(H, W) or (H, W, 3) uint8 pixels as a PNG."""
    Image.fromarray(pixels).save(path)
    return path


def random_pixels(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def header_only_png(path: Path, width: int, height: int) -> Path:
    """A PNG whose header says width × height, with (almost) no pixel data: reading its size
    costs nothing, decoding it would allocate width·height bytes and then fail."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    data = zlib.compress(b"\0" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data)
                     + _chunk(b"IEND", b""))
    return path
