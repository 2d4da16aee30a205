"""Reading what files nobody vouches for declare, before believing it.

``json.loads`` recurses once per nesting level, so a short text such as ``"[" * 49_000`` ends
in RecursionError, and a long one holds every value in memory at once: `loads` measures
both first. A ``.npy`` header declares a shape that ``np.load`` allocates at once: `npy_header`
reads the header alone, so that the caller can compare the size with what the file holds
and with the memory limit first. Both raise ``ValueError`` with the figures; the callers
(sessions, presets, tensor import) put the file's name in front.
"""

from __future__ import annotations

import json
import re
from typing import Any, BinaryIO

import numpy as np
from numpy.lib import format as npy_format

#: Deeper than any spec or preset needs (a preset's tensors are 4-deep lists, inside 2 objects).
MAX_DEPTH = 32
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN, _CLOSE = np.frombuffer(b"[{", np.uint8), np.frombuffer(b"]}", np.uint8)


def nesting_depth(text: str) -> int:
    """The deepest ``[``/``{`` nesting of ``text``, brackets inside strings not counted."""
    raw = np.frombuffer(_STRING.sub('""', text).encode("utf-8"), np.uint8)
    steps = np.isin(raw, _OPEN).astype(np.int64) - np.isin(raw, _CLOSE)
    return int(np.cumsum(steps).max(initial=0))


def loads(text: str, max_chars: int, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads(text)`` once ``text`` is at most ``max_chars`` long and ``max_depth`` deep.

    Raises
    ------
    ValueError
        For a text that is too long, too deeply nested, or not JSON. The message says which,
        with the numbers, and reads after "the spec is": ``too long (…)``, ``nested 49000
        levels deep (…)``, ``not valid JSON (…)``.
    """
    if len(text) > max_chars:
        raise ValueError(f"too long ({len(text)} characters; at most {max_chars} are read)")
    depth = nesting_depth(text)
    if depth > max_depth:
        raise ValueError(f"nested {depth} levels deep (at most {max_depth} are read)")
    try:
        return json.loads(text)
    except RecursionError:  # unreachable after the depth check; kept as the last wall
        raise ValueError("nested too deeply to read") from None
    except ValueError as e:  # JSONDecodeError, and integers longer than Python converts
        raise ValueError(f"not valid JSON ({e})") from e


def npy_header(f: BinaryIO) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from the ``.npy`` header at ``f``'s position, which is left at the data.

    Raises
    ------
    ValueError
        For a file that is not a ``.npy`` array of format 1.0 or 2.0 (those ``np.save``
        writes for numeric arrays).
    """
    version = npy_format.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = npy_format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, _, dtype = npy_format.read_array_header_2_0(f)
    else:
        raise ValueError(f"unsupported .npy format version {version[0]}.{version[1]}")
    return tuple(shape), dtype
