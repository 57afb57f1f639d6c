"""Status: retained, on connect, on change (coalesced), as a heartbeat; the session number;
the Last Will and a clean stop's `offline`; a half-open connection found by keep-alive."""

from __future__ import annotations

import dataclasses
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from controller.mqtt.retained import SESSION_KEY
from controller.queue.db import get_meta
from controller.queue.store import Store
from testkit.broker import Broker
from testkit.waiting import wait_until
from tests.mqtt.clients import Peer
from tests.mqtt.kit import FAST, ST, STATION, LinkedStation, mqtt_settings

REPO = Path(__file__).resolve().parents[2]


def stored_session(store: Store) -> int:
    with store.db.reading() as conn:
        return int(get_meta(conn, SESSION_KEY) or 0)


def retained_status(broker: Broker) -> dict:
    """The status a newcomer gets: the retained message."""
    peer = Peer(broker.port, "newcomer", subscriptions=(f"{ST}/status",))
    peer.connect()
    try:
        message = peer.wait_for(f"{ST}/status")
        assert peer.received(f"{ST}/status")[0].retain
        return message
    finally:
        peer.close()


def test_status_on_connect_carries_the_contract_fields_and_is_retained(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation], store: Store
) -> None:
    station = make_station(mqtt_settings(broker.port))

    status = central.wait_for(f"{ST}/status")

    assert status["schema"] == "ektp.status/1"
    assert status["station"] == STATION
    assert status["state"] == "ready"
    assert status["session"] == station.link.session == stored_session(store) == 1
    assert status["version"] == "0.1.0"
    assert status["time"] == "2026-11-22T01:00:00Z"  # the injected clock
    assert status["queue"] == {"queued": 0, "printing": 0}
    assert retained_status(broker)["session"] == 1


@pytest.mark.slow
def test_changes_are_coalesced_and_a_heartbeat_follows(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation]
) -> None:
    timing = dataclasses.replace(FAST, status_coalesce_s=0.3, status_heartbeat_s=0.8)
    station = make_station(mqtt_settings(broker.port), timing=timing)
    central.wait_for(f"{ST}/status")

    for n in range(30):  # 30 changes in about 0.6 s
        station.status["queue"] = {"queued": n, "printing": 0}
        station.link.status_changed()
        time.sleep(0.02)
    central.wait_for(f"{ST}/status", lambda s: s["queue"]["queued"] == 29, timeout=2)
    statuses = central.received(f"{ST}/status")
    assert len(statuses) <= 5  # the first, then at most one per 0.3 s, not 30
    gaps = [b.at - a.at for a, b in itertools.pairwise(statuses[1:])]
    assert all(gap > 0.2 for gap in gaps), gaps

    changes = len(statuses)
    wait_until(lambda: len(central.received(f"{ST}/status")) >= changes + 2, 3, "heartbeats")
    assert central.bodies(f"{ST}/status")[-1]["queue"]["queued"] == 29


def test_a_failing_status_provider_delays_the_status_but_not_the_link(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation], store: Store
) -> None:
    station = make_station(mqtt_settings(broker.port), start=False)
    station.status["broken"] = "core loop busy"
    station.link.start()
    wait_until(lambda: station.link.listening, 5, "the link to connect")
    central.publish_json(f"{ST}/cmd/pause", {"schema": "ektp.cmd/1", "cmd_id": "c-1"})
    central.wait_for(f"{ST}/reply")  # the link works meanwhile
    assert not central.received(f"{ST}/status")

    del station.status["broken"]

    assert central.wait_for(f"{ST}/status", timeout=2)["session"] == station.link.session


def test_clean_stop_publishes_offline_and_the_next_start_counts_on(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation], store: Store
) -> None:
    first = make_station(mqtt_settings(broker.port))
    central.wait_for(f"{ST}/status", lambda s: s["state"] == "ready")

    first.link.stop()

    offline = central.wait_for(f"{ST}/status", lambda s: s["state"] == "offline")
    assert offline["session"] == 1
    assert retained_status(broker)["state"] == "offline"
    second = make_station(mqtt_settings(broker.port))
    ready = central.wait_for(f"{ST}/status", lambda s: s["state"] == "ready" and s["session"] > 1)
    assert ready["session"] == second.link.session == stored_session(store) == 2


def test_each_attempt_is_counted_durably_before_it_is_made(
    tmp_path: Path, make_station: Callable[..., LinkedStation], store: Store
) -> None:
    offline_broker = Broker.plain(tmp_path / "down")  # never started: nothing listens
    station = make_station(mqtt_settings(offline_broker.port))

    wait_until(lambda: stored_session(store) >= 3, 5, "three attempts")
    assert not station.link.connected
    assert station.link.session <= stored_session(store) <= station.link.session + 1


@pytest.fixture
def station_process(tmp_path: Path, broker: Broker) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.mqtt.station_child",
            str(tmp_path / "child.db"),
            str(broker.port),
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    yield process
    process.kill()
    process.wait()


def test_last_will_says_offline_with_the_same_session_when_the_station_dies(
    broker: Broker, central: Peer, station_process: subprocess.Popen[bytes]
) -> None:
    ready = central.wait_for(f"{ST}/status", lambda s: s["state"] == "ready", timeout=15)

    station_process.send_signal(signal.SIGKILL)

    will = central.wait_for(f"{ST}/status", lambda s: s["state"] == "offline", timeout=5)
    assert will["session"] == ready["session"]
    assert will["schema"] == "ektp.status/1" and will["station"] == STATION
    assert retained_status(broker)["state"] == "offline"


@pytest.mark.slow
def test_half_open_connection_is_found_by_keepalive_and_the_link_comes_back(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation]
) -> None:
    station = make_station(mqtt_settings(broker.port, keepalive_s=2))
    wait_until(lambda: station.link.listening, 5, "the link to connect")
    before = station.link.session

    broker.freeze()
    frozen_at = time.monotonic()
    wait_until(lambda: not station.link.connected, 8, "keep-alive to notice the frozen broker")
    noticed_after = time.monotonic() - frozen_at
    broker.thaw()

    wait_until(lambda: station.link.listening, 10, "the link to come back")
    back = central.wait_for(
        f"{ST}/status", lambda s: s["state"] == "ready" and s["session"] > before, timeout=5
    )
    assert back["session"] == station.link.session
    assert noticed_after < 3 * 2  # within the keep-alive's grace, not TCP's minutes
