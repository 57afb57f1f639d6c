"""Issue 27: the command line speaks Bahasa Indonesia unless LANGUAGE, LC_ALL or LANG asks for
English; every message of its human text is in the Indonesian catalog (its help, argparse's own
lines, the doctor's, the config's problems), and the committed .mo is the .po compiled. (The
other tests run it in English: tests/conftest.py.)"""

from __future__ import annotations

import argparse
import ast
import io
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.commands import JobsResult
from controller.app import cli, custody_cli, language
from controller.app.doctor import run_doctor
from controller.app.tables import action_text, jobs_text
from testkit.catalogs import compiled_differs, extracted, extracted_from, untranslated
from testkit.cli import run_cli

CATALOG = language.LOCALES / "id" / "LC_MESSAGES" / f"{language.DOMAIN}.po"
ROOT = Path(__file__).resolve().parents[2]
CHOOSERS = language.CHOOSERS


def test_every_message_of_the_command_line_is_in_the_indonesian_catalog() -> None:
    """The station's code (the web page has its own catalog): the command line's and the
    doctor's texts, the config's problems said in every part's settings; and argparse's."""
    messages = extracted(ROOT / "controller", [("web/**", "ignore"), ("**.py", "python")])
    assert len(messages) > 200  # the extraction found the command line's texts
    assert {"must be positive, got %(value)s", "unknown key", "is required"} <= messages
    argparse_words = extracted_from(Path(argparse.__file__))
    assert {"usage: ", "options", "the following arguments are required: %s"} <= argparse_words
    assert untranslated(CATALOG, messages | argparse_words) == []


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


def _help_texts(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str]]:
    """(the parser's prog, one of its texts) for `parser` and each of its commands: its
    description, its arguments' help and its commands' lines."""
    if parser.description:
        yield parser.prog, parser.description
    for action in parser._actions:
        if action.help and action.help != argparse.SUPPRESS:
            yield parser.prog, action.help
        if isinstance(action, argparse._SubParsersAction):
            for line in action._choices_actions:
                yield parser.prog, str(line.help)
            for command in action.choices.values():
                yield from _help_texts(command)


def test_the_help_of_every_command_is_in_bahasa_indonesia(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each help text of `printstation` and its commands as English gives it is not in the
    default help (argparse's own words neither)."""
    monkeypatch.setenv("LANGUAGE", "en")
    english = list(_help_texts(cli.build_parser()))
    assert len(english) > 60
    for name in CHOOSERS:
        monkeypatch.delenv(name, raising=False)
    parser = cli.build_parser()
    pages = {prog: page.format_help() for prog, page in _parsers(parser)}
    left = [(prog, text) for prog, text in english if text in pages[prog]]
    assert left == []
    top = pages["printstation"]
    assert top.startswith("penggunaan: printstation ") and "\nopsi:\n" in top
    assert "tampilkan bantuan ini lalu keluar" in top and "usage" not in top


def _parsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield parser.prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                yield from _parsers(command)


@pytest.mark.usefixtures("no_language")
def test_argparse_refuses_in_bahasa_indonesia(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["reload", "cards"])
    assert exit_.value.code == cli.EXIT_USAGE
    refusal = capsys.readouterr().err.splitlines()[-1]
    assert refusal == "printstation reload: kesalahan: argumen berikut wajib diisi: count"


@pytest.mark.usefixtures("no_language")
def test_a_config_error_is_one_line_in_bahasa_indonesia(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file and the key as they are, the words around them Indonesian."""
    config = tmp_path / "station.toml"
    config.write_text(
        '[station]\nid = "3271-bogor-timur-01"\n[mqtt]\nport = 70000\nprot = 1\n'
        '[printer]\ndriver = "serial"\n[panel]\nbuzzer = "x"\n'
    )
    assert cli.main(["--config", str(config), "status"]) == cli.EXIT_CONFIG
    assert capsys.readouterr().err.splitlines() == [
        f"printstation: kesalahan konfigurasi: {config}: [mqtt] port: "
        "harus dari 1 sampai 65535, tertulis 70000",
        f"printstation: kesalahan konfigurasi: {config}: [mqtt] prot: "
        "kunci tidak dikenal (maksud Anda 'port'?)",
        f"printstation: kesalahan konfigurasi: {config}: [printer] driver: "
        'harus salah satu dari "usb", "network", "virtual" atau "ipp", tertulis \'serial\'',
        f"printstation: kesalahan konfigurasi: {config}: [panel] buzzer: "
        "harus berupa bilangan bulat, tertulis str 'x'",
    ]


@pytest.mark.usefixtures("no_language")
def test_the_doctor_reports_in_bahasa_indonesia(tmp_path: Path) -> None:
    config = tmp_path / "station.toml"
    config.write_text(
        f'[station]\nid = "3271-bogor-timur-01"\nstate_dir = "{tmp_path / "data"}"\n'
        '[mqtt]\nport = 70000\n[printer]\ndriver = "virtual"\n[panel]\npin_factory = "mock"\n'
    )
    out = io.StringIO()
    assert run_doctor(config, out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        f"GAGAL  konfigurasi {config}: [mqtt] port: harus dari 1 sampai 65535, tertulis 70000"
    )
    assert f"awas   direktori   {tmp_path / 'data'} belum ada (layanan akan membuatnya)" in lines
    assert "lewati broker      tidak diperiksa: [mqtt] bermasalah" in lines
    assert lines[-1] == "kesimpulan: ada masalah pada konfigurasi"


# The store's refusals that the commands pass on as their CommandError's message (exc.args[0])
PASSED_ON = {"AccountError", "LotError", "HandoverRefused"}


def test_every_refusal_of_the_daemon_is_said() -> None:
    """A CommandError's message (and a refusal the control socket makes itself) is said (so the
    catalog's extraction finds it and the socket sends its message and values), or passed on
    from a store error said where raised:
    an English text written in the call (a literal, an f-string, `%` or `.format`) fails."""
    english = []
    for path in sorted((ROOT / "controller").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None)
            if name in ("CommandError", "refusal") and len(node.args) > 1:
                message = node.args[1]
            elif name in PASSED_ON and node.args:
                message = node.args[0]
            else:
                continue
            said_here = isinstance(message, ast.Call) and getattr(message.func, "id", "") == "said"
            written = isinstance(message, ast.Constant | ast.JoinedStr | ast.BinOp) or (
                isinstance(message, ast.Call) and not said_here
            )
            if written or (name in PASSED_ON and not said_here):
                english.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert english == []


def test_every_problem_is_said_with_its_message_written_out() -> None:
    """The catalog's extraction finds a `said` message only where it is written in the call."""
    unseen = []
    for path in sorted((ROOT / "controller").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "said":
                first = node.args[0] if node.args else None
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    unseen.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert unseen == []
