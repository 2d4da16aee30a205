"""Pictures as the input (core.io.image_import): exact values for each scaling, resize and crop
shapes, the file formats, the session it makes, and every hostile file with its message."""

from __future__ import annotations

import numpy as np
import pytest
from image_files import header_only_png, random_pixels, write_png
from PIL import Image, ImageFile

from core import budget
from core.io.image_import import (
    IMAGENET_GRAY,
    IMAGENET_MEAN,
    IMAGENET_STD,
    MAX_SIDE,
    ImageFileError,
    ImageOptions,
    default_size,
    image_size,
    load_image,
    session_with_image,
)
from core.io.presets import IMAGES_DIR, PresetError, load_preset, parse_preset
from core.session import Session
from core.spec import LayerSpec, SpecError


def expected(p: np.ndarray, scaling: str) -> np.ndarray:
    """(C, H, W) uint8 → what each scaling promises, written out independently."""
    p = p.astype(np.float64)
    if scaling == "0-1":
        return p / 255.0
    if scaling == "symmetric":
        return 2.0 * p / 255.0 - 1.0
    mean, std = (IMAGENET_MEAN, IMAGENET_STD) if p.shape[0] == 3 else (
        [IMAGENET_GRAY[0]], [IMAGENET_GRAY[1]])
    return np.stack([(p[c] / 255.0 - mean[c]) / std[c] for c in range(p.shape[0])])


@pytest.mark.parametrize("scaling", ["0-1", "symmetric", "imagenet"])
def test_gray_png_round_trip_for_each_scaling(tmp_path, scaling):
    pixels = random_pixels((7, 11))
    got = load_image(write_png(tmp_path / "g.png", pixels), ImageOptions("gray", None, "crop",
                                                                          scaling))
    assert got.shape == (1, 7, 11) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected(pixels[None], scaling), rtol=0, atol=1e-12)


@pytest.mark.parametrize("scaling", ["0-1", "symmetric", "imagenet"])
def test_rgb_png_round_trip_for_each_scaling(tmp_path, scaling):
    pixels = random_pixels((6, 9, 3), seed=1)
    got = load_image(write_png(tmp_path / "c.png", pixels), ImageOptions("rgb", (6, 9),
                                                                          scaling=scaling))
    assert got.shape == (3, 6, 9)
    np.testing.assert_allclose(got, expected(pixels.transpose(2, 0, 1), scaling), atol=1e-12)
    assert {"symmetric": (-1, 1), "0-1": (0, 1)}.get(scaling, (-3, 3))[0] <= got.min()


def test_rgb_file_read_as_gray_is_its_luminance(tmp_path):
    pixels = random_pixels((5, 5, 3), seed=2)
    got = load_image(write_png(tmp_path / "c.png", pixels), ImageOptions("gray"))[0] * 255
    r, g, b = (pixels[..., i].astype(float) for i in range(3))
    assert np.abs(got - (0.299 * r + 0.587 * g + 0.114 * b)).max() <= 0.5 + 1e-9


def test_centre_crop_keeps_the_aspect_and_cuts_the_middle(tmp_path):
    wide = np.zeros((20, 40), np.uint8)
    wide[:, 20:] = 255  # left half black, right half white
    path = write_png(tmp_path / "wide.png", wide)
    got = load_image(path, ImageOptions("gray", (20, 20), "crop"))[0]
    np.testing.assert_array_equal(got, wide[:, 10:30] / 255)  # same scale: an exact cut
    for size, fit in (((10, 10), "crop"), ((8, 30), "crop"), ((10, 30), "stretch"),
                      ((50, 13), "stretch"), ((64, 64), "crop")):
        assert load_image(path, ImageOptions("gray", size, fit)).shape == (1, *size)
    half = load_image(path, ImageOptions("gray", (10, 10), "crop"))[0]
    assert half[:, :4].max() < 0.1 and half[:, 6:].min() > 0.9  # the middle, halved


def test_stretch_keeps_everything(tmp_path):
    wide = np.zeros((20, 40), np.uint8)
    wide[:, :4] = 255  # a white stripe at the left edge
    path = write_png(tmp_path / "wide.png", wide)
    assert load_image(path, ImageOptions("gray", (20, 20), "stretch"))[0, :, 0].min() > 0.9
    assert load_image(path, ImageOptions("gray", (20, 20), "crop"))[0, :, 0].max() == 0


def test_formats_gif_first_frame_bmp_tiff_jpeg_16bit(tmp_path):
    frames = [Image.fromarray(np.full((4, 6), v, np.uint8)) for v in (10, 200)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    assert np.allclose(load_image(tmp_path / "a.gif") * 255, 10)
    pixels = random_pixels((4, 6, 3), seed=3)
    for suffix in (".bmp", ".tiff"):
        Image.fromarray(pixels).save(tmp_path / f"a{suffix}")
        np.testing.assert_allclose(load_image(tmp_path / f"a{suffix}", ImageOptions("rgb")),
                                   pixels.transpose(2, 0, 1) / 255)
    Image.fromarray(pixels).save(tmp_path / "a.jpg", quality=95)
    assert load_image(tmp_path / "a.jpg", ImageOptions("rgb")).shape == (3, 4, 6)
    wide = np.array([[0, 65535, 32896]], np.uint16)
    Image.fromarray(wide).save(tmp_path / "w.png")  # 16-bit grayscale, mode I;16
    np.testing.assert_allclose(load_image(tmp_path / "w.png")[0] * 255, [[0, 255, 128]])


def test_rgba_drops_alpha(tmp_path):
    rgba = random_pixels((3, 3, 4), seed=4)
    path = write_png(tmp_path / "a.png", rgba)
    np.testing.assert_allclose(load_image(path, ImageOptions("rgb")),
                               rgba[..., :3].transpose(2, 0, 1) / 255)


def test_options_are_checked():
    for kwargs, text in (({"color": "cmyk"}, "color must be one of gray, rgb"),
                         ({"fit": "pad"}, "fit must be one of crop, stretch"),
                         ({"scaling": "z"}, "scaling must be one of"),
                         ({"size": (0, 5)}, "image size 0 × 5 is out of range"),
                         ({"size": (MAX_SIDE + 1, 5)}, f"1 … {MAX_SIDE}")):
        with pytest.raises(SpecError, match=text) as info:
            ImageOptions(**kwargs)
        assert info.value.fields == tuple(kwargs)


# -- hostile files ------------------------------------------------------------------------
def test_huge_image_is_refused_from_its_header_before_decoding(tmp_path, monkeypatch):
    path = header_only_png(tmp_path / "huge.png", 20000, 20000)

    def no_decoding(self, *args):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(ImageFileError, match=r"huge.png is 20000 × 20000 pixels "
                                             r"\(400,000,000\), more than ConvViz reads"):
        load_image(path, ImageOptions(size=(16, 16)))
    with pytest.raises(ImageFileError, match="20000 × 20000"):
        image_size(path)
    assert Image.MAX_IMAGE_PIXELS is not None  # Pillow's own guard is back in place


def test_truncated_corrupt_empty_and_missing_files(tmp_path):
    good = write_png(tmp_path / "good.png", random_pixels((64, 64), seed=5))
    data = good.read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.png").write_text("not a picture")
    (tmp_path / "empty.png").write_bytes(b"")
    for name, text in (("cut.png", "cut.png: the file is truncated or corrupt"),
                       ("text.png", "text.png: not an image Pillow can read"),
                       ("empty.png", "empty.png: not an image Pillow can read"),
                       ("gone.png", "no such file")):
        with pytest.raises(ImageFileError, match=text):
            load_image(tmp_path / name)


# -- the session --------------------------------------------------------------------------
def base(**changes) -> Session:
    spec = LayerSpec(in_channels=3, out_channels=2, kernel_size=3, padding=1,
                     input_size=(16, 16)).replace(**changes)
    return Session.default(spec, seed=1)


def test_session_with_an_rgb_image_keeps_the_layer():
    s = base()
    pixels = np.random.default_rng(0).random((3, 16, 16))
    new = session_with_image(s, pixels)
    assert new.spec == s.spec
    np.testing.assert_array_equal(new.input[0], pixels)
    np.testing.assert_array_equal(new.weight, s.weight)


def test_session_with_a_gray_image_changes_in_channels_and_size():
    s = base()
    new = session_with_image(s, np.ones((1, 10, 12)))
    assert new.spec == s.spec.replace(in_channels=1, input_size=(10, 12))
    np.testing.assert_array_equal(new.weight, s.weight[:, :1])
    np.testing.assert_array_equal(new.input, np.ones((1, 1, 10, 12)))


def test_a_batch_gets_the_image_in_sample_0_and_keeps_the_others():
    s = base(batch=3)
    pixels = np.full((3, 16, 16), 0.5)
    new = session_with_image(s, pixels)
    np.testing.assert_array_equal(new.input[0], pixels)
    np.testing.assert_array_equal(new.input[1:], s.input[1:])
    unbatched = session_with_image(base(batch=None), pixels)
    np.testing.assert_array_equal(unbatched.input, pixels)
    with pytest.raises(SpecError, match="the batch is empty") as info:
        session_with_image(base(batch=0), pixels)
    assert info.value.fields == ("batch",)


def test_a_layer_that_cannot_take_the_image_says_why():
    with pytest.raises(SpecError, match="cannot take a 1-channel 16 × 16 image: in_channels 1 "
                                        "is not divisible by groups 3") as info:
        session_with_image(base(groups=3, out_channels=3), np.zeros((1, 16, 16)))
    assert info.value.fields == ("in_channels", "groups")  # the layer's own refusal
    assert info.value.numbers == {"channels": 1, "groups": 3, "image": (1, 16, 16)}
    with pytest.raises(SpecError, match="padding 2 must be smaller than the input height") as info:
        session_with_image(base(padding=2, padding_mode="reflect"), np.zeros((3, 2, 2)))
    assert info.value.fields == ("padding", "padding_mode", "input_size")


def test_an_image_over_the_memory_limit_is_refused():
    budget.set_limit(2**20)
    try:
        with pytest.raises(budget.BudgetError, match="1-channel 2048 × 2048 image needs about"):
            session_with_image(base(), np.zeros((1, 2048, 2048)))
    finally:
        budget.set_limit(None)


def test_default_size_is_the_input_size_capped():
    assert default_size(base().spec) == (16, 16)
    assert default_size(base(input_size=(1000, 40)).spec) == (128, 40)


# -- shipped pictures and the preset ------------------------------------------------------
def test_shipped_pictures_are_small_and_readable():
    names = sorted(p.name for p in IMAGES_DIR.glob("*.png"))
    assert names == ["checkerboard.png", "shapes.png", "text.png"]
    for name in names:
        assert (IMAGES_DIR / name).stat().st_size < 20_000
        assert load_image(IMAGES_DIR / name).shape[0] == 1


def test_sobel_on_an_image_preset_holds_the_picture():
    s = load_preset("sobel_image")
    picture = load_image(IMAGES_DIR / "shapes.png", ImageOptions(size=(96, 96)))
    np.testing.assert_array_equal(s.input[0], picture)
    assert s.spec.in_channels == 1 and s.weight[0, 0, 1, 0] == -2


@pytest.mark.parametrize("image, text", [
    ({"image": "../presets/default.json"}, "a file name in resources/images/"),
    ({"image": "shapes.png", "color": "rgb"}, "a rgb image has 3 channel"),
    ({"image": "shapes.png", "zoom": 2}, "unknown image option"),
    ({"image": "missing.png"}, "no such file"),
])
def test_image_presets_refuse_bad_references(image, text):
    data = {"format": 1, "spec": {"in_channels": 1, "out_channels": 1, "kernel_size": [3, 3]},
            "tensors": {"input": image}}
    with pytest.raises(PresetError, match=text):
        parse_preset(data, "p")
    data["tensors"] = {"weight": {"image": "shapes.png"}}
    with pytest.raises(PresetError, match="only the input can be an image"):
        parse_preset(data, "p")
