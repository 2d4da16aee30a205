"""StatusBar: backend, compute time, the torch cross-check, and short notes."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from ..compute import ComputeResult
from ..crosscheck import CrossCheckResult


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.0f} ms"


class StatusBar(QStatusBar):
    """Passive: ``set_*`` in, nothing out."""

    NOTE_MS = 6000

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.backend = QLabel(objectName="statusBackend")
        self.timing = QLabel(objectName="statusTiming")
        self.check = QLabel("torch cross-check: waiting for torch to load…",
                            objectName="statusCheck")
        self.check.setProperty("state", "pending")
        self.check.setToolTip(
            "The same layer is run by torch's own (nn.Conv1d/2d/3d or nn.ConvTranspose1d/2d/3d) + "
            "autograd in the background and "
            "compared with the numbers shown"
        )
        for label in (self.backend, self.timing, self.check):
            self.addPermanentWidget(label)
        self._invalid = False
        self._permanent_shown = True
        self.messageChanged.connect(self._on_messageChanged)

    def set_result(self, result: ComputeResult) -> None:
        names = {"numpy": "numpy", "torch": "torch (CPU)", "cuda": "CUDA"}
        self.backend.setText(f"backend: {names.get(result.backend, result.backend)}")
        self.timing.setText(f"forward + backward: {_ms(result.seconds)}")

    def set_busy(self, busy: bool) -> None:
        if busy:
            self.timing.setText("computing…")

    def set_crosscheck_pending(self) -> None:
        self._set_check("checking against torch…", "pending")

    def set_crosscheck(self, outcome: CrossCheckResult) -> None:
        if outcome.check is None:
            self._set_check(f"torch cross-check failed: {outcome.error}", "bad")
            return
        check = outcome.check
        self._set_check(f"✓ {check.summary()}" if check.ok else f"✗ {check.summary()}",
                        "ok" if check.ok else "bad")
        lines = [f"{k}: max |Δ| = {v:.3g} (tolerance {check.tolerances[k]:.2g})"
                 for k, v in check.deltas.items()]
        self.check.setToolTip("Compared with torch's own layer + autograd:\n" + "\n".join(lines))

    def set_invalid(self, invalid: bool) -> None:
        self._invalid = invalid
        if invalid:
            self.showMessage("The layer settings are invalid or over the memory limit (see the "
                             "Layer panel): the results shown (greyed) are the last valid ones.")
        else:
            self.clearMessage()

    def show_note(self, text: str) -> None:
        self.showMessage(text, self.NOTE_MS)

    def show_error(self, text: str) -> None:
        self.showMessage(f"Compute failed: {text}")

    def _on_messageChanged(self, text: str) -> None:
        """A note too long for the room left of the backend, timing and cross-check labels
        takes the whole bar while it shows (review F6: 'grad_output resiz' was cut off,
        and the part cut was what had been reset); the full text is the bar's tool tip."""
        room = self.width() - sum(w.sizeHint().width() + 12 for w in self._permanent())
        wide = bool(text) and self.fontMetrics().horizontalAdvance(text) + 24 > room
        if wide == self._permanent_shown:
            self._permanent_shown = not wide
            for w in self._permanent():
                w.setVisible(not wide)
        self.setToolTip(text)

    def _permanent(self) -> tuple[QLabel, ...]:
        return (self.backend, self.timing, self.check)

    def _set_check(self, text: str, state: str) -> None:
        self.check.setText(text)
        self.check.setProperty("state", state)
        self.check.style().unpolish(self.check)
        self.check.style().polish(self.check)
