"""GridFooter: the row under a grid's cells, its readout and its slice selectors.

The readout names a cell and its value ('y[0,0,1,2,3] = 0.0811'); the selectors pick
the slice on screen. Side by side while the readout's text fits beside the selectors; a
Conv3d's three boxes (n, c, d) leave a narrow grid's readout no room, and an elided readout
loses exactly the index and the value a student reads it for. Then the readout moves to the
grid's title row when the title leaves it the room (no pixel taken from the cells), else to
a line of its own above the selectors. Where it stays beside them a little short, the
index gives way in its middle, never the value ('y[0,…,1] = 7.7254'). Decided from the
widest text the grid expects (its index at the tensor's last cell and a six-digit value:
`set_widest`), and again for any text that turns out wider; a new width or a new shape
decides anew.
"""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QGridLayout, QLabel, QSizePolicy, QWidget

from .slice_selector import SliceSelector
from .text_line import TextLine

_SPACING = 4
#: Where the readout is: beside the selectors, in the title row, on a line of its own.
BESIDE, TITLE_ROW, OWN_LINE = "beside", "title row", "own line"
#: Beside the selectors still, when that leaves the readout at least this share of its width.
SHORT_BY = 0.75


class GridFooter(QWidget):
    """The readout and the selectors of one grid (see the module docstring)."""

    def __init__(self, axes: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # a TextLine, not a QLabel: a new text (every hover, every animation step) must not
        # re-lay out the whole window (half the cost of an 'Animate all' frame)
        self.readout = TextLine(" ", objectName="gridReadout", keep=" = ")
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.selector = SliceSelector(axes)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(_SPACING)
        self._grid.setVerticalSpacing(0)
        self._grid.setColumnStretch(0, 1)
        self._widest = ""
        self._title: QLabel | None = None
        self._header: QBoxLayout | None = None
        self._where: str | None = None
        self._place(BESIDE)

    def set_title_row(self, header: QBoxLayout, title: QLabel) -> None:
        """The grid's title row (``header``, its ``title`` first): the readout's second place."""
        self._header, self._title = header, title

    @property
    def where(self) -> str:
        """`BESIDE` the selectors, in the `TITLE_ROW` or on its `OWN_LINE`."""
        return self._where

    def set_widest(self, text: str) -> None:
        """The widest readout the grid expects (its tensor's shape changed): decide anew."""
        if text != self._widest:
            self._widest = text
            self._decide()

    def set_text(self, text: str) -> None:
        """Show ``text``; one wider than the room beside the selectors moves the readout to
        its own line (until the width or the shape changes), never elided there."""
        self.readout.setText(text or " ")
        if text and self._where != OWN_LINE and not self._fits(text, self._where):
            self._decide(text)

    def _room(self, where: str) -> int:
        """Pixels for the readout beside the selectors, or right of the title."""
        if where == BESIDE:
            return self.width() - self.selector.sizeHint().width() - _SPACING
        if where == TITLE_ROW and self._title is not None:
            title = self._title.fontMetrics().horizontalAdvance(self._title.text())
            return self.width() - title - 3 * _SPACING
        return self.width()

    def _fits(self, text: str, where: str) -> bool:
        return self.readout.fontMetrics().horizontalAdvance(text) + 6 <= self._room(where)

    def _decide(self, text: str = "") -> None:
        if self.width() <= 0 or not self.isVisible():
            return
        texts = [t for t in (self._widest, self.readout.text().strip(), text) if t]
        places = (BESIDE, TITLE_ROW) if self._header is not None else (BESIDE,)
        where = next((p for p in places if all(self._fits(t, p) for t in texts)), None)
        if where is None:  # a line of its own costs the cells its height: only when beside
            # the selectors it would lose much more than a last digit (a Conv3d's three boxes)
            # (and only where the line holds it whole: a bias' narrow column cannot)
            need = max(self.readout.fontMetrics().horizontalAdvance(t) for t in texts)
            whole = all(self._fits(t, OWN_LINE) for t in texts)
            where = OWN_LINE if whole and self._room(BESIDE) < SHORT_BY * need else BESIDE
        self._place(where)

    def _place(self, where: str) -> None:
        if where == self._where:
            return
        self._where = where
        for w in (self.readout, self.selector):
            self._grid.removeWidget(w)
        if self._header is not None:
            self._header.removeWidget(self.readout)
        if self._header is not None:  # the row's stretch (its last item) gives way to it
            self._header.setStretch(self._header.count() - 1, 0 if where == TITLE_ROW else 1)
        self.readout.setMaximumHeight(16777215)
        if where == TITLE_ROW:  # after the title, before the row's stretch, no taller
            self._header.insertWidget(self._header.count() - 1, self.readout, 1)
            self.readout.setMaximumHeight(self._title.sizeHint().height())
        elif where == OWN_LINE:
            self._grid.addWidget(self.readout, 0, 0, 1, 2)
        else:
            self._grid.addWidget(self.readout, 0, 0)
        self._grid.addWidget(self.selector, 1 if where == OWN_LINE else 0, 1)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._decide()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._decide()
