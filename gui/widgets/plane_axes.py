"""Which axes of a tensor a grid draws as its plane, and which the selectors pick.

A grid always draws the last two axes of its tensor and picks the axes before them with
spin boxes (the *lead*). What those axes are depends on the layer's dimensions:

=====  ==========================  ===================  ==============================
dims   tensor (batched)            lead (selectors)     plane (rows × columns)
=====  ==========================  ===================  ==============================
1      x (N, C, L), W (O, C/g, K)  n / o                channels × positions (a strip)
2      x (N, C, H, W)              n, c / o, c          H × W
3      x (N, C, D, H, W)           n, c, d / o, c, kd   H × W at depth d
=====  ==========================  ===================  ==============================

so a Conv1d shows all its channels at once and a Conv3d one depth slice at a time. The
input's padded border is drawn on the plane's spatial axes: the positions of a Conv1d
(its channels are not padded), the rows and columns of a Conv2d or Conv3d; a Conv3d's depth
padding has no place in one plane and is shown by the depth strip (`depth_strip`). No Qt.
"""

from __future__ import annotations

import numpy as np

from core.spec import LayerSpec
from core.tensors import tensor

#: Spin box label of a Conv3d tensor's depth axis, by layout (the weight's is a kernel tap).
DEPTH_LABEL = {"input": "d", "output": "d", "weight": "kd"}


def lead_names(spec: LayerSpec, name: str) -> tuple[str, ...]:
    """Names of the axes before the plane in tensor ``name``'s batched form (the spin boxes
    a grid has; an unbatched tensor hides the leading ones it lacks)."""
    layout = tensor(name).layout
    if layout == "bias":
        return ()
    axes = spec.lead_axes(name)
    if spec.dims == 1:
        return axes[:1]  # the second lead axis (channels) is the strip's rows
    if spec.dims == 3:
        return (*axes, DEPTH_LABEL[layout])
    return axes


def plane_pads(spec: LayerSpec) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) padding of the input's plane: a Conv1d pads its columns
    only (its rows are channels), a Conv3d its rows and columns (depth is a lead axis)."""
    pads = spec.pads
    if spec.dims == 1:
        return (0, 0, *pads)
    return tuple(pads[-4:])


def depth_pads(spec: LayerSpec) -> tuple[int, int]:
    """(front, back) padding of a Conv3d input's depth; (0, 0) for other layers."""
    return tuple(spec.pads[:2]) if spec.dims == 3 else (0, 0)


def plane_size(spec: LayerSpec) -> tuple[int, int]:
    """(rows, columns) of the unpadded input's plane."""
    return tuple(spec.input_shape[-2:])


def spatial_axis(spec: LayerSpec, plane_axis: int) -> int | None:
    """The spatial axis (0 .. dims-1) that plane axis 0 (rows) or 1 (columns) of the input
    draws; None for the rows of a Conv1d, which are channels."""
    if spec.dims == 1:
        return None if plane_axis == 0 else 0
    return spec.dims - 2 + plane_axis


def padded_lead(spec: LayerSpec, name: str, lead: tuple[int, ...]) -> tuple[int, ...] | None:
    """``lead`` of the input grid in padded coordinates (a Conv3d's depth moves by its front
    padding); None where it is the same."""
    front = depth_pads(spec)[0] if spec is not None else 0
    if not front or tensor(name).layout != "input" or not lead:
        return None
    return (*lead[:-1], lead[-1] + front)


def fit_lead(lead: tuple[int | None, ...], length: int) -> tuple[int | None, ...]:
    """A slice's leading index as (n, c) or (o, c) (`gui.provenance.term_focus`) fitted to a
    grid with ``length`` lead axes: a Conv1d's strip drops the channel (its rows), a
    Conv3d's slice keeps its depth (None)."""
    lead = tuple(lead)[:length]
    return lead + (None,) * (length - len(lead))


def follow_depth(spec: LayerSpec, name: str, lead: tuple[int, ...], current: np.ndarray,
                 reads: np.ndarray, padded: bool) -> int | None:
    """The depth a Conv3d grid moves to for an explained sum: the current term's cell's
    (``current``, the player's step), else the first depth the ``reads`` lie at when the
    grid is at none of them; None: stay. Cells are full indices (padded ones for the input
    grid, ``padded``): a padding depth moves the grid to the nearest real one."""
    if spec is None or spec.dims != 3 or not lead:
        return None
    front = depth_pads(spec)[0] if padded else 0
    size = spec.shape(name)[-3]
    ndim = len(spec.shape(name))
    if len(current) and current.shape[1] == ndim:
        return int(np.clip(current[0, -3] - front, 0, size - 1))
    if len(reads) == 0 or reads.shape[1] != ndim:
        return None
    depths = np.unique(np.clip(reads[:, -3] - front, 0, size - 1))
    return None if lead[-1] in depths else int(depths[0])


def shape_text(spec: LayerSpec, name: str, shape: tuple[int, ...]) -> str:
    """A grid's shape note: '(2, 3, 8)', and for a Conv1d strip what its rows and columns
    are ('(2, 3, 8)  rows c, columns l'; a plane of rows and columns needs no words)."""
    text = str(tuple(shape)).replace(",)", ")")
    layout = tensor(name).layout
    if spec.dims != 1 or layout == "bias":
        return text
    rows = spec.lead_axes(name)[1]
    return f"{text}  rows {rows}, columns {'k' if layout == 'weight' else 'l'}"
