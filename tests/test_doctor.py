"""`printstation doctor`: one verdict per check, non-zero exit when something fails."""

from __future__ import annotations

import io
import socket
from pathlib import Path

from controller.app.config import load_config
from controller.app.doctor import run_doctor

TOML = """[station]
id = "3271-bogor-timur-01"
state_dir = "{state_dir}"
[mqtt]
host = "127.0.0.1"
port = {port}
[printer]
driver = "virtual"
[panel]
pin_factory = "mock"
ready_led = 17
"""


def doctor(tmp_path: Path, port: int) -> tuple[int, str]:
    path = tmp_path / "station.toml"
    path.write_text(TOML.format(state_dir=tmp_path / "state", port=port))
    out = io.StringIO()
    code = run_doctor(load_config(path), out)
    return code, out.getvalue()


def test_all_well_with_a_reachable_broker(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        code, text = doctor(tmp_path, listener.getsockname()[1])
    assert code == 0, text
    names = {line.split()[1] for line in text.splitlines()[:-1]}
    assert names == {
        "config", "state_dir", "database", "modes", "daemon", "printer", "broker", "gpio"
    }  # fmt: skip
    assert text.splitlines()[-1] == "verdict: ready"
    assert "warn  database" in text and "warn  daemon" in text


def test_broker_down_fails_and_says_where(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, text = doctor(tmp_path, port)
    assert code == 1
    assert f"FAIL  broker    127.0.0.1:{port}" in text
    assert text.splitlines()[-1] == "verdict: problems with broker"


def test_unwritable_state_dir_fails(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the directory should be")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        code, text = doctor(tmp_path, listener.getsockname()[1])
    assert code == 1 and "FAIL  state_dir" in text


def test_a_database_readable_by_others_fails(tmp_path: Path) -> None:
    """Issue 15, item 4: by hand the database and WAL were 0644."""
    state = tmp_path / "state"
    state.mkdir()
    (state / "station.db").write_bytes(b"")
    (state / "station.db").chmod(0o644)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        code, text = doctor(tmp_path, listener.getsockname()[1])
    assert code == 1 and f"FAIL  modes     {state / 'station.db'} is 644" in text
    (state / "station.db").chmod(0o600)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        code, text = doctor(tmp_path, listener.getsockname()[1])
    assert "ok    modes" in text
