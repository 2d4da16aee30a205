"""The command line's SESSION argument: a session file, a preset file or a preset name.

Shared by the app (``python main.py SESSION``) and the headless export
(``python main.py SESSION --export DIR``), so that both accept the same names.
"""

from __future__ import annotations

from pathlib import Path

from core.io.presets import PresetError, list_presets, load_preset, load_preset_file
from core.io.session_io import load_session
from core.session import Session


def open_session_arg(arg: str) -> Session:
    """The session ``arg`` names: a ``.npz`` session, a preset ``.json`` or a preset name.

    Raises
    ------
    ValueError
        One line saying why: the file's own problem, or that ``arg`` names nothing.
    """
    path = Path(arg)
    if path.is_file():
        loader = load_preset_file if path.suffix.lower() == ".json" else load_session
        return loader(path)
    if path.suffix or "/" in arg:
        raise ValueError(f"cannot open {arg}: no such file")
    try:
        return load_preset(arg)
    except PresetError:
        names = ", ".join(p.name for p in list_presets())
        raise ValueError(f"{arg!r} is neither a file nor a preset (presets: {names})") from None
