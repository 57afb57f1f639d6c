"""Issue 28: the doctor diagnoses the file as written, changes nothing on the machine, prints
only its report, and checks the modes of the backups and of the secrets."""

from __future__ import annotations

import io
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.app.doctor import run_doctor
from testkit.cli import run_cli
from tests.test_doctor import TOML, doctor


@pytest.fixture
def closed_port() -> Iterator[int]:
    """Bound, not listening: a broker check fails at once."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        yield closed.getsockname()[1]


def test_a_broken_mqtt_section_is_reported_never_replaced_by_defaults(
    tmp_path: Path, closed_port: int
) -> None:
    broken = TOML.replace('host = "127.0.0.1"', 'host = "broker.example"\nprot = 1883')
    (tmp_path / "station.toml").write_text(
        broken.format(state_dir=tmp_path / "state", port=closed_port)
    )
    out = io.StringIO()
    assert run_doctor(tmp_path / "station.toml", out) == 1
    text = out.getvalue()
    assert "FAIL  config" in text and "[mqtt] prot: unknown key" in text
    assert "skip  broker    not checked: [mqtt] has problems" in text
    assert "localhost" not in text and "8883" not in text
    assert "ok    gpio" in text and "ok    printer" in text  # the rest as written


def test_the_doctor_creates_nothing(tmp_path: Path, closed_port: int) -> None:
    before = sorted(tmp_path.rglob("*"))
    _code, text = doctor(tmp_path, closed_port)
    assert sorted(tmp_path.rglob("*")) == [*before, tmp_path / "station.toml"]
    assert not (tmp_path / "state").exists()
    assert f"warn  state_dir {tmp_path / 'state'} does not exist yet" in text


def test_a_backup_readable_by_others_fails(tmp_path: Path, closed_port: int) -> None:
    backups = tmp_path / "state" / "backups"
    backups.mkdir(parents=True)
    copy = backups / "station-0.1.0-20261207T000000Z.db"
    copy.write_bytes(b"")
    copy.chmod(0o644)
    code, text = doctor(tmp_path, closed_port)
    assert code == 1 and f"FAIL  modes     {copy} is 644" in text
    copy.chmod(0o600)
    code, text = doctor(tmp_path, closed_port)
    assert "ok    modes     1 files of personal data readable by their owner only" in text


def test_secrets_in_the_config_or_readable_by_the_group_fail(
    tmp_path: Path, closed_port: int
) -> None:
    secret = tmp_path / "mqtt-password"
    secret.write_text("s3cret\n")
    secret.chmod(0o640)
    code, text = doctor(tmp_path, closed_port, "")
    assert "secrets" not in [line.split()[1] for line in text.splitlines()[:-1]]  # none set
    with_file = f'username = "st"\npassword_file = "{secret}"\n[printer]'
    code, text = _doctor_with(tmp_path, closed_port, with_file)
    assert f"FAIL  secrets   [mqtt] password_file {secret}: mode 640, readable by others" in text
    secret.chmod(0o600)
    code, text = _doctor_with(tmp_path, closed_port, with_file)
    assert f"ok    secrets   [mqtt] password_file {secret}: 600, owner" in text
    os.chown(secret, 65534, -1)  # nobody: the daemon's user could not read it
    code, text = _doctor_with(tmp_path, closed_port, with_file)
    assert code == 1 and "FAIL  secrets" in text and "owned by nobody" in text
    code, text = _doctor_with(tmp_path, closed_port, 'username = "st"\npassword = "x"\n[printer]')
    assert code == 1 and "[mqtt] password is in the config (mode 640)" in text


def _doctor_with(tmp_path: Path, port: int, mqtt_keys: str) -> tuple[int, str]:
    """The doctor on a config 0640 (as the package leaves it) with `mqtt_keys` in [mqtt]."""
    (tmp_path / "state").mkdir(exist_ok=True)
    path = tmp_path / "station.toml"
    text = TOML.format(state_dir=tmp_path / "state", port=port)
    path.write_text(text.replace("[printer]", mqtt_keys, 1))
    path.chmod(0o640)
    out = io.StringIO()
    return run_doctor(path, out), out.getvalue()


@pytest.mark.slow  # the printer's reconnect waits out its 3 s
def test_the_doctor_prints_only_its_report(tmp_path: Path, closed_port: int) -> None:
    """A printer that is not there makes the driver log its waits: not on the doctor's
    terminal."""
    path = tmp_path / "station.toml"
    text = TOML.format(state_dir=tmp_path / "state", port=closed_port)
    path.write_text(text.replace('driver = "virtual"', 'driver = "usb"'))
    result = run_cli("doctor", "--config", str(path))
    assert result.returncode == 1
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("verdict: ")
    assert all(line.split()[0] in ("ok", "warn", "FAIL", "skip") for line in lines[:-1]), lines
