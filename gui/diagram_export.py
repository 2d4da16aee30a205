"""Writing diagram figures: PNG, SVG, or a GIF of an entry's terms; from the command line
(``main.py … --figure diagram --screenshot FILE``) and from the window (File › Export figure).

`DiagramFrames` renders one GIF frame per step, all of one size: the width of the whole-sum
diagram, so that no frame has a blank strip (a longer term line is elided at its end).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from PySide6.QtGui import QImage

from core.conv import ConvResults
from core.explain import TARGETS, explain_spec
from core.io.atomic import WriteError, atomic_write_bytes
from core.session import Session

from .diagram import build_diagram
from .diagram_layout import layout
from .diagram_paint import ink_rect, png_bytes, raster, svg_bytes, to_image
from .gif_export import GifRecorder
from .provenance import Provenance

SUFFIXES = (".png", ".svg", ".gif")
FILTER = "PNG image (*.png);;SVG drawing (*.svg);;Animated GIF of the terms (*.gif)"
MAX_SCALE = 8.0


def diagram_format(path: str | os.PathLike[str], chosen_filter: str = "") -> str:
    """'.png', '.svg' or '.gif' from the file name, else from the dialog's filter."""
    suffix = Path(path).suffix.lower()
    if suffix in SUFFIXES:
        return suffix
    lowered = chosen_filter.lower()
    return ".svg" if "svg" in lowered else ".gif" if "gif" in lowered else ".png"


class DiagramFrames:
    """step -> the diagram of entry ``tensor[index]`` at that step, as an image; all frames
    have the same size (see the module docstring)."""

    def __init__(self, session: Session, results: ConvResults, tensor: str,
                 index: tuple[int, ...], scale: float = 1.0, mode: str = "real",
                 leads: dict | None = None) -> None:
        self.args = (session, results, tensor, index)
        self.scale, self.mode, self.leads = scale, mode, leads
        self.terms = explain_spec(session.spec, tensor, index, **session.tensors())
        self.provenance = Provenance(self.terms)
        whole = self._diagram(None)
        self.width = layout(whole).size.width()
        # one crop for every frame: the ink of the first and the last, which show every
        # part a frame has (the same tensors; term lines elided to the width)
        first, last = (raster(self._diagram(s), scale, self.width)
                       for s in (0, max(self.count - 1, 0)))
        self.crop = ink_rect(first).united(ink_rect(last)) if self.count else None

    @property
    def count(self) -> int:
        return len(self.terms)

    def _diagram(self, step: int | None):
        return build_diagram(*self.args, step, self.mode, self.leads, self.terms,
                             self.provenance)

    def __call__(self, step: int) -> QImage:
        return to_image(self._diagram(step), self.scale, self.width, self.crop)


def write_diagram(path: str | os.PathLike[str], session: Session, results: ConvResults,
                  tensor: str | None = None, index: tuple[int, ...] | None = None,
                  step: int | None = None, scale: float = 1.0, mode: str = "real",
                  leads: dict | None = None, fmt: str | None = None) -> Path:
    """Write the diagram as PNG or SVG (atomically). GIFs go through `GifRecorder`.

    Raises WriteError (nothing partial is left) or ValueError (a bad step or scale).
    """
    path = Path(path)
    fmt = fmt or diagram_format(path)
    if not 0 < scale <= MAX_SCALE:
        raise ValueError(f"scale {scale:g} is out of range: use a number above 0 and at most "
                         f"{MAX_SCALE:g}")
    d = build_diagram(session, results, tensor, index, step, mode, leads)
    data = svg_bytes(d, scale) if fmt == ".svg" else png_bytes(d, scale)
    atomic_write_bytes(path, data)
    return path


def gif_recorder(path: str | os.PathLike[str], frames: DiagramFrames, parent=None
                 ) -> GifRecorder:
    """A recorder writing ``frames`` (one per term, or evenly sampled) to ``path``."""
    return GifRecorder([], None, frames.count, path, parent, frame=frames)


def cli_diagram(args, err: TextIO) -> int:
    """``--figure diagram --screenshot FILE``: write the diagram; 0, or one line and 1/2."""
    from core.io.presets import default_session
    from core.session import compute_session

    from .cli.session_arg import open_session_arg
    from .provenance import checked_entry

    try:
        session = open_session_arg(args.session) if args.session else default_session()
    except ValueError as e:
        err.write(f"convviz: {e}\n")
        return 2
    tensor = index = None
    try:
        if args.select:
            tensor, index = checked_entry(args.select, args.step, session.spec)
        results = compute_session(session)
    except ValueError as e:
        err.write(f"convviz: {e}\n")
        return 2
    leads = None
    if tensor is not None and tensor not in TARGETS:  # a source entry: show its slice
        leads, tensor, index = {tensor: index[:-2]}, None, None
    path = Path(args.screenshot)
    try:
        if path.suffix.lower() == ".gif":
            return _cli_gif(path, session, results, tensor, index, args.scale, err)
        write_diagram(path, session, results, tensor, index, args.step, args.scale,
                      leads=leads)
    except (WriteError, ValueError) as e:
        err.write(f"convviz: cannot write {path}: {e}\n")
        return 1
    return 0


def _cli_gif(path: Path, session: Session, results: ConvResults, tensor: str | None,
             index, scale: float, err: TextIO) -> int:
    if tensor is None:
        err.write("convviz: a GIF animates the terms of one entry: add --select, e.g. "
                  '--select "output[0,0,1,1]"\n')
        return 2
    frames = DiagramFrames(session, results, tensor, index, scale)
    if frames.count == 0:
        err.write(f"convviz: {tensor}{list(index)} is a sum of no terms: nothing to animate\n")
        return 2
    recorder = gif_recorder(path, frames)
    failures: list[str] = []
    recorder.failed.connect(failures.append)
    recorder.run()
    if failures:
        err.write(f"convviz: cannot write {path}: {failures[0]}\n")
        return 1
    return 0
