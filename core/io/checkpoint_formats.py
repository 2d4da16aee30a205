"""Checkpoint files: the tensors of a PyTorch ``.pt``/``.pth`` or a ``.safetensors`` file,
read without running anything in them.

* PyTorch ``.pt`` / ``.pth`` (a ``state_dict``, or a dict holding one, nested at any depth):
  read with ``torch.load(path, weights_only=True, map_location="cpu")`` only, so no pickle
  can run code; a file that needs a full unpickle (a whole ``nn.Module``, a custom class)
  is refused with torch's reason. torch is imported here, inside the function, not before.
* ``.safetensors``: read here without torch (an 8-byte little-endian header length, a JSON
  header naming each tensor's dtype, shape and byte range, then the raw little-endian data),
  with the header's size and every byte range checked against the file before reading.

`open_checkpoint` lists a file's tensors (`Entry`: key, shape, dtype) and reads one on
request (`Checkpoint.array`). Which of them can be a layer is
`core.io.checkpoint_import`'s.
"""

from __future__ import annotations

import json
import os
import re
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SAFETENSORS_SUFFIX = ".safetensors"
MAX_HEADER_BYTES = 100 * 2**20  # the safetensors library's own limit
_SAFETENSORS_DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # widened to float32 below
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"),
    "U8": np.dtype("u1"), "BOOL": np.dtype("?"),
}


#: safetensors' float dtype names as torch's
_TORCH_NAMES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16"}


class CheckpointError(ValueError):
    """A checkpoint or a tensor in it that cannot be imported; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One tensor of a checkpoint: its key, shape and dtype name (torch's or safetensors')."""

    key: str
    shape: tuple[int, ...]
    dtype: str

    @property
    def is_float(self) -> bool:
        # torch's names (float32, bfloat16) or safetensors' (F32, BF16)
        return self.dtype.startswith(("float", "bfloat", "F", "BF"))

    @property
    def torch_dtype(self) -> str:
        """Its dtype in torch's words ('float16' for safetensors' 'F16')."""
        return _TORCH_NAMES.get(self.dtype, self.dtype)


class Checkpoint:
    """The tensors of one checkpoint file: ``entries`` (key, shape, dtype) and `array`."""

    def __init__(self, path: Path, entries: list[Entry], reader, wrapper: str = "") -> None:
        self.path, self.entries, self._reader = path, entries, reader
        self.wrapper = wrapper  # what every key of the file began with ('model.'), dropped
        self._by_key = {e.key: e for e in entries}

    def _key(self, key: str) -> str:
        """``key`` as listed: a key as the file spells it ('model.1.weight') loses the
        wrapper every key shares."""
        if key not in self._by_key and self.wrapper and key.startswith(self.wrapper):
            return key[len(self.wrapper):]
        return key

    def get(self, key: str) -> Entry | None:
        """Tensor ``key``'s entry, or None when the file has no such tensor."""
        return self._by_key.get(self._key(key))

    def entry(self, key: str) -> Entry:
        found = self.get(key)
        if found is None:
            near = [e.key for e in self.entries if e.key.endswith(".weight")][:8]
            hint = f"; weights here: {', '.join(near)}" if near else ""
            if near and self.wrapper:
                hint += f" (every key begins with {self.wrapper!r}, left out)"
            raise CheckpointError(f"{self.path.name} has no tensor {key!r}{hint}")
        return found

    def array(self, key: str) -> np.ndarray:
        """Tensor ``key`` as a float32/float64 numpy array (half precision widened)."""
        entry = self.entry(key)
        if not entry.is_float:
            raise CheckpointError(f"tensor {key!r} has dtype {entry.dtype}; a layer's weight "
                                  "is a float tensor")
        return self._reader(entry.key)


def _flatten(obj: Any, prefix: str, out: dict[str, Any], torch: Any, depth: int = 0) -> None:
    """Every tensor in nested dicts and lists, under dotted keys ('model.0.weight')."""
    if isinstance(obj, torch.Tensor):
        out[prefix] = obj
    elif depth < 8 and isinstance(obj, dict):
        for k, v in obj.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out, torch, depth + 1)
    elif depth < 8 and isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _flatten(v, f"{prefix}.{i}" if prefix else str(i), out, torch, depth + 1)


def _unwrap(flat: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Keys without a common wrapper ('state_dict.', 'model.'), when every key has it, and
    the wrappers dropped."""
    dropped = ""
    for wrapper in ("state_dict.", "model_state_dict.", "model.", "module."):
        if flat and all(k.startswith(wrapper) for k in flat):
            flat = {k[len(wrapper):]: v for k, v in flat.items()}
            dropped += wrapper
    return flat, dropped


def _refusal(path: Path, exc: Exception) -> str:
    text = str(exc)
    found = re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if found:  # a pickle that wants to build an object: weights_only stopped it
        return (f"{path.name} holds Python objects besides tensors and plain containers (it "
                f"refers to {found.group(1)}); ConvViz loads checkpoints with "
                "torch.load(weights_only=True) only and never runs a full unpickle. Save "
                "model.state_dict() instead")
    detail = re.search(r"WeightsUnpickler error:\s*(.+)", text)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    reason = detail.group(1).strip() if detail else (lines[0] if lines else type(exc).__name__)
    what = "not written by torch.save, or damaged"
    if _head(path).startswith(b"\x80"):  # torch.save writes a zip archive (PK…)
        what = "a plain Python pickle (or a damaged old-style torch.save file)"
    return (f"cannot read {path.name} as a PyTorch checkpoint: {what} (torch says: "
            f"{reason.split('. ')[0]})")


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(2)
    except OSError:
        return b""


def _load_torch(path: Path) -> Checkpoint:
    import torch

    try:
        with warnings.catch_warnings():  # one line says why, not torch's "file an issue"
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            obj = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as e:  # torch raises many types (UnpicklingError, RuntimeError, EOF…)
        raise CheckpointError(_refusal(path, e)) from None
    flat: dict[str, Any] = {}
    _flatten(obj, "", flat, torch)
    flat, wrapper = _unwrap(flat)
    entries = [Entry(k, tuple(t.shape), str(t.dtype).removeprefix("torch.")) for k, t in
               flat.items()]

    def read(key: str) -> np.ndarray:
        t = flat[key].detach()
        if t.dtype not in (torch.float32, torch.float64):
            t = t.float()  # float16 / bfloat16: numpy has no bfloat16
        return np.array(t.numpy(), copy=True)

    return Checkpoint(path, entries, read, wrapper)


def _load_safetensors(path: Path) -> Checkpoint:
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise CheckpointError(f"cannot read {path.name}: shorter than a safetensors "
                                      "header (8 bytes)")
            (n,) = struct.unpack("<Q", head)
            if n > min(MAX_HEADER_BYTES, size - 8):
                raise CheckpointError(
                    f"cannot read {path.name}: its header claims {n:,} bytes but the file has "
                    f"{size - 8:,} after the length (truncated, or not a safetensors file)")
            header = json.loads(f.read(n).decode("utf-8"))
    except OSError as e:
        raise CheckpointError(f"cannot read {path}: {e.strerror or e}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"cannot read {path.name}: its header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"cannot read {path.name}: its header is not a JSON object")
    data_start, data_size = 8 + n, size - 8 - n
    entries, layout = [], {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            dtype, shape = info["dtype"], tuple(int(s) for s in info["shape"])
            begin, end = (int(v) for v in info["data_offsets"])
        except (TypeError, KeyError, ValueError):
            raise CheckpointError(f"cannot read {path.name}: tensor {key!r} has no valid "
                                  "dtype, shape and data_offsets") from None
        if dtype not in _SAFETENSORS_DTYPES or min(shape, default=0) < 0:
            raise CheckpointError(f"cannot read {path.name}: tensor {key!r} has dtype {dtype!r}"
                                  f" and shape {shape}, which ConvViz does not read")
        nbytes = int(np.prod(shape, dtype=np.int64)) * _SAFETENSORS_DTYPES[dtype].itemsize
        if not (0 <= begin <= end <= data_size) or end - begin != nbytes:
            raise CheckpointError(
                f"cannot read {path.name}: tensor {key!r} ({dtype}, shape {shape}) claims bytes "
                f"{begin}…{end} but needs {nbytes} and the data holds {data_size} (truncated?)")
        entries.append(Entry(key, shape, dtype))
        layout[key] = (dtype, shape, data_start + begin, nbytes)

    def read(key: str) -> np.ndarray:
        dtype, shape, offset, nbytes = layout[key]
        with open(path, "rb") as f:
            f.seek(offset)
            raw = f.read(nbytes)
        if len(raw) != nbytes:
            raise CheckpointError(f"cannot read {path.name}: tensor {key!r} is cut short")
        a = np.frombuffer(raw, dtype=_SAFETENSORS_DTYPES[dtype]).reshape(shape)
        if dtype == "BF16":
            return (a.astype(np.uint32) << 16).view(np.float32)
        if dtype == "F16":
            return a.astype(np.float32)
        return a.astype(a.dtype.newbyteorder("="))

    return Checkpoint(path, entries, read)


def open_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """The tensors of a ``.pt``/``.pth`` (weights_only) or ``.safetensors`` file.

    Raises
    ------
    CheckpointError
        For a missing, truncated or malformed file, or a pickle that ``weights_only``
        refuses (the message says that nothing was run).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"cannot read {path}: no such file")
    if path.suffix.lower() == SAFETENSORS_SUFFIX:
        return _load_safetensors(path)
    return _load_torch(path)
