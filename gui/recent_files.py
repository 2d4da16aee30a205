"""RecentFiles: File › Open Recent, a list of at most `MAX_RECENT` paths kept in QSettings
(and the folder file dialogs start in).

The newest file comes first. Files that no longer exist are dropped when the menu is shown
(and when opening one fails because it is gone). The settings object is made on first use,
so that a window built in a test never touches the user's settings unless asked to.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

MAX_RECENT = 10
KEY = "files/recent"
FOLDER_KEY = "files/lastFolder"


def _as_list(value: object) -> list[str]:
    """QSettings gives a list, one string, or None depending on the platform and count."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value if v]


class RecentFiles(QObject):
    """The list and its menu; ``openRequested(path)`` when the user picks an entry."""

    openRequested = Signal(str)

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.menu = QMenu("Open &Recent", parent)
        self.menu.setObjectName("recentMenu")
        self.menu.aboutToShow.connect(self.rebuild)
        self.menu.triggered.connect(self._on_menu_triggered)

    @property
    def settings(self) -> QSettings:
        if self._settings is None:
            self._settings = QSettings()
        return self._settings

    def set_settings(self, settings: QSettings) -> None:
        self._settings = settings

    def paths(self) -> list[str]:
        """The remembered files that still exist, newest first (missing ones are forgotten)."""
        stored = _as_list(self.settings.value(KEY))
        kept = [p for p in stored if os.path.isfile(p)][:MAX_RECENT]
        if kept != stored:
            self._store(kept)
        return kept

    def add(self, path: str | os.PathLike[str]) -> None:
        """Put ``path`` first (once)."""
        path = str(Path(path).resolve())
        rest = [p for p in _as_list(self.settings.value(KEY)) if p != path]
        self._store([path, *rest][:MAX_RECENT])

    def remove(self, path: str | os.PathLike[str]) -> None:
        path = str(Path(path).resolve())
        self._store([p for p in _as_list(self.settings.value(KEY)) if p != path])

    def clear(self) -> None:
        self._store([])

    def last_folder(self, fallback: str | os.PathLike[str] | None = None) -> str:
        """Where file dialogs start: the folder last used, else ``fallback``, else the cwd."""
        folder = self.settings.value(FOLDER_KEY)
        if isinstance(folder, str) and os.path.isdir(folder):
            return folder
        return str(fallback) if fallback is not None else os.getcwd()

    def set_last_folder(self, folder: str | os.PathLike[str]) -> None:
        self.settings.setValue(FOLDER_KEY, str(folder))

    def _store(self, paths: list[str]) -> None:
        self.settings.setValue(KEY, paths)
        self.settings.sync()

    def rebuild(self) -> None:
        """Fill the menu from the list (connected to ``aboutToShow``)."""
        self.menu.clear()
        paths = self.paths()
        for i, path in enumerate(paths):
            prefix = f"&{i + 1} " if i < 9 else "1&0 "
            action = self.menu.addAction(prefix + Path(path).name.replace("&", "&&"))
            action.setToolTip(path)
            action.setStatusTip(path)
            action.setData(path)
        if not paths:
            self.menu.addAction("(no recent files)").setEnabled(False)
        self.menu.addSeparator()
        clear = self.menu.addAction("&Clear the list")
        clear.setData("")
        clear.setEnabled(bool(paths))

    def _on_menu_triggered(self, action: QAction) -> None:
        path = action.data()
        if path is None:
            return
        if path == "":
            self.clear()
        else:
            self.openRequested.emit(path)
