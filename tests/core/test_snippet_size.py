"""Copy as PyTorch code embeds every number as a literal; a layer too large for that is
refused by its count before any text is built (a 512×512 input would take gigabytes)."""

from __future__ import annotations

import time

import numpy as np
import pytest

import core.verify.snippet
from core.budget import tensor_elements
from core.conv import ConvResults
from core.session import Session, compute_session
from core.spec import LayerSpec
from core.verify.snippet import MAX_NUMBERS, pytorch_snippet


def test_a_layer_over_the_cap_is_refused_by_its_count():
    spec = LayerSpec(in_channels=4, out_channels=4, kernel_size=3, input_size=(256, 256),
                     padding=1, batch=2, dtype="float32")
    session = Session.default(spec)
    results = ConvResults(*(np.zeros(1) for _ in range(4)))  # never read: refused first
    numbers = sum(tensor_elements(spec).values())
    assert numbers == 4 * 2 * 4 * 256 * 256 + 2 * (4 * 4 * 9 + 4)
    start = time.perf_counter()
    with pytest.raises(ValueError) as info:
        pytorch_snippet(session, results)
    assert time.perf_counter() - start < 1
    assert str(info.value) == (f"the code would embed {numbers:,} numbers (every tensor and "
                               f"result); it holds at most {MAX_NUMBERS:,}: export the tensors "
                               "as .npy instead (File › Export results)")


def test_the_cap_counts_every_tensor(monkeypatch):
    spec = LayerSpec(in_channels=1, out_channels=2, kernel_size=2, input_size=(3, 3))
    session = Session.default(spec)
    results = compute_session(session)
    numbers = 9 + 8 + 2 + 8 + 8 + 9 + 8 + 2
    monkeypatch.setattr(core.verify.snippet, "MAX_NUMBERS", numbers)
    assert "expected_grad_bias" in pytorch_snippet(session, results)
    monkeypatch.setattr(core.verify.snippet, "MAX_NUMBERS", numbers - 1)
    with pytest.raises(ValueError, match=f"would embed {numbers} numbers"):
        pytorch_snippet(session, results)
