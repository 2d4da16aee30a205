"""The links of a transposed layer: its Conv2d's links, seen with the roles swapped.

A transposed layer is its Conv2d (`LayerSpec.as_conv`) run backwards (`core.conv_transpose`):
the Conv2d's input is this layer's output space, its output this layer's input. One link
``W[c, o', kh, kw] · x[n, c, h, w]`` adding to ``y[n, o, oi, oj]`` is the Conv2d's link of
output position (h, w) and tap (kh, kw) reading the pixel (oi, oj): input pixel (h, w)
*paints* a copy of the kernel onto the output before the crop (the Conv2d's padded input,
cell ``(h·sh + kh·dh, w·sw + kw·dw)``), and padding crops the copies' cells outside the
output (the Conv2d's zero padding, where no link is). So the Conv2d's link tables serve, with
the columns renamed::

    this layer    o  c  oi oj h  w     (n, kh, kw, ph, pw unchanged)
    the Conv2d    c  o  h  w  oi oj

``output[n, o, oi, oj]`` collects the links that land on the Conv2d's pixel (oi, oj) (its
grad_input's links), ``grad_input[n, c, h, w]`` the links of the Conv2d's output (h, w)
(its forward window), ``grad_weight`` the links of one tap, ``grad_bias[o]`` every output
position of channel o. The Conv2d's output positions past this layer's input
(`LayerSpec.conv_extra`) read zeros it adds itself: their links are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import explain_links as links
from .spec import LayerSpec

# The Conv2d's link table behind each layout of this layer's entries: the Conv2d's input
# pixel for an output entry, its output position for an input pixel, a tap for a tap.
_CONV_LINKS = {
    "grad_output": links.scatter_links,
    "input": links.window_links,
    "weight": links.tap_links,
}
_RENAMED = {"o": "c", "c": "o", "oi": "h", "oj": "w", "h": "oi", "w": "oj"}


def transposed_links(spec: LayerSpec, layout: str, index: Sequence[int]) -> links.Table:
    """Links of entry ``index`` (batched) of a tensor with ``layout``, in this layer's names.

    ``grad_output`` layout: the links of an output entry (the copies that cover it), ordered
    by input channel, input pixel, tap; ``input``: the links of an input pixel (its painted
    copy), ordered by output channel, tap; ``weight``: the links of a tap, by sample, input
    pixel; ``bias``: every output position of the channel.
    """
    if layout == "bias":
        return links.plane_links(spec, *index)
    table = _CONV_LINKS[layout](spec.as_conv(), *index)
    renamed = {name: table[_RENAMED.get(name, name)] for name in links.COLUMNS}
    if spec.conv_extra != (0, 0):
        h, w = spec.input_size
        inside = (renamed["h"] < h) & (renamed["w"] < w)
        renamed = {name: a[inside] for name, a in renamed.items()}
    return renamed
