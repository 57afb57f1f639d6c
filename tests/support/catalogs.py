"""Checks of a gettext catalog against its sources (the web page's and the command line's)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

# gettext's names, and the config problems' `said` (controller/field_checks.py)
KEYWORDS = {"_": None, "N_": None, "said": None, "ngettext": (1, 2)}


def extracted(source: Path, methods: Iterable[tuple[str, str]]) -> set[str]:
    """The messages Babel extracts from `source` with the `(pattern, method)` pairs (a plural
    message by its singular, the catalog's key)."""
    found = extract_from_dir(str(source), list(methods), keywords=KEYWORDS)
    return {_singular(message) for _, _, message, _, _ in found}


def extracted_from(path: Path) -> set[str]:
    """The messages of one Python file (argparse's own, for the command line)."""
    found = extract_from_file("python", str(path), keywords=KEYWORDS)
    return {_singular(message) for _, message, _, _ in found}


def _singular(message: str | tuple[str, ...]) -> str:
    return message if isinstance(message, str) else message[0]


def untranslated(po: Path, messages: set[str]) -> list[str]:
    """The messages missing, empty or fuzzy in the catalog `po` (also its fuzzy extras)."""
    catalog = read_po(po.open("rb"))

    def translated(message: str) -> bool:
        found = catalog.get(message)
        if found is None:
            return False
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        return all(strings)

    missing = {m for m in messages if not translated(m)}
    return sorted(missing | {_singular(m.id) for m in catalog if m.id and m.fuzzy})


def compiled_differs(po: Path) -> bool:
    """Whether the .mo beside `po` is not `po` compiled."""
    fresh = io.BytesIO()
    write_mo(fresh, read_po(po.open("rb")))
    shipped = read_mo(po.with_suffix(".mo").open("rb"))
    again = read_mo(io.BytesIO(fresh.getvalue()))
    return _entries(shipped) != _entries(again)


def _entries(catalog: Iterable[Any]) -> dict[Any, Any]:
    """id -> string, a plural's (lists in a read .mo) as tuples."""
    return {_tuple(m.id): _tuple(m.string) for m in catalog}


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
