"""The command line's language: Bahasa Indonesia, unless LANGUAGE, LC_ALL or LANG (the first one
set) starts with `en`. The catalog is controller/app/locale/id/LC_MESSAGES/printstation.po,
compiled to the .mo beside it and committed, as the web page's (tests/station/test_cli_language.py
checks the .mo is the .po compiled and that no message is missing)."""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).parent / "locale"
DOMAIN = "printstation"
CHOOSERS = ("LANGUAGE", "LC_ALL", "LANG")  # gettext's order; LC_MESSAGES is not consulted


def english(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the person asked for English (the first language variable set decides)."""
    for name in CHOOSERS:
        if value := environ.get(name):
            return value.startswith("en")
    return False


@cache
def _catalog(in_english: bool) -> gettext.NullTranslations:
    if in_english:
        return gettext.NullTranslations()  # English: the message ids themselves
    return gettext.translation(DOMAIN, LOCALES, languages=["id"])


def _(message: str) -> str:
    """`message` in the person's language."""
    return _catalog(english()).gettext(message)


def N_(message: str) -> str:  # gettext's name for "mark, translate later"
    return message
