"""The command line's language: Bahasa Indonesia, unless LANGUAGE, LC_ALL or LANG (the first one
set) starts with `en`. The catalog is controller/app/locale/id/LC_MESSAGES/printstation.po,
compiled to the .mo beside it and committed, as the web page's (tests/station/test_cli_language.py
checks the .mo is the .po compiled and that no message is missing).

Besides the command line's own messages, the catalog holds argparse's (its usage and error
lines: argparse says them through its module's `_` and `ngettext`, pointed here by
`speak_for_argparse`) and the config's problems (said with `controller.field_checks.said`)."""

from __future__ import annotations

import argparse
import gettext
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from contract.commands import Refusal
from controller.config_file.errors import Problem
from controller.said import Said, say_refusal

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


def ngettext(singular: str, plural: str, count: int) -> str:
    """`singular` or `plural` for `count`, in the person's language."""
    return _catalog(english()).ngettext(singular, plural, count)


def N_(message: str) -> str:  # gettext's name for "mark, translate later"
    return message


def say(text: str) -> str:
    """`text` in the person's language when it was said with `said` (its values too); any
    other text as it is."""
    if not isinstance(text, Said):
        return text
    values = {name: say(v) if isinstance(v, str) else v for name, v in text.values.items()}
    return _(text.message) % values if values else _(text.message)


def refusal_text(refusal: Refusal) -> str:
    """The daemon's refusal in the person's language (`said.say_refusal`)."""
    return say_refusal(refusal, _)


def problem_line(problem: Problem) -> str:
    """A config problem's line: the file and the key as they are, the problem in words."""
    return f"{problem.path}: {problem.key}: {say(problem.problem)}"


def speak_for_argparse() -> None:
    """argparse's own words (`usage:`, `options`, its error lines) from this catalog.

    argparse translates them with the standard library's gettext in the process's global
    domain (Python's argparse howto, "How to translate the argparse output"), whose language
    the locale chooses; the station's is chosen by `english()`, so argparse's two hooks are
    pointed at this catalog (what they are for). A process that runs the command line."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
