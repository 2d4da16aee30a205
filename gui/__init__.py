"""ConvViz's Qt front end: passive views over `gui.state.Document`, compute in `gui.compute`."""

from . import _compat

_compat.apply()
