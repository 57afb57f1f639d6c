"""The page's languages: Bahasa Indonesia by default, English on request. The catalog is
controller/web/locale/id/LC_MESSAGES/messages.po, compiled to the .mo beside it and committed
(tests/web/test_catalog.py checks the .mo is the .po compiled, and that nothing is missing)."""

from __future__ import annotations

from pathlib import Path

from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent
LOCALES = HERE / "locale"
DEFAULT_LANGUAGE = "id"
LANGUAGES = ("id", "en")  # English: the message ids themselves


def translations(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    return Translations.load(str(LOCALES), [language])


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
