"""Counted nouns for the app's sentences: '1 row', '2 rows' (never 'row(s)')."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1 ('1 channel', '3 channels', '0 cells')."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
