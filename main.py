"""ConvViz: see exactly how nn.Conv2d computes its forward and backward pass."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication(sys.argv[:1] if argv is None else argv)
    label = QLabel("ConvViz — the app is being built; the core is in core/.")
    label.resize(480, 120)
    label.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
