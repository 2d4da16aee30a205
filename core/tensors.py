"""The eight tensors of a convolution layer, each described once.

Every table of names, symbols, axes and shapes in the app reads from `TENSORS` (and the
shapes from `LayerSpec.shape`), so that a new layer kind or number of dimensions is taught
to the registry and the spec, not to every view.

A tensor's *layout* is the spec shape it has: a gradient has its twin's layout
(grad_input is shaped as input). Its *lead axes* name the non-spatial axes of the batched
form, as the columns of `core.explain`'s terms do: n (sample), c (input channel),
o (output channel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .spec import LayerSpec


@dataclass(frozen=True)
class Tensor:
    """One tensor of the layer.

    name : torch's name (``input``, ``grad_weight``, ...).
    role : ``operand`` (what the forward pass reads), ``result`` (what it writes),
        ``gradient`` (what the backward pass writes) or ``seed`` (grad_output: what it reads).
    twin : the tensor whose gradient this is, or whose gradient that is.
    symbol : its letter in sums (x, W, b, y, gy, gx, gW, gb).
    title : its name and meaning, as a grid's title.
    lead_axes : names of its leading (non-spatial) axes in the batched form.
    layout : which spec shape it has (``input``, ``weight``, ``bias`` or ``output``).
    """

    name: str
    role: str
    twin: str
    symbol: str
    title: str
    lead_axes: tuple[str, ...]
    layout: str

    @property
    def editable(self) -> bool:
        """The user edits operands and grad_output; results and gradients are computed."""
        return self.role in ("operand", "seed")

    @property
    def is_gradient(self) -> bool:
        return self.name.startswith("grad_")


def _registry(*tensors: Tensor) -> dict[str, Tensor]:
    return {t.name: t for t in tensors}


#: In the order the app lays them out: the forward pass, then the backward pass.
TENSORS: dict[str, Tensor] = _registry(
    Tensor("input", "operand", "grad_input", "x", "input x", ("n", "c"), "input"),
    Tensor("weight", "operand", "grad_weight", "W", "weight W", ("o", "c"), "weight"),
    Tensor("bias", "operand", "grad_bias", "b", "bias b", (), "bias"),
    Tensor("output", "result", "grad_output", "y", "output y = x ⊛ W + b", ("n", "o"), "output"),
    Tensor("grad_output", "seed", "output", "gy", "grad_output ∂L/∂y", ("n", "o"), "output"),
    Tensor("grad_input", "gradient", "input", "gx", "grad_input ∂L/∂x", ("n", "c"), "input"),
    Tensor("grad_weight", "gradient", "weight", "gW", "grad_weight ∂L/∂W", ("o", "c"), "weight"),
    Tensor("grad_bias", "gradient", "bias", "gb", "grad_bias ∂L/∂b", (), "bias"),
)

NAMES: tuple[str, ...] = tuple(TENSORS)
#: What a session holds and the user edits, in the order sessions store them.
EDITABLE: tuple[str, ...] = tuple(n for n, t in TENSORS.items() if t.editable)
#: What compute returns: the forward result and the three gradients.
RESULTS: tuple[str, ...] = tuple(n for n, t in TENSORS.items() if not t.editable)
SYMBOLS: dict[str, str] = {n: t.symbol for n, t in TENSORS.items()}
#: The forward pass as it reads (x ⊛ W + b = y), and under each tensor its gradient twin:
#: the two rows the app lays the tensors out in.
FORWARD: tuple[str, ...] = tuple(n for n, t in TENSORS.items() if t.role in ("operand", "result"))
BACKWARD: tuple[str, ...] = tuple(TENSORS[n].twin for n in FORWARD)


def tensor(name: str) -> Tensor:
    """The tensor called ``name``; a ValueError lists the names there are."""
    try:
        return TENSORS[name]
    except KeyError:
        raise ValueError(
            f"unknown tensor {name!r}; one of {', '.join(NAMES)}"
        ) from None


def operator(spec: LayerSpec, sum_of: str = "output") -> str:
    """The operator between W and what it meets in the sum of ``sum_of``: a Conv2d's output
    is x ⊛ W and its grad_input gy ⊛ᵀ W; a transposed layer's are the other way round."""
    return "⊛ᵀ" if spec.transposed != (sum_of == "grad_input") else "⊛"


def title(name: str, spec: LayerSpec) -> str:
    """Tensor ``name``'s title for layer ``spec``: the registry's, with the output's formula
    as the layer computes it (``x ⊛ᵀ W`` for a transposed layer, no ``+ b`` without a bias)."""
    text = tensor(name).title
    if name == "output":
        text = text.replace("⊛", operator(spec))
        if not spec.bias:
            text = text.replace(" + b", "")
    return text
