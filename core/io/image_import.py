"""Images as the layer's input: read a picture file into a (C, H, W) array, and the session
that holds it.

The flow: ``pixels = load_image(path, ImageOptions(color="gray", size=(64, 64)))`` gives a
float64 (C, H, W) array; ``session_with_image(session, pixels)`` puts it into the input,
with the layer's ``in_channels`` and ``input_size`` changed to fit (the caller asks the user
first when ``image_spec(...)`` differs from the current spec in ``in_channels``).

Pillow reads PNG, JPEG, BMP, GIF (its first frame), TIFF and the rest it knows. The size in
the file's header is checked against `MAX_SOURCE_PIXELS` before any pixel is decoded, so a
20000 × 20000 file is refused in microseconds, not after allocating gigabytes.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import budget
from ..session import Session
from ..spec import LayerSpec, SpecError
from ..torch_layer import layer_class

COLORS = ("gray", "rgb")
FITS = ("crop", "stretch")
SCALINGS = ("0-1", "symmetric", "imagenet")
SCALING_TITLES = {
    "0-1": "0 … 1 (pixel / 255)",
    "symmetric": "−1 … 1 (pixel / 127.5 − 1)",
    "imagenet": "ImageNet mean/std ((pixel / 255 − mean) / std)",
}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: A grayscale image under ImageNet scaling uses the averages of the three channels' figures.
IMAGENET_GRAY = (sum(IMAGENET_MEAN) / 3, sum(IMAGENET_STD) / 3)
#: The largest picture read at all (a 50-megapixel photo decodes to 150 MB of RGB).
MAX_SOURCE_PIXELS = 50_000_000
#: The largest side the image may be resized to.
MAX_SIDE = 2048
#: The default size stays at or below this per side: (1, 3, 128, 128) is the largest scene
#: whose edit-to-repaint the GUI benchmark holds to its target (p95 ≤ 50 ms).
INTERACTIVE_SIDE = 128
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm",
                  ".pgm", ".pbm")


class ImageFileError(ValueError):
    """An image that cannot be imported; the message names the file and the reason."""


@dataclass(frozen=True)
class ImageOptions:
    """How a picture becomes the input.

    Attributes
    ----------
    color : 'gray' or 'rgb'
        1 channel (Pillow's luminance, L = 0.299 R + 0.587 G + 0.114 B) or 3 channels. An
        alpha channel is dropped (the colour values are kept as they are).
    size : (H, W) or None
        The input size to produce; None keeps the picture's own size.
    fit : 'crop' or 'stretch'
        'crop' keeps the aspect ratio: scale until the picture covers (H, W), then cut the
        centre. 'stretch' resizes to (H, W) whatever the aspect.
    scaling : '0-1', 'symmetric' or 'imagenet'
        Pixel values p in 0…255 become p/255, p/127.5 − 1, or (p/255 − mean)/std with
        ImageNet's per-channel mean and std (gray: their averages, `IMAGENET_GRAY`).
    """

    color: str = "gray"
    size: tuple[int, int] | None = None
    fit: str = "crop"
    scaling: str = "0-1"

    def __post_init__(self) -> None:
        for name, value, allowed in (("color", self.color, COLORS), ("fit", self.fit, FITS),
                                     ("scaling", self.scaling, SCALINGS)):
            if value not in allowed:
                raise SpecError(f"{name} must be one of {', '.join(allowed)}, got {value!r}",
                                (name,))
        if self.size is not None:
            h, w = (int(v) for v in self.size)
            if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
                raise SpecError(
                    f"image size {h} × {w} is out of range: each side must be 1 … {MAX_SIDE}",
                    ("size",), size=(h, w), maximum=MAX_SIDE)
            object.__setattr__(self, "size", (h, w))

    @property
    def channels(self) -> int:
        return 1 if self.color == "gray" else 3


def _open(path: Path):
    """The opened (not decoded) picture; header problems and oversized pictures refused."""
    from PIL import Image, UnidentifiedImageError

    # Pillow's own bomb check raises before saying the size; ours names it, so turn theirs
    # off for the header read only (no pixel is decoded by open()).
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        image = Image.open(path)
    except FileNotFoundError:
        raise ImageFileError(f"cannot read {path}: no such file") from None
    except UnidentifiedImageError:
        raise ImageFileError(
            f"cannot read {path.name}: not an image Pillow can read (PNG, JPEG, BMP, GIF, "
            "TIFF…), or its header is damaged") from None
    except OSError as e:
        raise ImageFileError(f"cannot read {path}: {e.strerror or e}") from None
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    w, h = image.size
    if w * h > MAX_SOURCE_PIXELS:
        image.close()
        raise ImageFileError(
            f"{path.name} is {w} × {h} pixels ({w * h:,}), more than ConvViz reads "
            f"({MAX_SOURCE_PIXELS:,} pixels); shrink it first")
    if w == 0 or h == 0:
        image.close()
        raise ImageFileError(f"{path.name} is {w} × {h} pixels: an empty image")
    return image


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(H, W) of the picture in ``path``, from its header (nothing is decoded).

    Raises
    ------
    ImageFileError
        For a missing or unreadable file, or one over `MAX_SOURCE_PIXELS`.
    """
    with _open(Path(path)) as image:
        return image.size[1], image.size[0]


def _decoded(image, path: Path, color: str):
    """The first frame, decoded and converted to 'L' or 'RGB' (8 bits per channel)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.seek(0)
            image.load()
            if image.mode.startswith("I;16") or image.mode == "I":
                # 16-bit pictures: scale to 8 bits ourselves (Pillow's 'L' conversion clips)
                wide = np.asarray(image, dtype=np.float64)
                image = Image.fromarray(np.round(wide * (255 / 65535)).clip(0, 255)
                                        .astype(np.uint8))
            return image.convert("L" if color == "gray" else "RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as e:
        raise ImageFileError(
            f"cannot read {path.name}: the file is truncated or corrupt ({e})") from None


def _crop_box(src: tuple[int, int], dst: tuple[int, int]) -> tuple[float, float, float, float]:
    """The centred box of the (w, h) picture with the aspect ratio of (w, h) ``dst``."""
    (sw, sh), (dw, dh) = src, dst
    scale = max(dw / sw, dh / sh)
    cw, ch = dw / scale, dh / scale
    left, top = (sw - cw) / 2, (sh - ch) / 2
    return (left, top, left + cw, top + ch)


def resized(image, size: tuple[int, int] | None, fit: str):
    """``image`` (a Pillow image) at (H, W) ``size``: centre-cropped to the aspect ratio and
    resized ('crop'), or resized whatever the aspect ('stretch'); unchanged for None."""
    from PIL import Image

    if size is None or (size[1], size[0]) == image.size:
        return image
    h, w = size
    box = _crop_box(image.size, (w, h)) if fit == "crop" else (0, 0, *image.size)
    whole = all(float(v).is_integer() for v in box)
    if whole and (box[2] - box[0], box[3] - box[1]) == (w, h):
        return image.crop(tuple(int(v) for v in box))  # the same scale: an exact cut
    return image.resize((w, h), Image.Resampling.BICUBIC, box=box)


def scaled(pixels: np.ndarray, scaling: str) -> np.ndarray:
    """(C, H, W) uint8 pixels as float64 values under ``scaling`` (see `ImageOptions`)."""
    p = pixels.astype(np.float64)
    if scaling == "0-1":
        return p / 255
    if scaling == "symmetric":
        return p / 127.5 - 1
    if scaling == "imagenet":
        if p.shape[0] == 1:
            mean, std = np.array([IMAGENET_GRAY[0]]), np.array([IMAGENET_GRAY[1]])
        else:
            mean, std = np.array(IMAGENET_MEAN), np.array(IMAGENET_STD)
        return (p / 255 - mean[:, None, None]) / std[:, None, None]
    raise ValueError(f"scaling must be one of {', '.join(SCALINGS)}, got {scaling!r}")


def load_image(path: str | os.PathLike[str], options: ImageOptions | None = None) -> np.ndarray:
    """The picture in ``path`` as a float64 array of shape (C, H, W) (see `ImageOptions`).

    Raises
    ------
    ImageFileError
        For a missing, unreadable, truncated or oversized file, saying which.
    """
    options = options or ImageOptions()
    path = Path(path)
    with _open(path) as image:
        picture = resized(_decoded(image, path, options.color), options.size, options.fit)
        pixels = np.asarray(picture, dtype=np.uint8)
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    return scaled(pixels, options.scaling)


def default_size(spec: LayerSpec) -> tuple[int, int]:
    """The size an import offers first: the current input size (its last two axes; a 1D
    layer's length both ways), each side at most `INTERACTIVE_SIDE`."""
    h, w = spec.input_size[-2:] if spec.dims > 1 else spec.input_size * 2
    return min(h, INTERACTIVE_SIDE), min(w, INTERACTIVE_SIDE)


def check_takes_pictures(spec: LayerSpec, shape: tuple[int, int, int] | None = None) -> None:
    """Raise `SpecError` unless ``spec`` is 2D: a picture is (C, H, W), a Conv2d's input (said
    before any of the picture's options, which would not help)."""
    if spec.dims == 2:
        return
    what = "" if shape is None else f" ({' × '.join(map(str, shape))})"
    raise SpecError(
        f"a picture is a 2D input{what} but the layer is a {layer_class(spec)}, whose input "
        f"has {spec.dims} spatial ax{'is' if spec.dims == 1 else 'es'}: make the layer 2D "
        "(Conv2d or ConvTranspose2d) first", ("input", "dims"),
        **({} if shape is None else {"image": shape}), dims=spec.dims)


def image_spec(spec: LayerSpec, shape: tuple[int, int, int]) -> LayerSpec:
    """``spec`` with ``in_channels`` and ``input_size`` from a (C, H, W) image; the rest kept.

    Raises
    ------
    ValueError
        When the layer cannot take that input (e.g. groups 2 with 3 channels, reflect
        padding wider than the image), with the spec's own reason; `budget.BudgetError`
        when the layer would not fit in memory.
    """
    c, h, w = shape
    check_takes_pictures(spec, shape)
    try:
        new = spec.replace(in_channels=c, input_size=(h, w))
    except SpecError as e:
        raise SpecError(f"the layer cannot take a {c}-channel {h} × {w} image: {e}", e.fields,
                        **(e.numbers | {"image": (c, h, w)})) from None
    budget.check(new, what=f"the layer with a {c}-channel {h} × {w} image")
    return new


def session_with_image(session: Session, pixels: np.ndarray) -> Session:
    """``session`` with the (C, H, W) ``pixels`` as its input (sample 0 of a batch; the other
    samples keep their values where the shapes overlap) and the layer reshaped to fit.

    Raises
    ------
    ValueError
        As `image_spec`.
    """
    spec = image_spec(session.spec, pixels.shape)
    reshaped = session.with_spec(spec) if spec != session.spec else session
    x = np.array(reshaped.input, copy=True)
    if spec.batch is None:
        x[...] = pixels
    elif spec.batch == 0:
        raise SpecError("the batch is empty (batch 0): there is no sample to put the image in",
                        ("batch",), batch=0)
    else:
        x[0] = pixels
    return reshaped.with_tensor("input", x)


def describe(path: str | os.PathLike[str], pixels: np.ndarray, options: ImageOptions) -> str:
    """'shapes.png as 1 × 96 × 96 (gray, crop, 0-1)' for messages and undo history."""
    c, h, w = pixels.shape
    return (f"{Path(path).name} as {c} × {h} × {w} "
            f"({options.color}, {options.fit}, {options.scaling})")
