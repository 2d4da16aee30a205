"""The wall between layers, for every module of core/ (found by walking the package):

- no core module imports Qt or gui, even inside a function (read from the source);
- the math at core's top (and core/backends) never imports the files (core.io) or the checks
  against torch (core.verify), even inside a function (read from the source), and importing
  it loads neither (checked at run time too);
- importing any core module loads no torch, except the torch backend itself, which core
  imports only when that backend is asked for;
- ``import gui``, the command line glue (gui.cli) and the Qt-free view logic load no Qt.

The window not loading torch at start is checked where the window is: tests/gui/test_cli.py.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import core
import gui.cli

ROOT = Path(__file__).resolve().parents[1]
#: Not math: what touches the disk or foreign formats, and the checks against torch.
NOT_MATH = ("core.io", "core.verify")
#: The one module that imports torch at its top; core imports it only when asked for.
TORCH_BACKEND = "core.backends.torch_backend"
QT = ("PySide6", "pyqtgraph", "shiboken6")
#: gui modules that must import without Qt.
QT_FREE_GUI = ("gui", "gui.provenance", "gui.equation", "gui.fills", "gui.im2col_layout",
               "gui.im2col_transposed")


def _under(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _modules(package) -> list[str]:
    found = pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    return sorted([package.__name__, *(m.name for m in found)])


CORE = _modules(core)
MATH = [m for m in CORE if not _under(m, NOT_MATH)]
FILES = [m for m in CORE if _under(m, NOT_MATH)]


def _modules_after(statement: str) -> set[str]:
    code = f"{statement}; import sys; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def _imports(module: str) -> list[tuple[str, int]]:
    """Every module ``module``'s source imports (at its top or inside a function), with the
    line: ``from . import x`` counts as the package and as ``package.x``."""
    spec = importlib.util.find_spec(module)
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    package = module if spec.submodule_search_locations is not None else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1])
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module
            found.append((name, node.lineno))
            found += [(f"{name}.{a.name}", node.lineno) for a in node.names]
    return found


def test_walk_finds_the_math_the_files_and_the_checks():
    """The walk covers what this file's checks are about (so that they cannot pass empty)."""
    for name in ("core.spec", "core.conv", "core.session", "core.backends.numpy_backend",
                 TORCH_BACKEND):
        assert name in MATH
    for name in ("core.io.session_io", "core.io.presets", "core.verify.crosscheck"):
        assert name in FILES


def test_import_core_loads_no_qt_and_no_torch():
    loaded = _modules_after("import core")
    assert not {"torch", "PySide6", "pyqtgraph"} & loaded


def test_no_core_module_imports_qt_or_gui():
    wrong = [f"{m}:{line} imports {name}" for m in CORE for name, line in _imports(m)
             if _under(name, (*QT, "gui"))]
    assert not wrong


def test_the_math_never_imports_the_files_or_the_checks():
    wrong = [f"{m}:{line} imports {name}" for m in MATH for name, line in _imports(m)
             if _under(name, NOT_MATH)]
    assert not wrong


# One interpreter for every module: each is imported in turn, the math first, and after each
# import the first module to have loaded a forbidden one is noted.
_IMPORT_EACH = """
import importlib, json, sys
watch = ("torch", "core.io", "core.verify", "PySide6", "pyqtgraph", "shiboken6")
first = {}
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
    for w in watch:
        if w not in first and any(m == w or m.startswith(w + ".") for m in sys.modules):
            first[w] = name
print(json.dumps(first))
"""


def test_importing_each_module_loads_no_qt_no_torch_and_the_math_no_files():
    gui_modules = [*QT_FREE_GUI, *_modules(gui.cli)]
    order = [m for m in MATH if m != TORCH_BACKEND] + FILES + gui_modules
    run = subprocess.run([sys.executable, "-c", _IMPORT_EACH, json.dumps(order)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    first = json.loads(run.stdout)
    for watched in ("torch", *QT):
        assert watched not in first, (
            f"importing {first[watched]} (or what it imports) loads {watched}")
    for package in NOT_MATH:  # the math is imported first: it must leave them unloaded
        assert first.get(package) not in MATH, (
            f"importing {first[package]} (or what it imports) loads {package}")
