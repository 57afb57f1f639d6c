"""JSON as the interface reads it: an object with a key twice, or NaN/Infinity (not JSON at
all, though Python's parser takes them), is refused rather than silently resolved."""

from __future__ import annotations

import json
from typing import Any


class StrictJsonError(ValueError):
    """A duplicate key, or a NaN/Infinity constant."""


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise StrictJsonError("an object has the same key twice")
    return document


def _no_constant(name: str) -> Any:
    raise StrictJsonError(f"{name} is not JSON")


def loads(text: str) -> Any:
    """`json.loads`, raising StrictJsonError (a ValueError) on duplicate keys and NaN/Infinity."""
    return json.loads(text, object_pairs_hook=_unique, parse_constant=_no_constant)
