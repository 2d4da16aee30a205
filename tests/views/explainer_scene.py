"""Layers and entries shared by the explainer's view-logic tests (tests/views) and its widget
tests (tests/gui): one odd layer of every kind of hyperparameter, and a preset's scene."""

from __future__ import annotations

from functools import cache

from core.conv import ConvResults, compute
from core.explain import explain_spec
from core.io.presets import load_preset
from core.session import Session
from core.spec import LayerSpec

SPEC = LayerSpec(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 1),
                 dilation=(1, 2), padding=(1, 2), groups=2, input_size=(7, 8), batch=2,
                 padding_mode="reflect")
ENTRIES = {"output": (1, 4, 2, 3), "grad_input": (0, 3, 0, 1), "grad_weight": (5, 1, 2, 1),
           "grad_bias": (2,)}


@cache
def spec_scene() -> tuple[Session, ConvResults]:
    """SPEC's default session (seed 7) and core's results for it."""
    return default_scene(SPEC)


def spec_terms(session: Session, target: str):
    """The terms of ENTRIES[target] of SPEC."""
    return explain_spec(SPEC, target, ENTRIES[target], **session.tensors())


def default_scene(spec: LayerSpec) -> tuple[Session, ConvResults]:
    s = Session.default(spec, seed=7)
    return s, results_of(s)


def results_of(s: Session) -> ConvResults:
    return compute(s.spec, s.input, s.weight, s.bias, s.grad_output)


def preset_scene(preset: str) -> tuple[Session, ConvResults]:
    """A preset's session and core's results for it."""
    session = load_preset(preset)
    return session, results_of(session)


#: A transposed layer with every kind of hyperparameter: groups, unequal stride and
#: dilation, padding that crops, and an output_padding that reaches the stride along the
#: width (allowed below the dilation), so its Conv2d has a column past the input.
TSPEC = LayerSpec(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 1),
                  dilation=(1, 2), padding=(1, 0), output_padding=(1, 1), groups=2,
                  input_size=(3, 4), batch=2, transposed=True)
TENTRIES = {"output": (1, 4, 2, 3), "grad_input": (1, 3, 1, 2), "grad_weight": (3, 1, 2, 1),
            "grad_bias": (2,)}


@cache
def transposed_scene() -> tuple[Session, ConvResults]:
    """TSPEC's default session (seed 7) and core's results for it."""
    return default_scene(TSPEC)
