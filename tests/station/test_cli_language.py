"""Issue 27: the command line speaks Bahasa Indonesia unless LANGUAGE, LC_ALL or LANG asks for
English; every message of its human text is in the Indonesian catalog, and the committed .mo is
the .po compiled. (The other tests run it in English: tests/conftest.py.)"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.commands import JobsResult
from controller.app import cli, custody_cli, language
from controller.app.tables import action_text, jobs_text
from testkit.catalogs import compiled_differs, extracted, untranslated
from testkit.cli import run_cli

CATALOG = language.LOCALES / "id" / "LC_MESSAGES" / f"{language.DOMAIN}.po"
ROOT = Path(__file__).resolve().parents[2]
CHOOSERS = language.CHOOSERS


@pytest.fixture
def no_language(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CHOOSERS:
        monkeypatch.delenv(name, raising=False)


def test_every_message_of_the_command_line_is_in_the_indonesian_catalog() -> None:
    messages = extracted(language.LOCALES.parent, [("**.py", "python")])
    assert len(messages) > 60  # the extraction found the command line's texts
    assert untranslated(CATALOG, messages) == []


def test_the_committed_mo_is_the_po_compiled() -> None:
    assert not compiled_differs(CATALOG)


@pytest.mark.usefixtures("no_language")
def test_the_default_is_bahasa_indonesia() -> None:
    paused = action_text("pause", {"paused": True, "state": "paused"})
    assert (
        paused is not None
        and paused.startswith("dijeda:")
        and "(sekarang dijeda (paused))" in paused
    )
    empty = jobs_text(JobsResult.from_json({"jobs": [], "counts": {}}), ZoneInfo("Asia/Jakarta"))
    assert empty == "tidak ada pekerjaan aktif (tidak ada yang tersimpan)"
    collected = custody_cli.result_text("collect", {"job_id": "j1", "collected_by": "budi"})
    assert collected == "pekerjaan j1: kartu diserahkan (budi)"


@pytest.mark.parametrize(
    ("variables", "in_english"),
    [
        ({"LANG": "en_US.UTF-8"}, True),
        ({"LANG": "id_ID.UTF-8"}, False),
        ({"LANG": "C.UTF-8"}, False),
        ({"LC_ALL": "en_GB.UTF-8", "LANG": "id_ID.UTF-8"}, True),
        ({"LANGUAGE": "id", "LC_ALL": "en_GB.UTF-8"}, False),
        ({"LANGUAGE": "", "LANG": "en_US.UTF-8"}, True),
        ({}, False),
    ],
)
def test_english_only_when_the_first_language_variable_set_asks(
    variables: dict[str, str], in_english: bool
) -> None:
    assert language.english(variables) is in_english


def test_the_installed_command_prints_its_errors_in_bahasa_indonesia(tmp_path: Path) -> None:
    missing = str(tmp_path / "station.toml")
    default = run_cli("--config", missing, "status", env={"PYTHONPATH": str(ROOT), "LANGUAGE": ""})
    assert default.returncode == cli.EXIT_CONFIG
    assert default.stderr.startswith("printstation: kesalahan konfigurasi: ")
    english = run_cli(
        "--config", missing, "status", env={"PYTHONPATH": str(ROOT), "LANGUAGE": "", "LANG": "en"}
    )
    assert english.stderr.startswith("printstation: config error: ")
