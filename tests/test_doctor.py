"""`printstation doctor`: one verdict per check, non-zero exit when something fails."""

from __future__ import annotations

import getpass
import io
import socket
import sqlite3
from pathlib import Path

import pytest

from contract.clock import ManualClock
from controller.app.doctor import run_doctor
from firmware.net_server import serve_in_thread
from firmware.virtual_printer import VirtualPrinter
from testkit.broker import Broker, free_port
from tests.mqtt.pki import make_pki

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


def doctor(tmp_path: Path, port: int, extra: str = "") -> tuple[int, str]:
    path = tmp_path / "station.toml"
    path.write_text(TOML.format(state_dir=tmp_path / "state", port=port) + extra)
    out = io.StringIO()
    code = run_doctor(path, out)
    return code, out.getvalue()


def test_all_well_with_a_reachable_broker(tmp_path: Path, broker: Broker) -> None:
    code, text = doctor(tmp_path, broker.port)
    assert code == 0, text
    names = {line.split()[1] for line in text.splitlines()[:-1]}
    assert names == {
        "config", "state_dir", "database", "modes", "daemon", "printer", "broker", "gpio"
    }  # fmt: skip
    assert text.splitlines()[-1] == "verdict: ready"
    assert "warn  database" in text and "warn  daemon" in text and "warn  state_dir" in text
    assert "skip  modes     no database or backup yet" in text  # never "ok" with nothing to see
    assert "MQTT connect accepted, CONNACK Success" in text


@pytest.mark.slow  # waits out the 10 s CONNACK timeout
def test_a_tcp_listener_that_is_no_broker_fails(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        code, text = doctor(tmp_path, listener.getsockname()[1])
    assert code == 1 and "FAIL  broker" in text


def test_a_config_error_is_reported_and_the_other_checks_still_run(
    tmp_path: Path, broker: Broker
) -> None:
    code, text = doctor(tmp_path, broker.port, "[duty]\ndaily_limit = -1\n")
    assert code == 1
    assert "FAIL  config    " in text and "[duty] daily_limit" in text
    assert "state_dir" in text and "ok    broker" in text
    assert text.splitlines()[-1] == "verdict: problems with config"


def test_a_database_newer_than_the_software_fails_as_run_refuses_it(
    tmp_path: Path, broker: Broker
) -> None:
    (tmp_path / "state").mkdir()
    with sqlite3.connect(tmp_path / "state" / "station.db") as conn:
        conn.execute("PRAGMA user_version=999")
    code, text = doctor(tmp_path, broker.port)
    assert code == 1 and "FAIL  database" in text and "newer than this software" in text


def test_tls_a_client_certificate_the_broker_rejects_fails(tmp_path: Path) -> None:
    """The handshake succeeds under TLS 1.3 before the broker checks the client certificate:
    only the MQTT connect finds that it is not accepted."""
    trusted, other = make_pki(tmp_path / "pki"), make_pki(tmp_path / "other")
    port = free_port()
    broker = Broker(
        tmp_path / "tls-broker",
        f"user {getpass.getuser()}\nlistener {port} 127.0.0.1\n"
        "allow_anonymous true\nrequire_certificate true\n"
        f"cafile {trusted.stations_ca}\ncertfile {trusted.server.cert}\n"
        f"keyfile {trusted.server.key}",
        [port],
    )
    broker.start()
    try:
        for issuer, verdict in ((trusted, "ok    broker"), (other, "FAIL  broker")):
            station = issuer.issue("3271-bogor-timur-01")
            tls = (
                f'tls_ca = "{trusted.stations_ca}"\n'
                f'tls_cert = "{station.cert}"\ntls_key = "{station.key}"\n'
            )
            path = tmp_path / "station.toml"
            text = TOML.format(state_dir=tmp_path / "state", port=port)
            path.write_text(text.replace("[printer]", tls + "[printer]"))
            out = io.StringIO()
            run_doctor(path, out)
            assert verdict in out.getvalue(), out.getvalue()
            assert "warn  cert" in out.getvalue()  # the test PKI's certificates last two days
    finally:
        broker.kill()


def test_a_network_printer_is_probed_where_it_is(tmp_path: Path) -> None:
    server = serve_in_thread(VirtualPrinter(tmp_path / "vp", clock=ManualClock()))
    path = tmp_path / "station.toml"
    text = TOML.format(state_dir=tmp_path / "state", port=1).replace(
        'driver = "virtual"', f'driver = "network"\nhost = "127.0.0.1"\nport = {server.port}'
    )
    path.write_text(text)
    out = io.StringIO()
    try:
        run_doctor(path, out)
    finally:
        server.shutdown()
        server.server_close()
    assert f"Evolis Primacy serial VP0000001 at 127.0.0.1:{server.port}" in out.getvalue()


def test_a_database_readable_by_others_fails(tmp_path: Path) -> None:
    """Issue 15, item 4: by hand the database and WAL were 0644."""
    state = tmp_path / "state"
    state.mkdir()
    (state / "station.db").write_bytes(b"")
    (state / "station.db").chmod(0o644)
    with socket.socket() as closed:  # bound, not listening: the broker check fails at once
        closed.bind(("127.0.0.1", 0))
        code, text = doctor(tmp_path, closed.getsockname()[1])
        assert code == 1 and f"FAIL  modes     {state / 'station.db'} is 644" in text
        (state / "station.db").chmod(0o600)
        code, text = doctor(tmp_path, closed.getsockname()[1])
    assert "ok    modes" in text
