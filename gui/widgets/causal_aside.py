"""CausalAside: the Layer panel's memory of the padding a causal Conv1d set aside.

A causal layer pads (k−1)·dilation on the left itself (``F.pad``) and its Conv1d pads
nothing: checking causal shows that padding (0) in the greyed fields and keeps the one the
layer had; unchecking brings it back. It belongs to the causal layers made from it (an undo
and a redo of the toggle, an edit while causal keep it); any other layer the panel is given
forgets it, so a preset never inherits the previous layer's padding (review r12 F13).

A mixin for `gui.widgets.layer_panel.LayerPanel`, which calls `_toggle_aside` when the
user toggles causal, `_keeps_aside` in ``set_spec``, and fills ``_aside_for``.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSignalBlocker

from core.spec import LayerSpec


class CausalAside:
    """The padding set aside by checking causal (None: none), and its causal layers."""

    _aside: tuple[int, ...] | str | None
    _aside_for: set[LayerSpec]

    def _fields_padding(self) -> tuple[int, ...] | str:
        kind = self.padding_kind.currentData()
        if kind != "numbers":
            return kind
        return tuple(self._value(spin) for spin in self.axes["padding"].used())

    def _show_padding(self, padding: tuple[int, ...] | str) -> None:
        """Put ``padding`` in the padding fields, silently."""
        kind = padding if isinstance(padding, str) else "numbers"
        with QSignalBlocker(self.padding_kind):
            self.padding_kind.setCurrentIndex(self.padding_kind.findData(kind))
        if not isinstance(padding, str):
            for spin, value in zip(self.axes["padding"].used(), padding, strict=True):
                with QSignalBlocker(spin):
                    spin.setValue(value)

    def _toggle_aside(self, causal: bool) -> None:
        """The user checked causal: set the padding aside and show the Conv1d's (0); or
        unchecked it: bring the padding set aside back (none: the fields keep 0)."""
        if causal:
            padding = self._fields_padding()
            keep = isinstance(padding, str) or any(padding)  # numbers all 0: nothing to keep
            self._aside, self._aside_for = (padding if keep else None), set()
            self._show_padding((0,) * len(self.axes["padding"].used()))
        elif self._aside is not None:
            self._show_padding(self._aside)
            self._aside, self._aside_for = None, set()

    def _keeps_aside(self, spec: LayerSpec) -> bool:
        """Whether the padding set aside still belongs to the layer ``spec`` (one of the
        causal layers it was set aside for, or the layer it was taken from: an undo)."""
        if self._aside is None or spec in self._aside_for:
            return True
        return not spec.causal and spec.padding == self._aside and any(
            _same_but_causal(spec, other) for other in self._aside_for)


def _same_but_causal(a: LayerSpec, b: LayerSpec) -> bool:
    """Whether ``a`` and ``b`` differ in causal and padding only."""
    return all(getattr(a, f.name) == getattr(b, f.name) for f in dataclasses.fields(LayerSpec)
               if f.compare and f.name not in ("causal", "padding"))
