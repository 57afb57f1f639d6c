"""The shipped broker configs (config/mosquitto/), run with test ports, files and a PKI:
no anonymous access, each station confined to its own subtree, no session takeover, and the
link working over TLS with a password or with a client certificate."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contract.topics import Topics, event_filter, shared, status_filter
from testkit.broker import (
    SHIPPED,
    Broker,
    adapt_config,
    for_this_machine,
    free_port,
    shipped_password_broker,
)
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until
from tests.mqtt.clients import Peer
from tests.mqtt.kit import ROOT, ST, STATION, LinkedStation, mqtt_settings
from tests.mqtt.pki import Pki, make_pki

OTHER = "3271-bogor-barat-02"
STATIONS = {STATION: "station-secret", OTHER: "other-secret"}
CENTRAL = {
    "central.admin": "admin-secret",
    "central.office": "central-secret",
    "tech.bogor": "tech-secret",
    "central.replica-a": "replica-a-secret",
    "central.replica-b": "replica-b-secret",
}
PASSWORDS = {**STATIONS, **CENTRAL}


@dataclass
class SecureBroker:
    broker: Broker
    pki: Pki

    @property
    def stations_port(self) -> int:
        return self.broker.ports[0]

    @property
    def central_port(self) -> int:
        return self.broker.ports[1]


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


@pytest.fixture
def password_broker(tmp_path: Path, pki: Pki) -> Iterator[SecureBroker]:
    server = (pki.server.cert, pki.server.key)
    broker = shipped_password_broker(tmp_path / "broker", server, STATIONS, CENTRAL)
    broker.start()
    yield SecureBroker(broker, pki)
    broker.kill()


@pytest.fixture
def certificate_broker(tmp_path: Path, pki: Pki) -> Iterator[SecureBroker]:
    workdir = tmp_path / "broker"
    files: dict[str, Path | list[Path]] = {
        "acl_file": [SHIPPED / "acl-stations", SHIPPED / "acl-central"],
        "cafile": [pki.stations_ca, pki.central_ca],
        "certfile": pki.server.cert,
        "keyfile": pki.server.key,
    }
    ports = [free_port(), free_port()]
    text = adapt_config((SHIPPED / "mosquitto.conf").read_text(), ports, workdir, files)
    broker = Broker(workdir, text, ports)
    broker.start()
    yield SecureBroker(broker, pki)
    broker.kill()


def user(secure: SecureBroker, name: str, *, client_id: str | None = None, **kw: object) -> Peer:
    """A client of `name` with its password, on the stations' or the central listener."""
    central = "." in name
    return Peer(
        secure.central_port if central else secure.stations_port,
        client_id or name,
        username=name,
        password=PASSWORDS.get(name, "wrong"),
        tls_ca=str(secure.pki.stations_ca),
        reconnect=False,
        **kw,  # type: ignore[arg-type]
    )


def refused(peer: Peer) -> bool:
    """Whether the broker turned the client away (CONNACK failure, or no CONNACK at all)."""
    try:
        reason = peer.connect()
    except OSError:
        return True
    finally:
        peer.close()
    return reason is None or reason.is_failure


def test_anonymous_and_wrong_passwords_are_refused(password_broker: SecureBroker) -> None:
    ca = str(password_broker.pki.stations_ca)
    for port in password_broker.broker.ports:
        assert refused(Peer(port, "anonymous", tls_ca=ca, reconnect=False))
    assert refused(user(password_broker, "3271-nobody-01"))
    impostor = Peer(
        password_broker.stations_port,
        STATION,
        username=STATION,
        password="guess",
        tls_ca=ca,
        reconnect=False,
    )
    assert refused(impostor)


def test_a_station_is_confined_to_its_own_subtree(password_broker: SecureBroker) -> None:
    central = user(password_broker, "central.office", subscriptions=(f"{ROOT}/+/event/+",))
    central.connect()
    station = user(password_broker, STATION, subscriptions=(f"{ROOT}/{OTHER}/job", f"{ST}/cmd/+"))
    assert not station.connect().is_failure

    forged = station.publish(f"{ROOT}/{OTHER}/event/card.printed", b'{"forged": true}')
    injected = station.publish(f"{ROOT}/{OTHER}/job", payload(make_job(1)))
    own = station.publish(f"{ST}/event/alert.raised", b"marker")
    assert forged.is_failure and injected.is_failure and not own.is_failure
    central.settle(f"{ST}/event/", b"marker")
    assert [m.topic for m in central.received()] == [f"{ST}/event/alert.raised"]

    # mosquitto grants the subscription to another station's jobs but never delivers them.
    assert not central.publish(f"{ROOT}/{OTHER}/job", payload(make_job(2))).is_failure
    assert not central.publish(f"{ST}/cmd/status", b"marker").is_failure
    station.settle(f"{ST}/cmd/", b"marker")
    assert [m.topic for m in station.received()] == [f"{ST}/cmd/status"]
    station.close()
    central.close()


def test_no_client_can_take_over_another_stations_session(password_broker: SecureBroker) -> None:
    other = user(password_broker, OTHER)
    other.connect()
    rogue = user(password_broker, STATION, client_id=OTHER)  # its own login, the other's id

    assert not rogue.connect().is_failure
    assert not other.publish(f"{ROOT}/{OTHER}/status", b"{}").is_failure
    assert other.client.is_connected() and other.disconnects == 0
    rogue.close()
    other.close()


def test_the_link_works_with_a_password_over_tls(
    password_broker: SecureBroker, make_station: Callable[..., LinkedStation]
) -> None:
    central = user(
        password_broker, "central.office", subscriptions=(f"{ROOT}/+/event/+", f"{ROOT}/+/status")
    )
    central.connect()
    password_station(password_broker, make_station)

    assert not central.publish(f"{ST}/job", payload(make_job(1))).is_failure

    central.wait_for(f"{ST}/event/", lambda e: e["type"] == "job.accepted")
    assert central.wait_for(f"{ST}/status")["state"] == "ready"
    central.close()


def test_the_link_works_with_a_client_certificate(
    certificate_broker: SecureBroker, make_station: Callable[..., LinkedStation]
) -> None:
    pki = certificate_broker.pki
    office = pki.issue("central.office", central=True)
    central = Peer(
        certificate_broker.central_port,
        "central-consumer-1",
        subscriptions=(f"{ROOT}/+/event/+",),
        tls_ca=str(pki.stations_ca),
        tls_cert=str(office.cert),
        tls_key=str(office.key),
        reconnect=False,
    )
    assert not central.connect().is_failure
    own = pki.issue(STATION)
    settings = mqtt_settings(
        certificate_broker.stations_port,
        host="localhost",
        tls_ca=str(pki.stations_ca),
        tls_cert=str(own.cert),
        tls_key=str(own.key),
    )
    station = make_station(settings)
    wait_until(lambda: station.link.listening, 5, "the link to connect")

    central.publish(f"{ST}/job", payload(make_job(1)))

    central.wait_for(f"{ST}/event/", lambda e: e["type"] == "job.accepted")
    central.close()


def test_certificates_are_required_and_kept_to_their_listener(
    certificate_broker: SecureBroker,
) -> None:
    pki = certificate_broker.pki
    ca = str(pki.stations_ca)
    own = pki.issue(STATION)
    assert refused(Peer(certificate_broker.stations_port, STATION, tls_ca=ca, reconnect=False))
    on_central = Peer(
        certificate_broker.central_port,
        STATION,
        tls_ca=ca,
        tls_cert=str(own.cert),
        tls_key=str(own.key),
        reconnect=False,
    )
    assert refused(on_central)


def deep_response_topic(levels: int = 250) -> Properties:
    properties = Properties(PacketTypes.PUBLISH)
    properties.ResponseTopic = f"{ST}/reply" + "/x" * levels
    properties.CorrelationData = b"deep"
    return properties


def command(cmd_id: str) -> bytes:
    return json.dumps({"schema": "ektp.cmd/1", "cmd_id": cmd_id, "args": {}}).encode()


def password_station(
    secure: SecureBroker, make_station: Callable[..., LinkedStation]
) -> LinkedStation:
    """A station with its password in a file of its own (`[mqtt] password_file`)."""
    secret = secure.pki.stations_ca.parent / "station-password"
    secret.write_text(PASSWORDS[STATION] + "\n")
    secret.chmod(0o600)
    settings = mqtt_settings(
        secure.stations_port,
        host="localhost",
        username=STATION,
        password_file=str(secret),
        tls_ca=str(secure.pki.stations_ca),
    )
    station = make_station(settings)
    wait_until(lambda: station.link.listening, 5, "the link to connect")
    return station


def test_a_deep_response_topic_is_answered_on_the_reply_topic_only(
    password_broker: SecureBroker, make_station: Callable[..., LinkedStation]
) -> None:
    """Issue 15, item 2: 250 levels below `{st}/reply/` once knocked the station offline."""
    central = user(password_broker, "central.office", subscriptions=(f"{ROOT}/+/reply/#",))
    central.connect()
    station = password_station(password_broker, make_station)
    session = station.link.session

    central.client.publish(
        f"{ST}/cmd/pause", command("c-deep"), 1, properties=deep_response_topic()
    )
    central.publish(f"{ST}/cmd/resume", command("c-marker"))

    central.wait_for(f"{ST}/reply", lambda reply: reply["cmd_id"] == "c-marker")
    answered = [(m.topic, m.json()["cmd_id"]) for m in central.received(f"{ST}/reply")]
    assert answered == [(f"{ST}/reply", "c-deep"), (f"{ST}/reply", "c-marker")]
    assert station.link.connected and station.link.session == session
    central.close()


def test_a_response_topic_the_broker_refuses_does_not_decide_the_acknowledgement(
    password_broker: SecureBroker,
    make_station: Callable[..., LinkedStation],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Were a Response Topic the broker refuses let through, the broker drops the connection
    over the reply, but the command's PUBACK went out before: it is not delivered again."""
    monkeypatch.setattr(Topics, "accepts_response_topic", lambda self, topic: True)
    central = user(password_broker, "central.office", subscriptions=(f"{ROOT}/+/reply",))
    central.connect()
    station = password_station(password_broker, make_station)
    session = station.link.session

    central.client.publish(
        f"{ST}/cmd/pause", command("c-drop"), 1, properties=deep_response_topic()
    )
    wait_until(lambda: station.link.session > session, 10, "the broker to drop the link")
    wait_until(lambda: station.link.listening, 10, "the link to reconnect")
    central.publish(f"{ST}/cmd/resume", command("c-marker"))

    central.wait_for(f"{ST}/reply", lambda reply: reply["cmd_id"] == "c-marker")
    answered = [m.json()["cmd_id"] for m in central.received(f"{ST}/reply")]
    assert answered == ["c-drop", "c-marker"]  # c-drop once: it was acknowledged
    assert station.handler.calls == [("pause", {}), ("resume", {})]
    central.close()


def test_no_central_account_can_connect_as_a_station(password_broker: SecureBroker) -> None:
    """Issue 15, item 5: an account of the central listener took a station's client id, kicked
    the station and took over (or wiped) its persistent session."""
    station = user(password_broker, STATION)
    station.connect()
    rogue = user(password_broker, "central.office", client_id=STATION)
    assert not rogue.connect().is_failure  # connected, but under its own name
    assert not station.publish(f"{ST}/status", b"{}").is_failure
    assert station.client.is_connected() and station.disconnects == 0
    rogue.close()
    station.close()


def test_station_and_central_credentials_are_separate(password_broker: SecureBroker) -> None:
    ca = str(password_broker.pki.stations_ca)
    on_central = Peer(
        password_broker.central_port,
        "x",
        username=STATION,
        password=PASSWORDS[STATION],
        tls_ca=ca,
        reconnect=False,
    )
    on_stations = Peer(
        password_broker.stations_port,
        "central.office",
        username="central.office",
        password=PASSWORDS["central.office"],
        tls_ca=ca,
        reconnect=False,
    )
    assert refused(on_central) and refused(on_stations)


def test_the_shipped_limits_drop_an_oversized_publish(password_broker: SecureBroker) -> None:
    """Issue 15, item 6: one station published 50 MB events; the broker grew from 10 to 303 MB."""
    central = user(password_broker, "central.office", subscriptions=(f"{ROOT}/+/event/+",))
    central.connect()
    station = user(password_broker, STATION)
    station.connect()
    station.client.publish(f"{ST}/event/alert.raised", b"x" * (2 * 1024 * 1024), qos=1)
    wait_until(lambda: station.disconnects > 0, 10, "the broker to drop the station")
    assert not central.publish(f"{ST}/job", payload(make_job(1))).is_failure  # a job fits
    station.close()
    marker = user(password_broker, OTHER)
    marker.connect()
    marker.publish(f"{ROOT}/{OTHER}/event/alert.raised", b"marker")
    central.settle(f"{ROOT}/{OTHER}/event/", b"marker")
    assert [m.topic for m in central.received()] == [f"{ROOT}/{OTHER}/event/alert.raised"]
    marker.close()
    central.close()


@pytest.mark.parametrize("name", ["mosquitto.conf", "mosquitto-password.conf"])
def test_both_shipped_configs_set_the_limits_and_pin_client_ids(name: str) -> None:
    lines = (SHIPPED / name).read_text().splitlines()
    for option in ("max_packet_size", "max_queued_bytes", "max_inflight_bytes"):
        assert any(line.startswith(option + " ") for line in lines), option
    listeners = "\n".join(lines).split("\nlistener ")[1:]
    assert len(listeners) == 2
    assert all("use_username_as_clientid true" in block for block in listeners)


def test_a_technician_commands_only_the_stations_of_its_region(
    password_broker: SecureBroker,
) -> None:
    """Issue 15, item 8: every technician account could command every station."""
    station = user(password_broker, STATION, subscriptions=(f"{ST}/cmd/+",))
    station.connect()
    elsewhere = "3273-bandung-01"
    other = user(password_broker, elsewhere)  # no such station account
    tech = user(password_broker, "tech.bogor")
    tech.connect()
    assert tech.publish(f"{ROOT}/{elsewhere}/cmd/pause", b"{}").is_failure
    assert not tech.publish(f"{ST}/cmd/status", b"marker").is_failure
    station.settle(f"{ST}/cmd/", b"marker")
    assert refused(other)
    tech.close()
    station.close()


def test_only_the_replicas_accounts_may_join_the_share_group(password_broker: SecureBroker) -> None:
    """Issue 25: with a technician's account in the share group, mosquitto handed it half the
    events and dropped them at delivery (its ACL may not read them): the office lost them."""
    group = shared("central", event_filter(ROOT))
    for name in ("tech.bogor", "central.office"):
        peer = user(password_broker, name)
        assert not peer.connect().is_failure
        assert [code.is_failure for code in peer.subscribe(group)] == [True], name
        peer.close()
    for name in ("central.replica-a", "central.replica-b"):
        replica = user(password_broker, name)
        assert not replica.connect().is_failure
        for topic in (group, status_filter(ROOT)):
            assert [code.is_failure for code in replica.subscribe(topic)] == [False], name
        replica.close()


def test_the_admin_account_gets_mosquitto_ctrls_replies(password_broker: SecureBroker) -> None:
    """docs/central.md sets the replicas' passwords with `mosquitto_ctrl ... dynsec`, as the
    shipped central.admin: its role must receive the plugin's replies on $CONTROL, or every
    command waits out mosquitto_ctrl's 10 s, reports nothing and exits 0 (the systemd rig's
    admin steps found it)."""
    started = time.monotonic()
    result = subprocess.run(
        ["mosquitto_ctrl", "-h", "127.0.0.1", "-p", str(password_broker.central_port),
         "--cafile", str(password_broker.pki.stations_ca), "-u", "central.admin",
         "-P", PASSWORDS["central.admin"], "dynsec", "getClient", "central.replica-a"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert "central-replica" in result.stdout, result.stdout + result.stderr
    assert time.monotonic() - started < 5


def test_the_shipped_plugin_is_loaded_from_this_machines_library_directory() -> None:
    """The office's config names the amd64 directory; on arm64 (make test-arm64) the test
    broker must load the arm64 plugin, or every password-broker test fails to start."""
    shipped = next(
        line
        for line in (SHIPPED / "mosquitto-password.conf").read_text().splitlines()
        if line.startswith("plugin ")
    )
    assert shipped == "plugin /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"
    assert for_this_machine(shipped, "aarch64-linux-gnu") == (
        "plugin /usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so"
    )
    assert for_this_machine(shipped, "x86_64-linux-gnu") == shipped
