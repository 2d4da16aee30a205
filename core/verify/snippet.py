""""Copy as PyTorch code": a script that rebuilds the layer in torch and checks ConvViz.

The script builds the same ``nn.Conv1d/2d/3d`` (or ``nn.ConvTranspose1d/2d/3d``; a causal
layer is ``F.pad(x, ((k-1)*dilation, 0))`` then an ``nn.Conv1d`` with ``padding=0``), loads
the weight and bias, runs the input, calls backward with grad_output and asserts that
torch's output and gradients equal the values ConvViz computed, embedded as literals. Every
number is written so that it reads back as exactly the same value in the layer's dtype.

The tolerance of each check is a rounding-error bound, not a guess: any order of summing
``L`` products errs by at most about ``L·u·Σ|terms|`` (``u = ε/2``), so two implementations
differ by at most ``L·ε·Σ|terms|``; the script allows ``(L+1)·ε·Σ|terms|`` (the largest
over the elements), twice that for complex numbers, whose products round more.
"""

from __future__ import annotations

import numpy as np

from ..budget import tensor_elements
from ..conv import ConvResults, compute
from ..session import Session
from ..torch_layer import layer_call, layer_class, pad_call

#: Numbers a snippet may embed as literals (some 20 MB of text); a larger layer is refused
#: before any text is built, pointing to the .npy export instead.
MAX_NUMBERS = 1_000_000

# Each result and the torch expression it is compared with.
_CHECKS = (
    ("output", "output.detach()"),
    ("grad_input", "x.grad"),
    ("grad_weight", "conv.weight.grad"),
    ("grad_bias", "conv.bias.grad"),
)


def _real_texts(a: np.ndarray) -> list[str]:
    """Per element of a real array, the shortest text that reads back as exactly it.

    numpy's ``str`` gives the shortest round trip in the array's own precision; each text
    is checked bit for bit (``-0.0``, float32 through float64) and the rare one that fails
    falls back to the full float64 ``repr``. Non-finite values read ``nan``, ``inf``,
    ``-inf``.
    """
    flat = np.ascontiguousarray(a).ravel()
    texts = [str(v) for v in flat]
    back = np.array([float(t) for t in texts], dtype=np.float64).astype(flat.dtype)
    bits = np.dtype(f"u{flat.dtype.itemsize}")
    exact = (back.view(bits) == flat.view(bits)) | (np.isnan(back) & np.isnan(flat))
    for i in np.flatnonzero(~exact):
        texts[i] = repr(float(flat[i]))
    return texts


def _texts(a: np.ndarray) -> list[str]:
    """Python source per element of ``a`` that evaluates (in ``a``'s dtype) to exactly it."""
    if a.dtype.kind != "c":
        return _real_texts(a)
    flat = np.ascontiguousarray(a).ravel()
    real, imag = _real_texts(flat.real), _real_texts(flat.imag)
    # "(r+ij)" is exact unless a part is -0.0 (r + 0.0 loses the sign) or not finite
    negative_zero = ((flat.real == 0) & np.signbit(flat.real)) | (
        (flat.imag == 0) & np.signbit(flat.imag))
    plain = np.isfinite(flat) & ~negative_zero
    return [
        f"({r}{'' if i.startswith('-') else '+'}{i}j)" if ok else f"complex({r}, {i})"
        for r, i, ok in zip(real, imag, plain.tolist(), strict=True)
    ]


def _nest(texts: np.ndarray, column: int) -> str:
    if texts.ndim == 1:
        return "[" + ", ".join(texts) + "]"
    inner = (",\n" + " " * (column + 1)).join(_nest(sub, column + 1) for sub in texts)
    return "[" + inner + "]"


def python_literal(a: np.ndarray, column: int = 0) -> str:
    """``a`` (1-D or more) as a nested list literal that reads back exactly in ``a``'s dtype.

    Rows go on their own lines, aligned like numpy prints them when the literal starts at
    ``column``. Non-finite values are written ``nan``, ``inf``, ``-inf`` (names the snippet
    defines); complex values ``(1.5-2.0j)``, or ``complex(re, im)`` where that form would
    lose a zero's sign or a non-finite part.
    """
    texts = np.empty(a.size, dtype=object)
    texts[:] = _texts(a)
    return _nest(texts.reshape(a.shape), column)


def _tensor(a: np.ndarray) -> str:
    """A ``torch.tensor(...)`` expression for ``a`` (shape kept even when empty)."""
    reshape = f".reshape{a.shape}" if a.size == 0 else ""
    return f"torch.tensor(\n    {python_literal(a, 4)},\n    dtype=dtype){reshape}"


def tolerances(session: Session) -> dict[str, float]:
    """An absolute tolerance per result: ``max (L+1)·ε·Σ|terms|`` over its elements (×2 complex).

    ``L`` (how many products an element sums) and ``Σ|terms|`` are both computed by the
    layer itself, in float64: on all-ones tensors and on the absolute values.
    """
    spec = session.spec
    exact = spec.replace(dtype="float64")
    tensors = (session.input, session.weight, session.bias, session.grad_output)
    magnitude = compute(exact, *(None if a is None else np.abs(a).astype(np.float64)
                                 for a in tensors))
    count = compute(exact, *(None if a is None else np.ones(a.shape) for a in tensors))
    eps = float(np.finfo(np.dtype(spec.dtype)).eps)
    factor = 2.0 if np.dtype(spec.dtype).kind == "c" else 1.0
    out = {}
    for name, _ in _CHECKS:
        terms, size = getattr(count, name), getattr(magnitude, name)
        if size is not None:
            bound = (terms + 1) * size  # non-finite where the result is; compared exactly
            out[name] = factor * eps * float(bound[np.isfinite(bound)].max(initial=0.0))
    return out


def pytorch_snippet(session: Session, results: ConvResults) -> str:
    """A self-contained Python script that reproduces ``results`` with torch's own layer
    (``torch.nn.Conv{d}d``, or ``torch.nn.ConvTranspose{d}d`` for a transposed spec; a
    causal spec pads first: ``conv(F.pad(x, ((k-1)*dilation, 0)))``, and ``x.grad`` is the
    gradient with respect to the unpadded input).

    Parameters
    ----------
    session : Session
        The layer and the edited tensors.
    results : ConvResults
        What ConvViz computed for ``session`` (``core.compute``).

    Returns
    -------
    str
        Python source that imports torch, builds the layer, runs forward and backward and
        asserts (``torch.testing.assert_close``, tolerances at rounding-error level) that
        output, grad_input, grad_weight and grad_bias equal ConvViz's values. It prints one
        line when all checks pass.

    Raises
    ------
    ValueError
        When the layer's tensors hold more than `MAX_NUMBERS` numbers in all.
    """
    spec = session.spec
    numbers = sum(tensor_elements(spec).values())
    if numbers > MAX_NUMBERS:
        raise ValueError(
            f"the code would embed {numbers:,} numbers (every tensor and result); it holds at "
            f"most {MAX_NUMBERS:,}: export the tensors as .npy instead (File › Export results)"
        )
    tol = tolerances(session)
    expected = {name: getattr(results, name) for name, _ in _CHECKS}
    nonfinite = any(
        not np.isfinite(a).all()
        for a in (*session.tensors().values(), *(e for e in expected.values() if e is not None))
    )
    shape = "unbatched " if spec.batch is None else ""
    pad = pad_call(spec, named=True)
    causal = "Causal " if pad else ""
    lines = [
        f'"""{causal}nn.{layer_class(spec)} forward and backward, checked against the values '
        "ConvViz computed.",
        "",
        f"Layer: {spec.in_channels} -> {spec.out_channels} channels, {shape}input "
        f"{spec.input_shape}, {spec.dtype}. Run with: python snippet.py",
    ]
    if pad:
        lines.append("Causal: the input is padded on the left by (k-1)*dilation, so that no "
                     "output sees a later input.")
    lines += ['"""', "import torch", "from torch import nn"]
    if pad:
        lines.append("import torch.nn.functional as F")
    lines.append("")
    if nonfinite:
        lines += ['nan, inf = float("nan"), float("inf")', ""]
    lines += [f"dtype = torch.{spec.dtype}", "conv = " + layer_call(spec, "dtype", full=True),
              "with torch.no_grad():"]
    lines.append(f"    conv.weight.copy_({_indent(_tensor(session.weight))})")
    if session.bias is not None:
        lines.append(f"    conv.bias.copy_({_indent(_tensor(session.bias))})")
    lines += [
        "",
        f"x = {_tensor(session.input)}.requires_grad_()",
        f"grad_output = {_tensor(session.grad_output)}",
        "",
        *(["# causal: (k-1)*dilation zeros before the first entry, none after",
            f"k, dilation = {spec.kernel_size[0]}, {spec.dilation[0]}"] if pad else []),
        f"output = conv({pad or 'x'})",
        "output.backward(grad_output)",
        "",
        "# What ConvViz computed; each tolerance is a rounding-error bound for this layer.",
    ]
    equal_nan = ", equal_nan=True" if nonfinite else ""
    checked = []
    for name, actual in _CHECKS:
        if expected[name] is None:
            continue
        lines.append(f"expected_{name} = {_tensor(expected[name])}")
        lines.append(
            f"torch.testing.assert_close({actual}, expected_{name}, "
            f"rtol=0, atol={tol[name] * 1.01:.3g}{equal_nan})"
        )
        checked.append(name)
    lines.append(f'print("torch agrees with ConvViz: {", ".join(checked)}")')
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return text.replace("\n", "\n    ")
