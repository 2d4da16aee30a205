"""ConvViz's Qt front end: passive views over `gui.document.Document`, compute in `gui.compute`.

Importing the package loads no Qt: `gui.qt_app.application` makes the QApplication (and
applies the bindings' work-arounds), so pure view logic imports and runs without Qt.
"""


def __getattr__(name: str):
    # `from gui import show` without loading the window's modules at `import gui`
    if name == "show":
        from .live import show

        return show
    raise AttributeError(f"module 'gui' has no attribute {name!r}")
