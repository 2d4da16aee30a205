"""``main.py --import-layer FILE KEY`` and ``--import-image FILE`` with ``--export``: what is
written equals the imported data computed; each bad file is one line and exit status 2, and
nothing is written; the whole path stays free of Qt."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from checkpoint_files import small_model
from image_files import header_only_png, random_pixels, write_png

import main
from core.io.image_import import ImageOptions, load_image

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    model = small_model()
    torch.save(model.state_dict(), d / "model.pt")
    torch.save(torch.nn.Linear(2, 2).state_dict(), d / "linear.pt")
    write_png(d / "rgb.png", random_pixels((12, 20, 3)))
    cut = (d / "rgb.png").read_bytes()
    (d / "cut.png").write_bytes(cut[: len(cut) // 2])
    header_only_png(d / "huge.png", 20000, 20000)
    return d, model


def run(argv, capsys):
    code = main.main([str(a) for a in argv])
    return code, capsys.readouterr().err


def test_export_with_an_imported_layer_and_image(files, capsys, tmp_path):
    d, model = files
    out = tmp_path / "out"
    code, err = run(["--import-layer", d / "model.pt", "0.weight", "--import-image",
                     d / "rgb.png", "--image-size", "8x10", "--image-scaling", "symmetric",
                     "--export", out], capsys)
    assert code == 0, err
    assert ("note: imported 0.weight (8, 3, 3, 3) with bias from model.pt, read as Conv2d "
            "(out_channels, in_channels/groups, kH, kW), groups 1; stride, padding, "
            "output_padding, dilation and padding_mode are not stored in a state_dict") in err
    spec = json.loads((out / "spec.json").read_text())
    assert (spec["in_channels"], spec["out_channels"], spec["input_size"]) == (3, 8, [8, 10])
    x = np.load(out / "input.npy")
    want = load_image(d / "rgb.png", ImageOptions("rgb", (8, 10), scaling="symmetric"))
    np.testing.assert_array_equal(x[0], want)
    conv = model[0]
    xt = torch.tensor(x, requires_grad=True)
    y = conv(xt)  # padding 1 in the default scene and in the model alike
    y.sum().backward()
    np.testing.assert_allclose(np.load(out / "output.npy"), y.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(np.load(out / "grad_weight.npy"), conv.weight.grad.numpy(),
                               atol=1e-9)
    conv.zero_grad()


def test_import_as_conv_transpose_reads_the_weight_as_one(files, capsys, tmp_path):
    d, model = files
    out = tmp_path / "out"
    code, err = run(["--import-layer", d / "model.pt", "2.weight", "--import-as",
                     "ConvTranspose2d", "--export", out], capsys)
    assert code == 0, err
    assert ("read as ConvTranspose2d (in_channels, out_channels/groups, kH, kW), groups 1; the "
            "layer is now a ConvTranspose2d (was Conv2d)") in err
    spec = json.loads((out / "spec.json").read_text())
    assert spec["torch_class"] == "ConvTranspose2d" and spec["in_channels"] == 4
    layer = torch.nn.ConvTranspose2d(4, 4, (3, 5), padding=spec["padding"], bias=False,
                                     dtype=torch.float64)
    assert spec["stride"] == [1, 1] and spec["dilation"] == [1, 1]
    with torch.no_grad():
        layer.weight.copy_(model[2].weight)
    x = torch.tensor(np.load(out / "input.npy"), requires_grad=True)
    y = layer(x)
    y.backward(torch.tensor(np.load(out / "grad_output.npy")))
    np.testing.assert_allclose(np.load(out / "output.npy"), y.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(np.load(out / "grad_weight.npy"), layer.weight.grad.numpy(),
                               atol=1e-10)
    code, err = run(["--import-layer", d / "model.pt", "0.weight", "--import-as",
                     "ConvTranspose2d", "--export", tmp_path / "no"], capsys)
    assert code == 2 and "the bias fits it read as Conv2d with groups 1" in err
    assert not (tmp_path / "no").exists()


def test_image_color_follows_the_layer_or_the_flag(files, capsys, tmp_path):
    d, _ = files
    code, err = run(["sobel_edges", "--import-image", d / "rgb.png", "--export",
                     tmp_path / "a"], capsys)
    assert code == 0 and "(gray, crop, 0-1)" in err  # sobel_edges has in_channels 1
    code, err = run(["sobel_edges", "--import-image", d / "rgb.png", "--image-color", "rgb",
                     "--export", tmp_path / "b"], capsys)
    assert code == 0 and "in_channels 1 → 3" in err
    code, err = run(["--import-layer", d / "model.pt", "0.weight", "--import-image",
                     d / "rgb.png", "--image-color", "gray", "--export", tmp_path / "c"], capsys)
    assert code == 2 and "takes 3 input channel(s) but --image-color gray gives 1" in err
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("args, text", [
    (["--import-image", "{d}/cut.png"], "cut.png: the file is truncated or corrupt"),
    (["--import-image", "{d}/huge.png"], "huge.png is 20000 × 20000 pixels"),
    (["--import-image", "{d}/model.pt"], "model.pt: not an image Pillow can read"),
    (["--import-layer", "{d}/linear.pt", "weight"], "linear.pt has no tensor that can be a "
                                                    "Conv2d weight"),
    (["--import-layer", "{d}/model.pt", "5.weight"], "shape (10, 4): a Conv2d weight is 4-D"),
    (["--import-layer", "{d}/model.pt", "0.weight", "--layer-groups", "3"],
     "groups 3 does not divide out_channels 8"),
    (["--import-layer", "{d}/rgb.png", "0.weight"], "cannot read rgb.png as a PyTorch "
                                                    "checkpoint"),
])
def test_bad_imports_are_one_line_and_exit_2_writing_nothing(files, capsys, tmp_path, args,
                                                             text):
    d, _ = files
    out = tmp_path / "out"
    code, err = run([a.format(d=d) for a in args] + ["--export", out], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("convviz: ") and text in err
    assert "Traceback" not in err and not out.exists()


@pytest.mark.parametrize("args, text", [
    (["--image-size", "9x9"], "--image-size needs --import-image"),
    (["--import-image", "a.png", "--image-size", "big"], "--image-size must be HxW"),
    (["--import-image", "a.png", "--image-size", "0x3"], "image size 0 × 3 is out of range"),
    (["--layer-groups", "2"], "--layer-groups needs --import-layer"),
    (["--import-as", "ConvTranspose2d"], "--import-as needs --import-layer"),
    (["--gray", "--export", "out"], "--gray draws the window; --export has none"),
])
def test_option_mistakes(capsys, args, text):
    with pytest.raises(SystemExit) as exc:
        main.main(args)
    assert exc.value.code == 2 and text in capsys.readouterr().err


def test_imports_with_export_load_no_qt(files, tmp_path):
    d, _ = files
    code = (f"import sys, main; code = main.main(['--import-image', {str(d / 'rgb.png')!r}, "
            f"'--import-layer', {str(d / 'model.pt')!r}, '0.weight', '--export', "
            f"{str(tmp_path / 'o')!r}]); "
            "print(code, any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.stdout.split() == ["0", "False"], done.stderr
