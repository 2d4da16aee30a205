"""The links of a transposed layer: its convolution's links, seen with the roles swapped.

A transposed layer (of any number d of spatial axes) is its convolution
(`LayerSpec.as_conv`) run backwards (`core.conv_transpose`): the convolution's input is this
layer's output space, its output this layer's input. One link ``W[c, o', *k] · x[n, c, *x]``
adding to ``y[n, o, *q]`` is the convolution's link of output position ``x`` and tap ``k``
reading the pixel ``q``: input pixel ``x`` *paints* a copy of the kernel onto the output
before the crop (the convolution's padded input, cell ``x·stride + k·dilation`` per axis),
and padding crops the copies' cells outside the output (the convolution's zero padding,
where no link is). So the convolution's link tables serve, with the columns renamed
(`core.explain_links` names them; in 2D ``out`` is (oi, oj), ``pixel`` (h, w))::

    this layer    o  c  out    pixel     (n, tap, padded unchanged)
    the conv      c  o  pixel  out

``output[n, o, *q]`` collects the links that land on the convolution's pixel ``q`` (its
grad_input's links), ``grad_input[n, c, *x]`` the links of the convolution's output ``x``
(its forward window), ``grad_weight`` the links of one tap, ``grad_bias[o]`` every output
position of channel o. The convolution's output positions past this layer's input
(`LayerSpec.conv_extra`) read zeros it adds itself: their links are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import explain_links as links
from .spec import LayerSpec

# The Conv2d's link table behind each layout of this layer's entries: the Conv2d's input
# pixel for an output entry, its output position for an input pixel, a tap for a tap.
_CONV_LINKS = {
    "grad_output": links.scatter_links,
    "input": links.window_links,
    "weight": links.tap_links,
}
_RENAMED = {"o": "c", "c": "o", "out": "pixel", "pixel": "out"}


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
    renamed = {name: table[_RENAMED.get(name, name)] for name in table}
    if any(spec.conv_extra):
        size = np.array(spec.input_size)[:, None]
        renamed = links.select(renamed, (renamed["pixel"] < size).all(axis=0))
    return renamed
