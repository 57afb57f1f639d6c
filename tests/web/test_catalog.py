"""Issue 27: no text a clerk sees is English by default: every message of the page's templates
and code is in the Indonesian catalog, translated and not fuzzy; the committed .mo is the .po
compiled; a page renders in Indonesian unless English is chosen."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from contract.vocabulary import PrinterFault, ReviewCause, SpoilCause
from controller.queue.lots import DECIDED_BY_A_PERSON, LotBooks
from controller.web import words
from controller.web.i18n import DEFAULT_LANGUAGE, HERE, daemon_words, environments
from testkit.catalogs import compiled_differs, extracted, untranslated

CATALOG = HERE / "locale" / "id" / "LC_MESSAGES" / "messages.po"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def test_every_message_is_translated_in_the_indonesian_catalog() -> None:
    messages = extracted(HERE, METHODS)
    assert len(messages) > 80  # the extraction found the page's texts
    assert untranslated(CATALOG, messages) == []


def test_the_daemons_refusals_are_said_with_the_stations_catalog() -> None:
    """The detail under a refusal's line: the daemon's messages, translated once in the
    station's catalog (tests/station/test_cli_language.py checks none is missing there)."""
    assert daemon_words("id").gettext("wrong name or password") == "nama atau kata sandi salah"
    assert daemon_words("en").gettext("wrong name or password") == "wrong name or password"


def test_the_committed_mo_is_the_po_compiled() -> None:
    assert not compiled_differs(CATALOG)


def test_the_default_language_is_indonesian() -> None:
    assert DEFAULT_LANGUAGE == "id"
    page = environments()[DEFAULT_LANGUAGE].get_template("login.html")
    html = page.render(language="id", csrf="t", person=None, notice=None)
    assert "Kata sandi" in html and "Password" not in html
    english = environments()["en"].get_template("login.html").render(csrf="t", person=None)
    assert "Password" in english


def test_the_report_names_each_column_of_the_books_and_each_spoiling_cause() -> None:
    assert len(words.BOOK_COLUMNS) == len(fields(LotBooks))  # in LotBooks' order
    assert {*PrinterFault, *SpoilCause, *ReviewCause, DECIDED_BY_A_PERSON} <= words.CAUSES.keys()


def test_the_page_ships_htmx_with_its_licence() -> None:
    static = Path(HERE / "static")
    assert (static / "htmx.min.js").stat().st_size > 10_000
    assert "Zero-Clause BSD" in (static / "htmx.LICENSE").read_text()
