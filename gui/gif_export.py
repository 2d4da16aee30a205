"""Animated GIF of the selected entry's animation, rendered offscreen frame by frame.

`GifRecorder` drives the explainer the way the player does, through the selection's
animation step (``Selection.with_step``): for each step it sets the step, lets the views
update, grabs the widgets (offscreen: ``QWidget.grab`` paints into an image, nothing needs
to be on screen; several widgets, e.g. the grids and the equation panel, are stacked top to
bottom) and adds a caption strip naming the entry and the term. Frames are made
one per event-loop turn, so the window stays responsive and the progress dialog's Cancel
works; the GIF is encoded with Pillow at the end and written atomically.

Frames: one per step (term) of the entry's sum, up to `MAX_FRAMES`; a longer sum (a
grad_weight entry sums over every output position) is sampled at `MAX_FRAMES` evenly spaced
steps, always including the first and the last (`frame_steps`). Every frame is distinct
(its caption names its step), so no two are merged by the encoder and the GIF holds exactly
``len(frame_steps(count))`` frames. Frames wider than `MAX_WIDTH` pixels are scaled down.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication, QWidget

from core.explain import TARGETS, explain_spec
from core.io.atomic import WriteError, atomic_write
from core.session import Session

from .selection import Selection, SelectionModel, fits

MAX_FRAMES = 120
MAX_WIDTH = 1200
FRAME_MS = 300  # each step on screen
LAST_FRAME_MS = 2000  # the finished sum, before the GIF loops
CAPTION_PX = 28


def frame_steps(count: int, cap: int = MAX_FRAMES) -> list[int]:
    """The steps rendered for an animation of ``count`` steps: all of them, or ``cap`` evenly
    spaced ones (first and last included) when there are more."""
    if count <= 0:
        return []
    if count <= cap or cap < 2:
        return list(range(min(count, max(cap, 1))))
    # consecutive samples are more than one step apart, so rounding never repeats a step
    return [round(i * (count - 1) / (cap - 1)) for i in range(cap)]


def animation_problem(session: Session | None, selection: Selection) -> str | None:
    """Why the selection has no animation to record, or None when it has one."""
    if session is None:
        return "There are no results yet (the layer settings may be invalid)."
    if selection.empty or selection.tensor not in TARGETS or selection.is_block():
        return ("Select one entry of output, grad_input, grad_weight or grad_bias first: its "
                "animation (the terms of its sum) is what the GIF shows.")
    shape = session.spec.shape(selection.tensor)
    if shape is None or not fits(selection.index, shape):
        return f"The selected entry {selection.tensor}{list(selection.index)} no longer exists."
    return None


def step_count(session: Session, selection: Selection) -> int:
    """How many steps (terms) the selected entry's animation has (what the player counts)."""
    terms = explain_spec(session.spec, selection.tensor, selection.index, **session.tensors())
    return len(terms)


def _to_pil(image: QImage):
    from PIL import Image

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    data = bytes(image.constBits())
    return Image.frombuffer("RGB", (image.width(), image.height()), data, "raw", "RGB",
                            image.bytesPerLine(), 1)


def _stacked(images: list[QImage]) -> QImage:
    """The images one above the other, left-aligned on white."""
    images = [im for im in images if not im.isNull()]
    if not images:
        raise ValueError("cannot render the window offscreen (it has no size)")
    if len(images) == 1:
        return images[0]
    out = QImage(max(im.width() for im in images), sum(im.height() for im in images),
                 QImage.Format.Format_RGB32)
    out.fill(QColor("#ffffff"))
    painter = QPainter(out)
    try:
        y = 0
        for im in images:
            painter.drawImage(0, y, im)
            y += im.height()
    finally:
        painter.end()
    return out


def _captioned(frame: QImage, text: str) -> QImage:
    out = QImage(frame.width(), frame.height() + CAPTION_PX, QImage.Format.Format_RGB32)
    out.fill(QColor("#ffffff"))
    painter = QPainter(out)
    try:
        painter.drawImage(0, 0, frame)
        strip = QRect(0, frame.height(), frame.width(), CAPTION_PX)
        painter.fillRect(strip, QColor("#1f2937"))
        painter.setPen(QColor("#f9fafb"))
        font = QFont(painter.font())
        font.setPixelSize(15)
        painter.setFont(font)
        painter.drawText(strip.adjusted(10, 0, -10, 0),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
    finally:
        painter.end()
    return out


class GifRecorder(QObject):
    """Records ``steps`` of the selection's animation from ``widgets`` into ``path``.

    With ``frame`` (step -> QImage, e.g. a diagram of that step) the frames come from it
    instead, and neither the widgets nor the selection are touched.

    ``start()`` works through the event loop (one frame per turn); ``run()`` does it all at
    once (tests, scripts). The original selection and step are put back at the end, also
    after a cancel or a failure.
    """

    progressed = Signal(int)  # frames done
    finished = Signal(str)  # the path written
    failed = Signal(str)
    canceled = Signal()

    def __init__(self, widgets: QWidget | Sequence[QWidget], selection: SelectionModel | None,
                 count: int, path: str | os.PathLike[str],
                 parent: QObject | None = None,
                 frame: Callable[[int], QImage] | None = None) -> None:
        super().__init__(parent)
        self.widgets = [widgets] if isinstance(widgets, QWidget) else list(widgets)
        self.selection = selection
        self.path = Path(path)
        self.origin = selection.selection if selection is not None else None
        self._frame = frame  # step -> the whole frame (a diagram); None: grab the widgets
        self.count = count
        self.steps = frame_steps(count)
        self.frames: list = []
        self.done = False
        self._palette = None  # one palette for all frames, so unchanged pixels stay equal
        self._timer = QTimer(self, singleShot=False, interval=0)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        self._timer.start()

    def run(self) -> None:
        while not self.done:
            self._on_timer_timeout()

    def cancel(self) -> None:
        if self.done:
            return
        self._end()
        self.frames.clear()
        self.canceled.emit()

    def _on_timer_timeout(self) -> None:
        if self.done:
            return
        try:
            if self._palette is None and self.steps:
                self._palette = self._make_palette()
            if len(self.frames) < len(self.steps):
                self.frames.append(self._quantized(self._render(self.steps[len(self.frames)])))
                self.progressed.emit(len(self.frames))
                return
            self._write()
        except (WriteError, ValueError, OSError) as e:
            self._end()
            self.failed.emit(str(e))
            return
        self._end()
        self.finished.emit(str(self.path))

    def _render(self, step: int):
        if self._frame is not None:  # a diagram frame names its entry and term itself
            return _to_pil(self._frame(step))
        self.selection.set_selection(self.origin.with_step(step))
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        image = _stacked([w.grab().toImage() for w in self.widgets])
        if image.width() > MAX_WIDTH:
            image = image.scaledToWidth(MAX_WIDTH, Qt.TransformationMode.SmoothTransformation)
        sel = self.origin
        index = ", ".join(str(i) for i in sel.index)
        caption = f"{sel.tensor}[{index}]   term {step} of 0–{self.count - 1}"  # as the player
        return _to_pil(_captioned(image, caption))

    def _make_palette(self):
        """255 colours taken from the first and the last frame (between them, they show
        every kind of highlight the animation uses)."""
        from PIL import Image

        first, last = self._render(self.steps[0]), self._render(self.steps[-1])
        both = Image.new("RGB", (first.width, first.height + last.height))
        both.paste(first, (0, 0))
        both.paste(last, (0, first.height))
        return both.quantize(255, method=Image.Quantize.FASTOCTREE)

    def _quantized(self, frame):
        from PIL import Image

        return frame.quantize(palette=self._palette, dither=Image.Dither.NONE)

    def _write(self) -> None:
        if not self.frames:
            raise ValueError("the selected entry has no terms to animate")
        durations = [FRAME_MS] * (len(self.frames) - 1) + [LAST_FRAME_MS]
        first, rest = self.frames[0], self.frames[1:]

        def write(f) -> None:
            first.save(f, format="GIF", save_all=True, append_images=rest,
                       duration=durations, loop=0, optimize=False)

        atomic_write(self.path, write)

    def _end(self) -> None:
        self.done = True
        self._timer.stop()
        if self.selection is not None and self._frame is None:
            self.selection.set_selection(self.origin)
