"""Fixtures for the MQTT link tests: a real mosquitto, the station's link, the central side."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from contract.clock import ManualClock
from controller.mqtt.settings import MqttSettings
from controller.mqtt.timing import LinkTiming
from controller.queue.store import Store
from testkit.broker import Broker
from tests.mqtt.clients import Peer
from tests.mqtt.kit import FAST, ROOT, LinkedStation, linked_station


@pytest.fixture
def make_station(store: Store, clock: ManualClock) -> Iterator[Callable[..., LinkedStation]]:
    """Build and start a link on the test's store; every link is stopped at teardown."""
    made: list[LinkedStation] = []

    def make(
        settings: MqttSettings, *, timing: LinkTiming = FAST, start: bool = True
    ) -> LinkedStation:
        station = linked_station(settings, store, clock, timing)
        made.append(station)
        if start:
            station.link.start()
        return station

    yield make
    for station in made:
        station.link.stop()


@pytest.fixture
def central(broker: Broker) -> Iterator[Peer]:
    """The central office: publishes jobs and commands, records status, events and replies."""
    peer = Peer(
        broker.port,
        "central-test",
        subscriptions=(f"{ROOT}/+/status", f"{ROOT}/+/event/+", f"{ROOT}/+/reply/#"),
    )
    peer.connect()
    yield peer
    peer.close()
