"""What checking or unchecking a Conv1d's causal box did to its padding, in a status note.

A causal layer pads (k−1)·dilation on the left itself (``F.pad``) and its Conv1d pads
nothing, so checking causal sets the layer's padding aside and unchecking it brings that
padding back (the Layer panel keeps it); neither may happen silently (review r12 F13).
"""

from __future__ import annotations

from core.spec import LayerSpec
from core.torch_layer import causal_pad


def padding_text(padding: tuple[int, ...] | str) -> str:
    """A Conv1d's padding as the panel shows it: ``1``, ``'same'``."""
    return repr(padding) if isinstance(padding, str) else ", ".join(map(str, padding))


def _none(padding: tuple[int, ...] | str) -> bool:
    return padding == "valid" or (not isinstance(padding, str) and not any(padding))


def causal_note(old: LayerSpec, new: LayerSpec) -> str | None:
    """The note for ``old`` → ``new`` when causal was switched on or off (else None)."""
    if old.causal == new.causal or new.dims != 1:
        return None
    if new.causal:
        left, _ = causal_pad(new)
        pads = f"F.pad adds (k−1)·dilation = {left} zeros on the left"
        if _none(old.padding):
            return f"Causal: {pads}; the Conv1d pads nothing"
        aside = padding_text(old.padding)
        return f"Causal: padding {aside} set aside (back when unchecked); {pads}"
    back = padding_text(new.padding)
    if _none(new.padding):
        return f"Not causal: no F.pad; padding {back} (set it in the Layer panel)"
    return f"Not causal: padding back to {back} (set aside when causal was checked)"
