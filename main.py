"""ConvViz: see exactly how PyTorch's nn.Conv1d/2d/3d and nn.ConvTranspose1d/2d/3d compute
forward and backward, number by number.

    python main.py [SESSION] [--select ENTRY [--step K]] [--tab im2col]
                   [--screenshot PNG [--with-crosscheck]]
    python main.py [SESSION] [--select ENTRY [--step K]] --figure diagram [--scale S]
                   --screenshot FILE.png|.svg|.gif
    python main.py [SESSION] --export DIR
    python main.py [SESSION] [--import-layer FILE KEY] [--import-image FILE] [...]

SESSION is a session file (.npz), a preset file (.json) or a preset name (e.g. sobel_edges).
``--screenshot`` renders the main window after the first result, saves it and exits 0.
``--select ENTRY`` (e.g. ``grad_weight[0,0,1,1]``) selects an entry and shows where it
comes from (one index per spatial axis: ``output[0,1,5]`` in a Conv1d, five in a Conv3d);
``--step K`` shows its sum up to term K (0-based), as a figure with --screenshot.
``--figure diagram`` draws only the tensors, highlights and sum (no window): PNG, SVG, or a
GIF of the selected entry's terms.
``--export DIR`` loads SESSION (the default scene without one), computes it
and writes every tensor as .npy plus spec.json into DIR, without Qt or a window.
``--import-layer FILE KEY`` / ``--import-image FILE`` put a checkpoint's layer / a picture
into SESSION first (with --screenshot, --export or the app; see ``gui.cli.import_options``).
Command-line mistakes print one line on stderr and exit 2; there is never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump
        if message.endswith("expected one argument"):  # '--image-size -3x4': argparse
            # took the value for an option; '=' hands it over, to be judged
            flag = message.removeprefix("argument ").split(":")[0].split("/")[-1]
            message += f" (if its value begins with '-', write {flag}=VALUE)"
        self.exit(2, f"convviz: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The command line. Headless modes register their options here (see `headless`)."""
    p = _Parser(prog="convviz", description=__doc__.split("\n\n")[0])
    p.add_argument("session", nargs="?", metavar="SESSION",
                   help="a session .npz, a preset .json, or a preset name")
    p.add_argument("--screenshot", metavar="PNG",
                   help="render the window after the first result, save it to PNG and exit")
    p.add_argument("--with-crosscheck", action="store_true",
                   help="with --screenshot: wait for the torch cross-check before saving")
    p.add_argument("--export", metavar="DIR",
                   help="write every tensor as .npy and spec.json into DIR (no window) and exit")
    p.add_argument("--select", metavar="ENTRY",
                   help='select an entry and show where it comes from, e.g. "grad_weight[0,0,1,1]" '
                        "(one index per axis of the tensor: 3 in a Conv1d, 5 in a Conv3d)")
    p.add_argument("--step", metavar="K", type=int,
                   help="with --select: show the sum up to term K (0-based), term K current")
    p.add_argument("--tab", choices=("tensors", "im2col"),
                   help="the tab to show first (e.g. the im2col matrices for a figure)")
    p.add_argument("--figure", choices=("window", "diagram"), default="window",
                   help="with --screenshot: the whole window, or a diagram of only the tensors, "
                        "highlights and sum (FILE .png, .svg, or .gif for the terms of --select)")
    p.add_argument("--scale", type=float, metavar="S",
                   help="with --figure diagram: draw S times the natural size (default 1)")
    from gui.cli.import_options import add_arguments

    add_arguments(p)
    return p


def headless(args: argparse.Namespace) -> int | None:
    """Run a mode that needs no window (``--export``); None when there is none.

    Runs before anything imports Qt: one line on stderr and exit status 1 on any failure.
    """
    if args.export is not None:
        from gui.cli.headless import cli_export

        return cli_export(args.session, args.export, sys.stderr,
                          session=getattr(args, "imported", None))
    return None


def imports(p: argparse.ArgumentParser, args: argparse.Namespace) -> int | None:
    """Apply ``--import-layer`` / ``--import-image`` into ``args.imported`` (a Session, or
    None without them); 2 after one line on stderr when one cannot be imported."""
    args.imported = None
    from gui.cli.import_options import check_arguments, cli_session, wants_import

    check_arguments(p, args)
    if wants_import(args):
        result = cli_session(args, sys.stderr)
        if isinstance(result, int):
            return result
        args.imported = result
    return None


#: Options that only mean something with a window, which --export never opens.
WINDOW_ONLY = ("--screenshot", "--with-crosscheck", "--select", "--step", "--tab", "--scale")


#: What an option names, for the refusal of an empty one.
_NEEDS = {"--export": "a folder name", "--screenshot": "a file name",
          "--import-image": "a file name", "--import-layer": "a file name and a key",
          "--select": "an entry", "SESSION": "a file or a preset name"}


def _check_empty(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """An option given an empty string (a script's unset ``"$OUT"``) is refused, not taken
    for one not given: ``--screenshot ""`` opened the interactive window, which a script
    waits on for ever."""
    for action in p._actions:
        value = getattr(args, action.dest, None)
        if "" in (value if isinstance(value, list) else [value]):
            flag = action.option_strings[0] if action.option_strings else action.metavar
            p.error(f"{flag} needs {_NEEDS.get(flag, 'a value')}, not an empty string")


def _check_export_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    for flag in WINDOW_ONLY:
        value = getattr(args, flag[2:].replace("-", "_"))
        if value is not None and value is not False:  # --step 0 is given
            p.error(f"--export writes files without a window; it cannot be combined "
                    f"with {flag}")
    if args.figure != "window":
        p.error("--export writes files without a window; it cannot be combined with --figure")


def _check_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    _check_empty(p, args)
    if args.export is not None:
        _check_export_args(p, args)
        return  # nothing below applies, and the export stays free of gui (Qt) imports
    if args.step is not None and not args.select:
        p.error("--step needs --select")
    if args.select:
        from gui.provenance import parse_entry  # Qt-free (tests/test_layering.py checks)

        try:
            parse_entry(args.select)
        except ValueError as exc:
            p.error(str(exc))
    if args.with_crosscheck and not args.screenshot:
        p.error("--with-crosscheck needs --screenshot")
    _check_figure(p, args)
    if args.screenshot:
        if args.figure == "window" and Path(args.screenshot).suffix.lower() != ".png":
            p.error(f"--screenshot writes a PNG image; give a name ending in .png, not "
                    f"{args.screenshot!r}")
        folder = Path(args.screenshot).resolve().parent
        if not folder.is_dir():
            p.error(f"cannot write the screenshot: folder {folder} does not exist")
        if not os.access(folder, os.W_OK):
            p.error(f"cannot write the screenshot: folder {folder} is not writable")


def _check_figure(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.figure != "diagram":
        if args.scale is not None:
            p.error("--scale needs --figure diagram")
        return
    if not args.screenshot:
        p.error("--figure diagram needs --screenshot FILE (.png, .svg or .gif)")
    suffix = Path(args.screenshot).suffix.lower()
    if suffix not in (".png", ".svg", ".gif"):
        p.error(f"--figure diagram writes .png, .svg or .gif, not "
                f"{suffix or 'a file without a suffix'!r}")
    for flag, given in (("--tab", args.tab), ("--with-crosscheck", args.with_crosscheck)):
        if given:
            p.error(f"--figure diagram shows no tabs or status bar: drop {flag}")
    if suffix == ".gif" and args.step is not None:
        p.error("a GIF shows every term: drop --step")
    args.scale = 1.0 if args.scale is None else args.scale
    if not 0 < args.scale <= 8:
        p.error(f"--scale {args.scale:g} is out of range: use a number above 0 and at most 8")


def limit_math_threads() -> None:
    """One BLAS/OpenMP thread unless the user says otherwise (before numpy is imported).

    The app's matrices are small: extra BLAS threads gain nothing but spin after each
    product, taking the core the UI thread needs (edit-to-repaint +50 % on 2 cores).
    """
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def open_session(args: argparse.Namespace) -> int | None:
    """Open SESSION into ``args.opened`` before Qt is imported; 2 after one line when it
    cannot be opened (a hostile or broken file never reaches a window or a crash box)."""
    args.opened = None
    if args.session and getattr(args, "imported", None) is None:  # an import opened it
        from gui.cli.session_arg import open_session_arg

        try:
            args.opened = open_session_arg(args.session)
        except ValueError as exc:
            sys.stderr.write("convviz: " + " ".join(str(exc).split()) + "\n")
            return 2
    return None


def _has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM") or sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    limit_math_threads()
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_args(parser, args)
    code = imports(parser, args)
    if code is not None:
        return code
    code = headless(args)
    if code is not None:
        return code
    code = open_session(args)
    if code is not None:
        return code
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a screenshot needs no screen
    if args.figure == "diagram":  # no window: fonts and a painter are all it needs
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from gui.diagram_export import cli_diagram
        from gui.qt_app import application

        app = application(sys.argv[:1])
        return cli_diagram(args, sys.stderr)
    if not _has_display():
        sys.stderr.write("convviz: no display (DISPLAY is not set); try --screenshot PNG, or "
                         "QT_QPA_PLATFORM=offscreen\n")
        return 1
    from gui.qt_app import application

    app = application(sys.argv[:1])
    from gui.app import run

    code = run(app, args)
    if args.screenshot:
        # The PNG is written; skip tearing down every Qt and pyqtgraph object one by one.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
