"""PlayerBar: play/pause, step, a scrubber over the terms, speed, and 'Animate all'.

The clock is `Playback`, a small QObject: a 60 fps frame timer and a position that moves at
``speed`` steps per *second*, measured on a monotonic clock. Frames and steps are decoupled:
at 2 terms/s a step lasts 30 frames, at 600 terms/s a frame jumps 10 steps (the views show
the last one; the running sum is a cumulative sum, so nothing is lost).

Passive: ``set_count`` / ``set_step`` in (silent); ``stepRequested(int)`` and
``animateAllRequested(bool)`` out.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QWidget,
)

from .text_line import TextLine

FPS = 60
#: Speeds offered, in steps per second (the first ones are fractions of a step per frame).
SPEEDS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 240.0, 1000.0, 5000.0)
DEFAULT_SPEED = 5.0
_MAX_FRAME_S = 0.1  # a stalled frame (a resize, a slow repaint) does not jump ahead further
SLIDER_MAX = 2**31 - 1  # a QSlider holds a C int; longer sweeps move it in strides


class Playback(QObject):
    """A frame clock moving a position over ``count`` steps at ``speed`` steps per second."""

    stepChanged = Signal(object)  # int (past a C int: long sweeps); at most once per frame
    playingChanged = Signal(bool)
    finished = Signal()  # reached the last step while playing
    frameTicked = Signal()  # every frame while playing (benchmarks count these)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(int(1000 / FPS))
        self._timer.timeout.connect(self._on_timer_timeout)
        self._clock = QElapsedTimer()
        self._count = 0
        self._position = 0.0
        self._speed = DEFAULT_SPEED
        self.ticks = 0  # frames ticked since the last `play`

    # -- state ---------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return self._count

    @property
    def step(self) -> int:
        return int(math.floor(self._position))

    @property
    def position(self) -> float:
        return self._position

    @property
    def speed(self) -> float:
        return self._speed

    def is_playing(self) -> bool:
        return self._timer.isActive()

    def set_count(self, count: int) -> None:
        """Steps 0..count-1; a position beyond them moves back to the last; 0 stops."""
        self._count = max(int(count), 0)
        if self._count == 0:
            self.pause()
            self._position = 0.0
        elif self._position > self._count - 1:
            self._position = float(self._count - 1)

    def set_step(self, step: int) -> None:
        """Move to ``step`` without a signal; the fraction is kept when it is the same step."""
        step = min(max(int(step), 0), max(self._count - 1, 0))
        if step != self.step:
            self._position = float(step)

    def set_speed(self, steps_per_second: float) -> None:
        if not steps_per_second > 0:
            raise ValueError(f"speed must be > 0 steps per second, got {steps_per_second}")
        self._speed = float(steps_per_second)

    # -- playing -------------------------------------------------------------------------
    def play(self) -> None:
        if self._count <= 1 or self.is_playing():
            return
        if self.step >= self._count - 1:  # at the end: start over
            self._position = 0.0
            self.stepChanged.emit(0)
        self.ticks = 0
        self._clock.start()
        self._timer.start()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if self.is_playing():
            self._timer.stop()
            self.playingChanged.emit(False)

    def toggle(self) -> None:
        self.pause() if self.is_playing() else self.play()

    def advance(self, seconds: float) -> None:
        """Move on by ``seconds`` of playing time (the timer calls this; tests call it too)."""
        if self._count == 0:
            return
        before = self.step
        last = self._count - 1
        self._position = min(self._position + self._speed * seconds, float(last))
        if self.step != before:
            self.stepChanged.emit(self.step)
        if self.step >= last and self.is_playing():
            self.pause()
            self.finished.emit()

    def _on_timer_timeout(self) -> None:
        seconds = min(self._clock.restart() / 1000.0, _MAX_FRAME_S)
        self.ticks += 1
        self.frameTicked.emit()
        self.advance(seconds)


class PlayerBar(QWidget):
    """Transport controls over the terms of the selected entry (or, animating all, entries)."""

    stepRequested = Signal(object)  # int, which may be past a C int (long sweeps)
    animateAllRequested = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playerBar")
        self.playback = Playback(self)
        self._unit = "term"
        self._stride = 1  # steps per scrubber position (more than 1 only past SLIDER_MAX)
        style = self.style()
        icons = QStyle.StandardPixmap

        def button(name: str, pixmap, tip: str) -> QToolButton:
            b = QToolButton(objectName=name)
            b.setIcon(style.standardIcon(pixmap))
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space belongs to play/pause
            return b

        self.first = button("playerFirst", icons.SP_MediaSkipBackward, "first term")
        self.back = button("playerBack", icons.SP_MediaSeekBackward, "step back (←)")
        self.play = button("playerPlay", icons.SP_MediaPlay, "play / pause (Space)")
        self.forward = button("playerForward", icons.SP_MediaSeekForward, "step forward (→)")
        self.last = button("playerLast", icons.SP_MediaSkipForward, "last term")
        self.scrubber = QSlider(Qt.Orientation.Horizontal, objectName="playerScrubber")
        self.scrubber.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scrubber.setToolTip("scrub through the terms")
        self.position = TextLine(objectName="playerPosition")  # changes every frame
        self.position.setFixedWidth(170)
        self.position.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.speed = QComboBox(objectName="playerSpeed")
        self.speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed.setToolTip("steps per second")
        for s in SPEEDS:
            self.speed.addItem(f"{s:g} /s", s)
        self.speed.setCurrentIndex(SPEEDS.index(DEFAULT_SPEED))
        # a checkable action (also in the Explain menu), shown pressed while it sweeps
        self.animate_all_action = QAction("&Animate all", self)
        self.animate_all_action.setCheckable(True)
        self.animate_all_action.setToolTip(
            "Sweep the selected result tensor (output if none), filling it in entry by entry "
            "at the chosen speed; pressed while sweeping, click again to stop (or, once it "
            "has finished, to replay)")
        self.animate_all = QToolButton(objectName="playerAnimateAll")
        self.animate_all.setDefaultAction(self.animate_all_action)
        self.animate_all.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        row.setSpacing(4)
        for w in (self.first, self.back, self.play, self.forward, self.last):
            row.addWidget(w)
        row.addWidget(self.scrubber, 1)
        row.addWidget(self.position)
        row.addWidget(QLabel("speed"))
        row.addWidget(self.speed)
        row.addWidget(self.animate_all)

        self.first.clicked.connect(self._on_first_clicked)
        self.back.clicked.connect(self.step_back)
        self.play.clicked.connect(self.playback.toggle)
        self.forward.clicked.connect(self.step_forward)
        self.last.clicked.connect(self._on_last_clicked)
        self.scrubber.valueChanged.connect(self._on_scrubber_valueChanged)
        self.speed.currentIndexChanged.connect(self._on_speed_currentIndexChanged)
        self.animate_all_action.toggled.connect(self.animateAllRequested)
        self.playback.finished.connect(self._on_playback_finished)
        self.playback.stepChanged.connect(self.stepRequested)
        self.playback.playingChanged.connect(self._on_playback_playingChanged)
        self.set_count(0)

    # -- data in (silent) ----------------------------------------------------------------
    def set_count(self, count: int, unit: str = "term") -> None:
        """``count`` steps of ``unit`` ('term', or 'entry' while animating all), at the speed
        the user chose (the same for both units)."""
        self._unit = unit
        self.playback.set_count(count)
        self._stride = max(1, -(-count // SLIDER_MAX))
        self.scrubber.blockSignals(True)
        self.scrubber.setRange(0, max(count - 1, 0) // self._stride)
        self.scrubber.blockSignals(False)
        for w in (self.first, self.back, self.play, self.forward, self.last, self.scrubber):
            w.setEnabled(count > 1)
        self._show()

    def set_step(self, step: int | None) -> None:
        """The step on screen; None shows the whole sum (the scrubber at the end)."""
        count = self.playback.count
        shown = count - 1 if step is None else step
        self.playback.set_step(shown)
        if self.scrubber.value() != max(shown, 0) // self._stride:
            self.scrubber.blockSignals(True)
            self.scrubber.setValue(max(shown, 0) // self._stride)
            self.scrubber.blockSignals(False)
        self._show(step)

    def set_animate_all(self, on: bool) -> None:
        if self.animate_all_action.isChecked() != on:
            self.animate_all_action.blockSignals(True)
            self.animate_all_action.setChecked(on)
            self.animate_all_action.blockSignals(False)

    def _on_playback_finished(self) -> None:
        if self.animate_all_action.isChecked():  # the sweep is over: a click replays it
            self.animate_all_action.setChecked(False)

    # -- user intent ---------------------------------------------------------------------
    def step_back(self) -> None:
        self._request(self.playback.step - 1)

    def step_forward(self) -> None:
        self._request(self.playback.step + 1)

    def toggle(self) -> None:
        self.playback.toggle()

    def _request(self, step: int) -> None:
        count = self.playback.count
        if count:
            self.playback.pause()
            self.stepRequested.emit(min(max(step, 0), count - 1))

    def _on_first_clicked(self) -> None:
        self._request(0)

    def _on_last_clicked(self) -> None:
        self._request(self.playback.count - 1)

    def _on_scrubber_valueChanged(self, value: int) -> None:
        self._request(value * self._stride)

    def _on_speed_currentIndexChanged(self, i: int) -> None:
        self.playback.set_speed(float(self.speed.itemData(i)))

    def _on_playback_playingChanged(self, playing: bool) -> None:
        icons = QStyle.StandardPixmap
        pixmap = icons.SP_MediaPause if playing else icons.SP_MediaPlay
        self.play.setIcon(self.style().standardIcon(pixmap))

    def _show(self, step: int | None = None) -> None:
        count = self.playback.count
        if count == 0:
            self.position.setText("")
        elif step is None:
            self.position.setText(f"all {count} {self._unit}s")
        else:
            self.position.setText(f"{self._unit} {step} of 0–{count - 1}")
