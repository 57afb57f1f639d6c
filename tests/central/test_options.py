"""Every setting of printstation-central is a flag, a PRINTSTATION_CENTRAL_* variable and a
config file key, with its default in --help; a wrong config stops start-up with one line per
problem, naming the file and the key (central/options.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from central.cli import CONFIG_ERROR, main, parser
from central.options import BOOL, DAYS, OPTIONS, ConfigError, resolve

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "central" / "central.example.toml"
# A valid value other than the default, as text, per option (the environment's form).
OTHER = {
    "config": str(EXAMPLE),
    "database": "dbname=elsewhere",
    "log_level": "debug",
    "log_format": "json",
    "mqtt_host": "broker.example",
    "mqtt_port": "8883",
    "mqtt_ca": str(EXAMPLE),  # any file that exists
    "mqtt_cert": str(EXAMPLE),
    "mqtt_key": str(EXAMPLE),
    "mqtt_username": "central-a",
    "mqtt_password_file": str(EXAMPLE),
    "root": "ektp/v2",
    "replica": "central-7",
    "gap_grace_s": "2.5",
    "gap_retry_s": "60",
    "max_replays": "5",
    "reminder_days": "7,14",
    "office_zone": "Asia/Makassar",
    "max_event_age_days": "30",
    "max_clock_ahead_s": "60",
    "max_batch": "100",
    "watchdog_s": "4",
    "metrics_addr": "0.0.0.0",
    "metrics_port": "9999",
    "gammu_schema": "/srv/gammu.sql",
    "gammu": "false",
    "timezone": "Asia/Jayapura",
}
# The command line of each subcommand, where it takes more than its name.
ARGV = {"report": ["report", "2026-01"]}


def parsed(argv: list[str], environ: dict[str, str] | None = None) -> argparse.Namespace:
    args = parser().parse_args(argv)
    resolve(args, environ or {})
    return args


def test_every_option_has_a_variable_that_works() -> None:
    assert set(OTHER) == {option.dest for option in OPTIONS}
    for option in OPTIONS:
        [name] = option.commands or ("run",)
        command = ARGV.get(name, [name])
        args = parsed(command, {option.env: OTHER[option.dest]})
        assert getattr(args, option.dest) != option.default, option.env


def test_help_shows_each_options_default_variable_and_key(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # argparse wraps at the terminal's width
    for command in ([], ["run"], ["migrate"], ["report"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for option in OPTIONS:
        assert f"env {option.env}" in shown
        if option.section:
            assert f"config {option.where}" in shown
        if option.kind not in (BOOL, DAYS) and option.default is not None:
            assert f"default: {option.default};" in shown


def test_the_shipped_example_reads_cleanly_into_its_values() -> None:
    args = parsed(["--config", str(EXAMPLE), "run"])
    assert (args.mqtt_port, args.replica, args.metrics_port) == (1883, "central-1", 9466)
    assert args.reminder_days == (30.0, 90.0, 180.0)


def test_the_command_line_beats_the_environment_beats_the_file(tmp_path: Path) -> None:
    config = tmp_path / "central.toml"
    config.write_text('[mqtt]\nhost = "from-file"\nport = 1000\nclient_id = "file"\n')
    env = {"PRINTSTATION_CENTRAL_MQTT_PORT": "2000", "PRINTSTATION_CENTRAL_REPLICA": "env"}
    args = parsed(["--config", str(config), "run", "--replica", "flag"], env)
    assert (args.mqtt_host, args.mqtt_port, args.replica) == ("from-file", 2000, "flag")


def test_a_wrong_config_names_every_problem_at_once_one_line_each(tmp_path: Path) -> None:
    config = tmp_path / "central.toml"
    config.write_text(
        '[mqtt]\nport = "1883"\nhots = "x"\ntls_ca = "/nowhere/ca.pem"\n[gaps]\ngrace_s = -1\n'
        '[sms]\nreminder_days = [90, 30]\n[http]\naddress = "localhost"\n[smss]\nx = 1\n'
    )
    with pytest.raises(ConfigError) as error:
        parsed(["--config", str(config), "run"], {"PRINTSTATION_CENTRAL_MAX_BATCH": "many"})
    assert sorted(error.value.problems) == sorted(
        [
            f"{config}: [mqtt] hots: unknown key (did you mean 'host'?)",
            f"{config}: [smss]: unknown table (did you mean 'sms'?)",
            f"{config}: [mqtt] port: must be an integer, got str '1883'",
            f"{config}: [mqtt] tls_ca: no file '/nowhere/ca.pem'",
            f"{config}: [gaps] grace_s: must be more than 0, got -1.0",
            f"{config}: [sms] reminder_days: must be days after printing, ascending and more"
            " than 0, got [90.0, 30.0]",
            f"{config}: [http] address: must be an IP address, got 'localhost'",
            "PRINTSTATION_CENTRAL_MAX_BATCH: must be an integer, got str 'many'",
        ]
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[mqtt\n", "not TOML"),
        ("mqtt = 3\n", "[mqtt]: must be a table"),
    ],
)
def test_a_file_that_is_no_config_is_one_line(tmp_path: Path, text: str, problem: str) -> None:
    config = tmp_path / "central.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as error:
        parsed(["--config", str(config), "run"])
    assert len(error.value.problems) == 1 and problem in error.value.problems[0]


def test_start_up_stops_with_exit_3_and_the_lines_on_stderr(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere.toml"
    assert main(["--config", str(missing), "fleet"]) == CONFIG_ERROR
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"printstation-central: {missing}: cannot read: No such file or directory"]


def test_docs_list_every_variable() -> None:
    docs = (ROOT / "docs" / "central.md").read_text()
    assert [o.env for o in OPTIONS if o.env not in docs] == []


def test_a_database_without_the_tables_is_one_line_not_a_traceback(capsys) -> None:
    unmigrated = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    assert main(["--database", unmigrated, "fleet"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("printstation-central: relation ") and "does not exist" in line
