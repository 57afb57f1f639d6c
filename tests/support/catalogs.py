"""Checks of a gettext catalog against its sources (the web page's and the command line's)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

KEYWORDS = {"_": None, "N_": None}


def extracted(source: Path, methods: Iterable[tuple[str, str]]) -> set[str]:
    """The messages Babel extracts from `source` with the `(pattern, method)` pairs."""
    found = extract_from_dir(str(source), list(methods), keywords=KEYWORDS)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def untranslated(po: Path, messages: set[str]) -> list[str]:
    """The messages missing, empty or fuzzy in the catalog `po` (also its fuzzy extras)."""
    catalog = read_po(po.open("rb"))
    missing = {m for m in messages if m not in catalog or not catalog[m].string}
    return sorted(missing | {m.id for m in catalog if m.id and m.fuzzy})


def compiled_differs(po: Path) -> bool:
    """Whether the .mo beside `po` is not `po` compiled."""
    fresh = io.BytesIO()
    write_mo(fresh, read_po(po.open("rb")))
    shipped = read_mo(po.with_suffix(".mo").open("rb"))
    again = read_mo(io.BytesIO(fresh.getvalue()))
    return {m.id: m.string for m in shipped} != {m.id: m.string for m in again}
