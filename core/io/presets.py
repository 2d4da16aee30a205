"""Presets: small, named sessions shipped as versioned JSON in ``resources/presets/``.

A preset file::

    {"format": 1,
     "name": "Sobel edges",                      shown in the Presets menu
     "order": 220,                               optional: its place in a lesson
     "description": "...",                       one or two sentences
     "spec": {...},                              LayerSpec.to_dict() keys (torch's names)
     "seed": 0,                                  optional, for tensors not listed below
     "tensors": {"weight": [[[[...]]]],          nested lists of numbers, or
                 "input": {"fill": "random", "seed": 3},   zeros / ones / random
                 "bias": {"real": [...], "imag": [...]},   complex values
                 "input": {"image": "shapes.png", "color": "gray",
                           "scaling": "0-1", "fit": "crop"}}}   a picture in resources/images/

Tensors that are not listed take `Session.default`'s values for the seed (random normal;
grad_output ones). The default scene the app opens with is the preset ``default``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..budget import BudgetError, check
from ..session import Session, random_normal
from ..spec import LayerSpec
from . import untrusted
from .tensor_import import expected_shape

PRESETS_DIR = Path(__file__).resolve().parents[2] / "resources" / "presets"
IMAGES_DIR = PRESETS_DIR.parent / "images"
PRESET_FORMAT = 1
DEFAULT_PRESET = "default"
_KEYS = {"format", "name", "order", "description", "spec", "seed", "tensors"}
#: Where a preset without an "order" goes: after those with one.
LAST = 10**6
_FILLS = ("zeros", "ones", "random")
#: A preset's values are nested lists; beyond this a file is refused before it is read.
MAX_PRESET_BYTES = 16 * 2**20


class PresetError(ValueError):
    """A preset that cannot be loaded; the message names the preset and the problem."""


@dataclass(frozen=True)
class PresetInfo:
    """What a Presets menu shows: ``name`` is what `load_preset` takes."""

    name: str
    title: str
    description: str
    path: Path
    order: int = LAST


def _read(path: Path) -> dict[str, Any]:
    try:
        size = path.stat().st_size
        if size > MAX_PRESET_BYTES:
            raise ValueError(f"{size} bytes; a preset may have at most {MAX_PRESET_BYTES}")
        data = untrusted.loads(path.read_text(encoding="utf-8"), MAX_PRESET_BYTES)
    except (OSError, ValueError) as e:  # UnicodeDecodeError is a ValueError
        raise PresetError(f"preset {path.name}: cannot read it: {e}") from e
    if not isinstance(data, dict):
        raise PresetError(f"preset {path.name}: must be a JSON object")
    if data.get("format") != PRESET_FORMAT:
        raise PresetError(
            f"preset {path.name}: format {data.get('format')!r} is not supported "
            f"(this ConvViz reads format {PRESET_FORMAT})"
        )
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise PresetError(f"preset {path.name}: unknown key(s) {', '.join(unknown)}")
    order = data.get("order", LAST)
    if type(order) is not int:
        raise PresetError(f"preset {path.name}: order must be an integer, got {order!r}")
    return data


def list_presets(folder: str | os.PathLike[str] | None = None) -> list[PresetInfo]:
    """The presets in ``folder`` (default: the shipped ones), ``default`` first, then in
    their "order" (the order a lesson takes them: kind by kind, the simplest first), then by
    name.

    Raises
    ------
    PresetError
        When a preset file is not valid JSON or has an unknown format (a broken shipped
        preset should fail loudly, in a test).
    """
    folder = PRESETS_DIR if folder is None else Path(folder)
    infos = []
    for path in sorted(folder.glob("*.json")):
        data = _read(path)
        infos.append(
            PresetInfo(
                name=path.stem,
                title=str(data.get("name", path.stem)),
                description=str(data.get("description", "")),
                path=path,
                order=data.get("order", LAST),
            )
        )
    return sorted(infos, key=lambda p: (p.name != DEFAULT_PRESET, p.order, p.name))


def _image(name: str, value: dict[str, Any], shape: tuple[int, ...]) -> np.ndarray:
    """An input from a picture in `IMAGES_DIR`, at the spec's input size, in every sample."""
    from .image_import import ImageOptions, load_image

    file = value["image"]
    if name != "input":
        raise ValueError("only the input can be an image")
    if not isinstance(file, str) or Path(file).name != file or file.startswith("."):
        raise ValueError(f"image must be a file name in resources/images/, got {file!r}")
    unknown = sorted(set(value) - {"image", "color", "scaling", "fit"})
    if unknown:
        raise ValueError(f"unknown image option(s): {', '.join(unknown)}")
    options = ImageOptions(color=value.get("color", "gray"), size=shape[-2:],
                           fit=value.get("fit", "crop"), scaling=value.get("scaling", "0-1"))
    if options.channels != shape[-3]:
        raise ValueError(f"a {options.color} image has {options.channels} channel(s) but the "
                         f"spec's input has {shape[-3]}")
    return np.broadcast_to(load_image(IMAGES_DIR / file, options), shape)


def _values(name: str, value: Any, spec: LayerSpec) -> np.ndarray:
    shape = expected_shape(spec, name)
    dtype = np.dtype(spec.dtype)
    if isinstance(value, dict) and "image" in value:
        if spec.dims != 2:  # a picture is (C, H, W)
            raise ValueError(f"a picture is a 2D input, but this layer has {spec.dims} "
                             f"spatial ax{'is' if spec.dims == 1 else 'es'}")
        return _image(name, value, shape).astype(dtype)
    if isinstance(value, dict) and "fill" in value:
        fill = value["fill"]
        if fill == "zeros":
            return np.zeros(shape, dtype)
        if fill == "ones":
            return np.ones(shape, dtype)
        if fill == "random":
            return random_normal(np.random.default_rng(value.get("seed", 0)), shape, dtype)
        raise ValueError(f"fill must be one of {', '.join(_FILLS)}, got {fill!r}")
    if isinstance(value, dict):
        if set(value) != {"real", "imag"}:
            raise ValueError('give a list, {"fill": ...} or {"real": [...], "imag": [...]}')
        if dtype.kind != "c":
            raise ValueError(f"complex values need a complex dtype, not {spec.dtype}")
        return _values(name, value["real"], spec) + 1j * _values(name, value["imag"], spec)
    a = np.asarray(value)
    if a.dtype.kind not in "iuf":
        raise ValueError(f"values must be numbers, got {a.dtype.name} data")
    if a.shape != shape:
        raise ValueError(f"shape {a.shape} does not fit the spec, which needs {shape}")
    return a.astype(dtype)


def parse_preset(data: dict[str, Any], label: str = "preset") -> Session:
    """The session a preset's JSON object describes (see the module docstring).

    Raises
    ------
    PresetError
        Naming ``label`` and what is wrong: the spec (LayerSpec's message), a tensor the
        spec does not have, a wrong shape, or values that are not numbers.
    """
    try:
        spec = LayerSpec.from_dict(data.get("spec"))
    except (ValueError, TypeError, OverflowError) as e:
        raise PresetError(f"{label}: invalid spec: {e}") from e
    try:
        check(spec, what="its layer")
    except BudgetError as e:
        raise PresetError(f"{label}: {e}") from e
    try:
        session = Session.default(spec, seed=data.get("seed", 0))
    except (ValueError, TypeError) as e:
        raise PresetError(f"{label}: invalid seed: {e}") from e
    tensors = data.get("tensors", {})
    if not isinstance(tensors, dict):
        raise PresetError(f"{label}: 'tensors' must be an object")
    for name, value in tensors.items():
        try:
            if expected_shape(spec, name) is None:
                raise ValueError("the spec has bias=False")
            session = session.with_tensor(name, _values(name, value, spec))
        except (ValueError, TypeError) as e:
            raise PresetError(f"{label}: tensor {name!r}: {e}") from e
    return session


def load_preset_file(path: str | os.PathLike[str]) -> Session:
    """The session in one preset file (see `parse_preset`)."""
    path = Path(path)
    return parse_preset(_read(path), f"preset {path.name}")


def load_preset(name: str, folder: str | os.PathLike[str] | None = None) -> Session:
    """The shipped preset called ``name`` (a file stem, as in `PresetInfo.name`).

    Raises
    ------
    PresetError
        For an unknown name (listing the known ones) or a broken preset.
    """
    folder = PRESETS_DIR if folder is None else Path(folder)
    path = folder / f"{name}.json"
    if not path.is_file():
        known = ", ".join(p.name for p in list_presets(folder))
        raise PresetError(f"unknown preset {name!r}; presets are: {known}")
    return load_preset_file(path)


def default_session() -> Session:
    """The scene the app opens with: preset ``default`` ((1, 3, 16, 16) input, (4, 3, 3, 3)
    kernel, padding 1, `Session.default`'s values)."""
    return load_preset(DEFAULT_PRESET)
