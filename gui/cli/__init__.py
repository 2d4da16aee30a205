"""The command line's glue, Qt-free: what ``main.py`` runs before any window exists.

`session_arg` opens SESSION (a session file, a preset file or a preset name), `import_options`
adds and applies ``--import-layer`` / ``--import-image``, `headless` is ``--export DIR``. Each
turns a failure into one line on stderr and an exit status; none imports Qt
(tests/test_layering.py checks), so a hostile file is refused before Qt loads.
"""
