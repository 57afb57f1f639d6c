"""Config: typed and validated; a wrong file stops start-up with one line per problem, naming
file and key."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from controller.app.config import ConfigError, load_config
from controller.field_checks import CHECKS
from controller.mqtt.settings import MqttSettings
from testkit.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = '[station]\nid = "3271-bogor-timur-01"\nstate_dir = "{dir}"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "station.toml"
    path.write_text(MINIMAL.format(dir=tmp_path) + text)
    return path


def test_minimal_config_has_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.duty.daily_limit == 50 and config.duty.timezone == "Asia/Jakarta"
    assert config.mqtt.topic_root == "ektp/v1" and config.printer.driver == "usb"
    assert config.db_path == tmp_path / "station.db"


def test_example_config_loads(tmp_path: Path) -> None:
    text = (ROOT / "config" / "station.example.toml").read_text()
    for name in ("ca.pem", "station.pem", "station.key"):
        (tmp_path / name).write_text("x")
        text = text.replace(f"/etc/printstation/tls/{name}", str(tmp_path / name))
    path = tmp_path / "example.toml"
    path.write_text(text)
    config = load_config(path)
    assert config.station.id == "3271-bogor-timur-01" and config.mqtt.port == 8883


def test_virtual_faults_are_typed(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            '[printer]\ndriver = "virtual"\n[printer.virtual]\n'
            'faults = [{ at_card = 3, kind = "unplug", seconds = 2 }]\n',
        )
    )
    fault = config.printer.virtual.faults[0]
    assert (fault.at_card, fault.kind, fault.seconds) == (3, "unplug", 2.0)


def test_ipp_messages_are_typed(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            '[printer.ipp]\nmessages = [{ text = "Ribbon out", fault = "ribbon_out" }]\n',
        )
    )
    [message] = config.printer.ipp.messages
    assert (message.text, message.fault) == ("Ribbon out", "ribbon_out")


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[mqtt]\nprot = 1883\n", "[mqtt] prot", "did you mean 'port'"),
        ('[mqtt]\nport = "1883"\n', "[mqtt] port", "must be an integer"),
        ("[mqtt]\nport = 70000\n", "[mqtt] port", "from 1 to 65535"),
        ("[mqtt]\nport = true\n", "[mqtt] port", "must be an integer"),
        ('[mqtt]\ntls_ca = "/nonexistent/ca.pem"\n', "[mqtt] tls_ca", "no such file"),
        ("[mqtt]\nsession_expiry_s = 60\n", "[mqtt] session_expiry_s", "at least 604800"),
        ('[mqtt]\ntopic_root = "ektp/#"\n', "[mqtt] topic_root", "without wildcards"),
        ('[printer]\ndriver = "serial"\n', "[printer] driver", '"network", "virtual" or "ipp"'),
        ('[printer]\ndriver = "ipp"\n', "[printer] ipp.queue", 'with driver = "ipp"'),
        ('[printer.ipp]\nencryption = "always"\n', "[printer.ipp] encryption", "must be one of"),
        (
            '[printer.ipp]\npassword_file = "/nonexistent"\n',
            "[printer.ipp] password_file",
            "no such",
        ),
        ("[printer.ipp]\nresolution_dpi = 96\n", "[printer.ipp] resolution_dpi", "from 150"),
        (
            '[printer.ipp]\nreasons = [{ keyword = "hid-ribbon-out", fault = "smoke" }]\n',
            "[printer.ipp] reasons[0].fault",
            "must be one of",
        ),
        (
            '[printer.ipp]\nmessages = [{ text = "Ribbon out", fault = "smoke" }]\n',
            "[printer.ipp] messages[0].fault",
            "must be one of",
        ),
        (
            '[printer.ipp]\nmessages = [{ text = "", fault = "ribbon_out" }]\n',
            "[printer.ipp] messages[0].text",
            "must not be empty",
        ),
        (
            '[printer.ipp]\nmarkers = [{ name = "Film", consumable = "toner" }]\n',
            "[printer.ipp] markers[0].consumable",
            "must be one of",
        ),
        ('[printer]\ndriver = "network"\n', "[printer] host", 'with driver = "network"'),
        ("[printer]\nvirtual_extensions = true\n", "[printer] virtual_extensions", "only with"),
        ("[printer]\nport = 0\n", "[printer] port", "from 1 to 65535"),
        (
            '[printer.virtual]\nfaults = [{ at_card = 1, kind = "fire" }]\n',
            "[printer.virtual] faults[0].kind",
            "must be one of",
        ),
        (
            '[printer.virtual]\nfaults = [{ at_card = 1, kind = "jam", colour = 1 }]\n',
            "[printer.virtual.faults[0]] colour",
            "unknown key",
        ),
        ('[duty]\ntimezone = "Asia/Bogor"\n', "[duty] timezone", "unknown time zone"),
        (
            "[duty]\nmax_head_c = 28.0\n",
            "[duty] max_head_c",
            "more than ambient_c + heat_per_card_c",
        ),
        ("[duty]\ndaily_limit = 0\n", "[duty] daily_limit", "1 or more"),
        ("[dutty]\ndaily_limit = 5\n", "[dutty]", "did you mean 'duty'"),
        ("[printer]\nvirtual = 5\n", "[printer] virtual", "must be a table"),
        ("[consumables]\nreserve_cards = -1\n", "[consumables] reserve_cards", "0 or more"),
        (
            '[printer.virtual]\nfaults = [{ kind = "jam" }]\n',
            "[printer.virtual] faults[0].at_card",
            "is required",
        ),
        ("[panel]\nbuzzer = 12\nfan = 12\n", "[panel] fan", "pin 12 is already used by buzzer"),
    ],
)
def test_wrong_values_name_file_key_and_problem(tmp_path, text, key, problem) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert problem in message and "\n" not in message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[station]\nid = "Bogor Timur"\n', "[station] id"),
        ('[station]\nid = "ab"\n', "[station] id"),
        ("[mqtt]\nport = 1883\n", "[station]"),
        ("[station\nid = 1\n", "(syntax)"),
    ],
)
def test_bad_station_and_syntax(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == key


def test_every_problem_of_a_file_is_reported_in_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[printer]\nmax_attempts = "3"\n[mqtt]\nprot = 1883\nkeepalive_s = 1\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).splitlines() == [
        f"{path}: [printer] max_attempts: must be an integer, got str '3'",
        f"{path}: [mqtt] prot: unknown key (did you mean 'port'?)",
        f"{path}: [mqtt] keepalive_s: must be from 5 to 600, got 1",
    ]
    assert [str(error) for error in caught.value.errors] == str(caught.value).splitlines()
    assert (caught.value.key, caught.value.problem) == (
        "[printer] max_attempts",
        "must be an integer, got str '3'",
    )


def test_a_wrong_value_does_not_hide_a_rule_of_its_section(tmp_path: Path) -> None:
    path = write(tmp_path, "[panel]\nfan = 40\nready_led = 5\nbusy_led = 5\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert [(error.key, error.problem) for error in caught.value.errors] == [
        ("[panel] fan", "must be a BCM pin 1-27 or 0, got 40"),
        ("[panel] busy_led", "pin 5 is already used by ready_led"),
    ]


def test_the_bound_declared_on_a_field_is_the_one_enforced(tmp_path: Path) -> None:
    port_field = next(each for each in dataclasses.fields(MqttSettings) if each.name == "port")
    (bound,) = port_field.metadata[CHECKS]
    for port in (bound.low, bound.high):
        assert load_config(write(tmp_path, f"[mqtt]\nport = {port}\n")).mqtt.port == port
    for port in (bound.low - 1, bound.high + 1):
        with pytest.raises(ConfigError) as caught:
            load_config(write(tmp_path, f"[mqtt]\nport = {port}\n"))
        assert caught.value.problem == f"must be from {bound.low} to {bound.high}, got {port}"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def test_cli_help_lists_the_commands() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in (
        "run",
        "status",
        "jobs",
        "pause",
        "resume",
        "doctor",
        "resolve",
        "reload",
        "submit",
        "virtual-printer",
    ):
        assert command in result.stdout


def test_cli_wrong_config_is_one_line_naming_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[mqtt]\nport = "abc"\n')
    result = cli("run", "--config", str(path))
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        f"printstation: config error: {path}: [mqtt] port: must be an integer, got str 'abc'"
    ]


def test_cli_prints_every_problem_of_a_config(tmp_path: Path) -> None:
    path = write(tmp_path, '[mqtt]\nport = 70000\n[log]\nlevel = "loud"\n')
    result = cli("status", "--config", str(path))
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        f"printstation: config error: {path}: [mqtt] port: must be from 1 to 65535, got 70000",
        f"printstation: config error: {path}: [log] level: "
        'must be one of "debug", "info", "warning" or "error", got \'loud\'',
    ]


def test_cli_local_command_without_daemon(tmp_path: Path) -> None:
    result = cli("status", "--config", str(write(tmp_path, "")))
    assert result.returncode == 4
    assert "not running" in result.stderr and str(tmp_path / "control.sock") in result.stderr
