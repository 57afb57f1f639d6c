"""The page's languages: Bahasa Indonesia by default, English on request. The catalog is
controller/web/locale/id/LC_MESSAGES/messages.po, compiled to the .mo beside it and committed
(tests/web/test_catalog.py checks the .mo is the .po compiled, and that nothing is missing).

The daemon's refusals are said with the station's catalog (domain `printstation`, beside the
command line in controller/app/locale: one catalog for the daemon's words, checked by
tests/station/test_cli_language.py), read here as a file: the page imports nothing of the app."""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent
LOCALES = HERE / "locale"
DAEMON_WORDS = HERE.parent / "app" / "locale"  # the station's catalog, domain printstation
DEFAULT_LANGUAGE = "id"
LANGUAGES = ("id", "en")  # English: the message ids themselves


def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language`, read with the standard library's gettext (Babel makes and
    checks the catalogs; its runtime would cost the page 1 MB, docs/benchmarks.md)."""
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation("messages", LOCALES, languages=[language])


@cache
def daemon_words(language: str) -> gettext.NullTranslations:
    """The station's catalog of `language`, for the daemon's refusals (read at the first one)."""
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation("printstation", DAEMON_WORDS, languages=[language])


def environments() -> dict[str, Environment]:
    """A template environment per language."""
    made = {}
    for language in LANGUAGES:
        env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(),
            extensions=["jinja2.ext.i18n"],
        )
        env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
        made[language] = env
    return made
