"""Hostile files for the loaders' tests, built small: a zip whose central directory declares
gigabytes for a megabyte of deflated zeros, a 128-byte ``.npy`` whose header claims
terabytes, JSON nested 49,000 levels deep.

Shared by tests/core/test_hostile_files.py and the command-line tests in tests/gui (tests/
is on sys.path: pytest puts the folder of tests/conftest.py there).
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

#: A float32 layer whose input and grad_output are declared 4.19 GB each (just under the
#: 4 GiB a zip member may declare without zip64).
HUGE = {"in_channels": 1, "out_channels": 1, "kernel_size": [1, 1], "input_size": [32768, 32000],
        "batch": 1, "bias": False, "dtype": "float32"}
TIB_SHAPE = (1, 1, 2**20, 917504)  # float32: 3.5 TiB
DEEP = "[" * 49_000 + "]" * 49_000  # 98,000 characters, under the spec's cap


def npy_header(shape: tuple[int, ...], dtype: str = "<f4") -> bytes:
    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False,
                                               "shape": shape})
    return buffer.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def lying_zip(path: Path, members: dict[str, bytes], declared: dict[str, int]) -> None:
    """Deflate ``members``; then make the central directory declare ``declared[name]``
    uncompressed bytes for those named (the reader trusts the central directory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    raw = bytearray(path.read_bytes())
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", raw, at + 28)
        name = raw[at + 46: at + 46 + name_len].decode()
        if name in declared:
            struct.pack_into("<I", raw, at + 24, declared[name])
        at = raw.find(b"PK\x01\x02", at + 46 + name_len + extra_len + comment_len)
    path.write_bytes(bytes(raw))


def session_members(spec: dict, tensors: dict[str, bytes]) -> dict[str, bytes]:
    return {"format.npy": npy_bytes(np.array(1)), "spec.npy": npy_bytes(np.array(json.dumps(spec))),
            **{f"{name}.npy": data for name, data in tensors.items()}}


def zip_bomb(path: Path) -> None:
    """Two tensors of 4.19 GB each by their headers, a megabyte of zeros each in truth."""
    shape = (1, 1, 32768, 32000)
    filler = npy_header(shape) + bytes(2**20)
    lying_zip(path, session_members(HUGE, {"weight": npy_bytes(np.ones((1, 1, 1, 1), "f4")),
                                           "input": filler, "grad_output": filler}),
              {n: len(npy_header(shape)) + 4 * 32768 * 32000 for n in ("input.npy",
                                                                       "grad_output.npy")})


def hostile_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Each hostile session argument and the phrase its one line must hold."""
    zip_bomb(folder / "bomb.npz")
    (folder / "terabytes.npz").write_bytes(npy_header(TIB_SHAPE))
    np.savez(folder / "deep.npz", format=np.array(1), spec=np.array(DEEP))
    (folder / "deep.json").write_text('{"format": 1, "spec": ' + DEEP + "}")
    return {
        "bomb": (folder / "bomb.npz", "its layer needs about"),
        "terabytes": (folder / "terabytes.npz", "a single .npy array, not a .npz session"),
        "deep session": (folder / "deep.npz", "the spec is nested 49000 levels deep"),
        "deep preset": (folder / "deep.json", "nested 49001 levels deep"),
    }


