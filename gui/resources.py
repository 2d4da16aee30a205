"""The one resolver for ``resources/`` in the app: icons and the style sheet (core finds
the presets itself: it cannot import gui).

``resources/`` is not a package; it sits next to ``gui/`` in the source tree. Icons are made
lazily and cached; an unknown name raises instead of giving a blank icon.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

ROOT = Path(__file__).resolve().parent.parent / "resources"


def path(*parts: str) -> Path:
    """A file or folder under ``resources/``; raises FileNotFoundError when it is missing."""
    p = ROOT.joinpath(*parts)
    if not p.exists():
        raise FileNotFoundError(f"no resource {'/'.join(parts)!r} under {ROOT}")
    return p


def icon_names() -> list[str]:
    return sorted(p.stem for p in (ROOT / "icons").glob("*.svg"))


@cache
def icon(name: str) -> QIcon:
    """``resources/icons/<name>.svg`` as a QIcon (cached)."""
    p = ROOT / "icons" / f"{name}.svg"
    if not p.is_file():
        raise KeyError(f"unknown icon {name!r}; known icons: {', '.join(icon_names())}")
    return QIcon(str(p))


def style_sheet() -> str:
    """The application style sheet, ``resources/style.qss``."""
    return path("style.qss").read_text(encoding="utf-8")
