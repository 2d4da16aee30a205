"""Shared assertion for the file tests: two sessions hold the same spec and tensors."""

from __future__ import annotations

import numpy as np

from core.session import Session


def assert_same_session(a: Session, b: Session) -> None:
    """Same spec, same tensors present, each with the same dtype, shape and values."""
    assert a.spec == b.spec
    assert a.tensors().keys() == b.tensors().keys()
    for name, x in a.tensors().items():
        y = b.tensor(name)
        assert y.dtype == x.dtype and y.shape == x.shape, name
        np.testing.assert_array_equal(y, x, err_msg=name)
