"""ConvViz core: exact ``nn.Conv1d/2d/3d`` and ``nn.ConvTranspose1d/2d/3d`` forward and
backward by im2col + matmul.

numpy only; torch is imported lazily by the torch backends. Never imports Qt.
"""

from .budget import BudgetError
from .conv import ConvResults, compute, conv2d, conv2d_bias, conv2d_input, conv2d_weight
from .conv_family import (
    conv1d,
    conv1d_bias,
    conv1d_input,
    conv1d_weight,
    conv3d,
    conv3d_bias,
    conv3d_input,
    conv3d_weight,
    conv_transpose1d,
    conv_transpose1d_input,
    conv_transpose1d_weight,
    conv_transpose3d,
    conv_transpose3d_input,
    conv_transpose3d_weight,
)
from .conv_transpose import conv_transpose2d, conv_transpose2d_input, conv_transpose2d_weight
from .explain import Term, Terms, Window, explain, explain_spec, readers, window
from .im2col import fold, unfold
from .im2col_steps import Im2colSteps, group_matmul, im2col_steps
from .padding import pad, pad_adjoint, pad_index
from .spec import DTYPES, PADDING_MODES, LayerSpec, SpecError
from .transposed_steps import TransposedSteps

__all__ = [
    "BudgetError",
    "DTYPES",
    "PADDING_MODES",
    "ConvResults",
    "Im2colSteps",
    "LayerSpec",
    "SpecError",
    "Term",
    "Terms",
    "TransposedSteps",
    "Window",
    "compute",
    "conv1d",
    "conv1d_bias",
    "conv1d_input",
    "conv1d_weight",
    "conv2d",
    "conv2d_bias",
    "conv2d_input",
    "conv2d_weight",
    "conv3d",
    "conv3d_bias",
    "conv3d_input",
    "conv3d_weight",
    "conv_transpose1d",
    "conv_transpose1d_input",
    "conv_transpose1d_weight",
    "conv_transpose2d",
    "conv_transpose2d_input",
    "conv_transpose2d_weight",
    "conv_transpose3d",
    "conv_transpose3d_input",
    "conv_transpose3d_weight",
    "explain",
    "explain_spec",
    "fold",
    "group_matmul",
    "im2col_steps",
    "pad",
    "pad_adjoint",
    "pad_index",
    "readers",
    "unfold",
    "window",
]
