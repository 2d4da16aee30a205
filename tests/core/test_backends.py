"""The backend interface, and the textbook pipeline on its own.

`core.pipeline` is written once against `core.backends.Backend`; numpy's calls take the
fast path (`core.backends.numpy_fast`), torch's the pipeline itself. Here: every backend
supplies each operation the protocol names, with its parameters, and the textbook pipeline
on numpy — one sample per chunk — matches torch as the fast path does.
"""

from __future__ import annotations

import inspect
from unittest import mock

from hypothesis import given, settings
from test_conv_vs_torch import TOL, Case, valid_cases
from torch_reference import assert_matches, random_array, reference

from core import pipeline
from core.backends import BACKENDS, Backend, get_backend, numpy_fast
from core.backends.numpy_backend import NumpyBackend


def test_every_backend_supplies_the_protocol_s_operations() -> None:
    operations = {name: inspect.signature(fn) for name, fn in vars(Backend).items()
                  if inspect.isfunction(fn) and not name.startswith("_")}
    assert {"pad", "unfold", "matmul", "fold", "pad_adjoint"} <= operations.keys()
    for backend in (get_backend("numpy"), get_backend("torch"), numpy_fast.WideBackend()):
        assert backend.name in BACKENDS
        for name, signature in operations.items():
            wanted = list(signature.parameters.values())[1:]  # without self
            got = inspect.signature(getattr(backend, name)).parameters
            where = (type(backend).__name__, name, list(got))
            assert len(got) >= len(wanted), where  # the pipeline passes these positionally
            for p in wanted:  # ...and these by name (``out=``)
                if p.default is not inspect.Parameter.empty:
                    assert p.name in got and got[p.name].default == p.default, where


@settings(max_examples=min(40, settings.default.max_examples))
@given(case=valid_cases(dtypes=("float64", "complex128", "float32")))
def test_the_textbook_pipeline_on_numpy_matches_torch(case: Case) -> None:
    rng, x, w, b = case.tensors()
    ref = reference(x, w, b, lambda shape: random_array(rng, shape, case.dtype), **case.layer)
    want = frozenset({"output", "grad_input", "grad_weight"})
    with mock.patch.object(pipeline, "CHUNK_BYTES", 64):  # one sample per chunk
        got = pipeline.run(case.spec(), NumpyBackend(), x=x, w=w, b=b, gy=ref.grad_output,
                           want=want)
    for name in want:
        assert_matches(got[name], getattr(ref, name), TOL[case.dtype])
