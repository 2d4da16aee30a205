"""Switching a layer between Conv1d, Conv2d and Conv3d (and their transposed forms), as the
Layer panel and the document do it.

The layer and the tensors are core's (`core.spec_dims`: the rule, with what the switch
keeps and resets); the Layer panel proposes `switch_dims`' layer and the document makes
`switched_session` one undo step. What is the gui's own is the status bar's words for what
the switch kept and reset (`switch_note`).
"""

from __future__ import annotations

from core.session import Session
from core.spec_dims import DEPTH, switch_dims, switched_session
from core.torch_layer import layer_class

__all__ = ["DEPTH", "switch_dims", "switch_note", "switched_session"]


def switch_note(old: Session, new: Session) -> str:
    """What a switch of the number of axes kept and reset, in words (the status bar's: short,
    the new shapes are in the Layer panel). Every tensor but the bias changes rank."""
    said = (f"Switched to {layer_class(new.spec)}: input and weight reset to random, "
            "grad_output to ones")
    if new.bias is not None and old.bias is not None and new.bias.shape == old.bias.shape:
        said += "; bias kept"
    if old.spec.causal:
        said += "; causal dropped (a Conv1d's)"
    return said
