"""`printstation-central`'s options: every one with its environment variable and default shown
in --help; the metrics endpoint on localhost unless told otherwise; a bad value refused."""

from __future__ import annotations

import argparse

from central.cli import CONFIG_ERROR, main, parser
from central.options import ENV, resolve


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _resolved(argv: list[str]) -> argparse.Namespace:
    args = parser().parse_args(argv)
    resolve(args)
    return args


def test_every_valued_option_names_its_environment_variable() -> None:
    for command in (parser(), *_subparsers().values()):
        for action in command._actions:
            if action.option_strings and action.nargs != 0 and action.dest != "help":
                assert f"env {ENV}" in (action.help or ""), action.option_strings


def test_an_environment_variable_sets_its_option(monkeypatch) -> None:
    monkeypatch.setenv("PRINTSTATION_CENTRAL_MAX_BATCH", "7")
    monkeypatch.setenv("PRINTSTATION_CENTRAL_MQTT_USERNAME", "central-a")
    monkeypatch.setenv("PRINTSTATION_CENTRAL_DATABASE", "dbname=elsewhere")
    args = _resolved(["run"])
    assert (args.max_batch, args.mqtt_username, args.database) == (
        7,
        "central-a",
        "dbname=elsewhere",
    )


def test_metrics_listen_on_localhost_by_default() -> None:
    assert _resolved(["run"]).metrics_addr == "127.0.0.1"


def test_an_unknown_office_zone_is_refused(capsys) -> None:
    assert main(["run", "--office-zone", "Asia/Atlantis"]) == CONFIG_ERROR
    assert "--office-zone: must be a time zone, got str 'Asia/Atlantis'" in capsys.readouterr().err


def test_a_report_for_no_month_is_refused_before_any_database(capsys) -> None:
    for bad in ("2026-13", "2026-11-07"):
        assert main(["--database", "host=/nonexistent", "report", bad]) == 2
        assert f"month {bad!r} is not YYYY-MM" in capsys.readouterr().err
