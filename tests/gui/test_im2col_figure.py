"""Export figure › "im2col view…" (review r13 S5): from the Tensors tab it wrote a blank
640 × 480 picture and said "Exported"; on the tab, a page that scrolls came out as its
viewport, matrices cut off and the scroll bar drawn. A hidden panel is now refused with a
reason, and the im2col view is exported at its page's full size."""

from __future__ import annotations

import re

from files_support import data_home_fixture, dialogs_fixture, files_fixture  # noqa: F401
from gui_checks import svg_is_valid
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from core.io.presets import load_preset
from gui.selection import Selection


def _settle(qtbot) -> None:
    for _ in range(3):
        QApplication.processEvents()
    qtbot.wait(30)


def test_im2col_figure_is_refused_off_its_tab_and_whole_on_it(window, files, dialogs,
                                                               tmp_path, qtbot):
    window.resize(1280, 800)
    window.document.replace_session(load_preset("seed001_im2col_gradients"))
    window.selection.set_selection(Selection("output", (0, 1, 1, 1), step=5))
    _settle(qtbot)
    assert window.tabs.currentIndex() == 0  # the Tensors tab
    messages = []
    files.exports.message.connect(messages.append)
    hidden = tmp_path / "hidden.png"
    dialogs.save.append(str(hidden))
    files.exports.export_figure("im2col view")
    assert not hidden.exists() and messages == []
    assert "im2col" in files.prompts.last_error and "tab" in files.prompts.last_error

    window.tabs.setCurrentIndex(1)
    view = window.im2col
    qtbot.waitUntil(lambda: view.shown("cols", "forward") is not None, timeout=3000)
    _settle(qtbot)
    page = view.pages["forward"]
    assert page.verticalScrollBar().maximum() > 0  # the page scrolls at 1280×800
    graphics = page.graphics
    png = tmp_path / "page.png"
    dialogs.save.append(str(png))
    files.exports.export_figure("im2col view")
    image = QImage(str(png))
    assert image.width() >= graphics.width()
    assert image.height() >= graphics.height() > page.viewport().height()
    assert messages and "Exported im2col view" in messages[-1]
    svg = tmp_path / "page.svg"
    dialogs.save.append(str(svg))
    files.exports.export_figure("im2col view")
    data = svg.read_bytes()
    assert svg_is_valid(data)
    height = float(re.search(rb'<svg[^>]*height="([0-9.]+)', data).group(1))
    assert height >= graphics.height()
