"""``--import-image FILE`` and ``--import-layer FILE KEY`` on the command line, Qt-free.

``main.py`` registers the options with `add_arguments`, checks them with `check_arguments`
and, when either is given, builds the session with `imported_session` before the window or
the headless export takes it. The layer is imported first (it fixes ``in_channels``), then
the picture, whose colour follows the layer unless ``--image-color`` says otherwise.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from core.io import image_import as images
from core.io.checkpoint_formats import open_checkpoint
from core.io.checkpoint_import import NOT_IN_STATE_DICT, describe_layer, kind_note
from core.io.checkpoint_import import session_with_layer as with_layer
from core.io.presets import default_session
from core.session import Session
from core.torch_layer import KINDS

from .session_arg import open_session_arg


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("your own data")
    g.add_argument("--import-image", metavar="FILE",
                   help="use a picture (PNG, JPEG, BMP, GIF, TIFF) as the input")
    g.add_argument("--image-color", choices=images.COLORS,
                   help="gray (1 channel) or rgb (3); default: what the layer's in_channels "
                        "takes (1 or 3)")
    g.add_argument("--image-size", metavar="HxW",
                   help="the input size to resize to, e.g. 96x96; default: the current "
                        f"input size, each side at most {images.INTERACTIVE_SIDE}")
    g.add_argument("--image-fit", choices=images.FITS, default="crop",
                   help="crop: keep the aspect ratio and cut the centre (default); stretch")
    g.add_argument("--image-scaling", choices=images.SCALINGS, default="0-1",
                   help="pixel values to 0…1 (default), to −1…1 (symmetric), or by "
                        "ImageNet's mean/std")
    g.add_argument("--import-layer", nargs=2, metavar=("FILE", "KEY"),
                   help="the layer of weight KEY in a .pt/.pth state_dict or a .safetensors file")
    g.add_argument("--layer-groups", metavar="G", type=int, default=1,
                   help="with --import-layer: groups (a weight's shape cannot tell; default 1)")
    g.add_argument("--import-as", choices=list(KINDS), metavar="{" + ",".join(KINDS) + "}",
                   help="with --import-layer: the layer the weight belongs to (a state_dict "
                        "does not say; a Conv2d reads a 4-D weight as (out, in/groups, kH, "
                        "kW), a ConvTranspose2d as (in, out/groups, kH, kW); a 3-D weight is "
                        "a Conv1d's or ConvTranspose1d's, a 5-D one a Conv3d's or "
                        "ConvTranspose3d's); default: the session's kind")
    g.add_argument("--gray", action="store_true",
                   help="draw the grids as grayscale feature maps (View › Feature maps in gray)")


def parse_size(text: str) -> tuple[int, int]:
    """'96x96' or '64,128' → (96, 96) / (64, 128); ValueError naming the text."""
    parts = text.lower().replace("×", "x").replace(",", "x").split("x")
    try:
        h, w = (int(v) for v in parts)
    except ValueError:
        raise ValueError(f"--image-size must be HxW like 96x96, got {text!r}") from None
    return h, w


def check_arguments(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Option combinations that make no sense: ``p.error`` (one line, exit 2)."""
    if not args.import_image:
        for flag, given in (("--image-color", args.image_color),
                            ("--image-size", args.image_size)):
            if given:
                p.error(f"{flag} needs --import-image")
    if args.image_size:
        try:
            images.ImageOptions(size=parse_size(args.image_size))
        except ValueError as e:
            p.error(str(e))
    if args.layer_groups != 1 and not args.import_layer:
        p.error("--layer-groups needs --import-layer")
    if args.import_as and not args.import_layer:
        p.error("--import-as needs --import-layer")
    if args.gray and args.export is not None:
        p.error("--gray draws the window; --export has none")


def wants_import(args: argparse.Namespace) -> bool:
    return bool(args.import_image or args.import_layer)


def _color_for(session: Session, args: argparse.Namespace, layer_fixed: bool) -> str:
    c = session.spec.in_channels
    if args.image_color:
        wanted = images.ImageOptions(color=args.image_color).channels
        if layer_fixed and wanted != c:
            raise ValueError(f"the imported layer takes {c} input channel(s) but "
                             f"--image-color {args.image_color} gives {wanted}")
        return args.image_color
    if c in (1, 3):
        return "gray" if c == 1 else "rgb"
    raise ValueError(f"the layer has in_channels {c}; a picture gives 1 (gray) or 3 (rgb): "
                     "pass --image-color gray or rgb to set in_channels")


def imported_session(args: argparse.Namespace, notes: TextIO) -> Session:
    """SESSION (or the default scene) with ``--import-layer`` and ``--import-image`` applied.

    Writes one ``convviz: note: …`` line per import to ``notes`` (what was set, and what a
    state_dict does not hold).

    Raises
    ------
    ValueError
        One line: SESSION's, the checkpoint's or the picture's problem.
    """
    session = open_session_arg(args.session) if args.session else default_session()
    if args.import_layer:
        path, key = args.import_layer
        ckpt = open_checkpoint(path)
        before = session
        kind = KINDS[args.import_as] if args.import_as else None
        rank = len(ckpt.entry(key).shape)
        if kind is not None and rank != kind.dims + 2:
            raise ValueError(f"--import-as {args.import_as} takes a {kind.dims + 2}-D weight, "
                             f"but {key!r} {ckpt.entry(key).shape} is {rank}-D")
        session = with_layer(session, ckpt, key, args.layer_groups,
                             None if kind is None else kind.transposed)
        said = describe_layer(ckpt, key, args.layer_groups, session.spec.transposed,
                              session.spec.dtype)
        switch = kind_note(before, session)
        notes.write(f"convviz: note: imported {said}; {switch + '; ' if switch else ''}"
                    f"{NOT_IN_STATE_DICT}\n")
    if args.import_image:
        images.check_takes_pictures(session.spec)  # first: no colour or size would help
        size = parse_size(args.image_size) if args.image_size else None
        options = images.ImageOptions(
            color=_color_for(session, args, bool(args.import_layer)),
            size=size or images.default_size(session.spec),
            fit=args.image_fit, scaling=args.image_scaling)
        pixels = images.load_image(args.import_image, options)
        before = session.spec
        session = images.session_with_image(session, pixels)
        change = ""
        if session.spec.in_channels != before.in_channels:
            change = f"; in_channels {before.in_channels} → {session.spec.in_channels}"
        what = images.describe(args.import_image, pixels, options)
        notes.write(f"convviz: note: input from {what}{change}\n")
    return session


def cli_session(args: argparse.Namespace, stderr: TextIO) -> Session | int:
    """`imported_session` for ``main.py``: the session, or 2 after one line on stderr."""
    try:
        return imported_session(args, stderr)
    except ValueError as e:
        stderr.write("convviz: " + " ".join(str(e).split()) + "\n")
        stderr.flush()
        return 2
