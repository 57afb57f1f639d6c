"""Hostile jobs through a real mosquitto that redelivers whatever was left unacknowledged.

A station that leaves a message unacknowledged gets it again at every connection of its
session, and after 20 of them (mosquitto's in-flight window) nothing else gets through. Each
round here starts a new link on the same session, publishes a seeded sample of the catalogue's
bad jobs (poison ones included: offset times at the range ends, image headers with huge
dimensions, truncated images), commands asking for an answer on Response Topics too deep for
the broker, and a valid job behind them, and ends the link. Every round's link must see its own
messages only, each answered once (the commands on `{st}/reply`), and the valid job accepted:
nothing is delivered again, and the broker never drops the link.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contract.clock import ManualClock
from controller.policy.budget import BudgetLimits
from controller.queue.store import Store
from testkit.broker import Broker
from testkit.jobs import payload
from testkit.waiting import wait_until
from tests.mqtt.clients import Peer
from tests.mqtt.kit import LOADED, LOW, ROOT, ST, STATION, linked_station, mqtt_settings
from tests.reliability.conftest import Report, session_scale
from tests.reliability.payloads import TODAY, RandomChooser, bad_job
from tests.reliability.people import valid_job

pytestmark = pytest.mark.reliability
SCALE = session_scale()
ROUNDS = 4
PER_ROUND = 30  # more than mosquitto's 20 in-flight messages
DEEP_COMMANDS = 5  # per round


def deep_response(rng: random.Random) -> Properties:
    properties = Properties(PacketTypes.PUBLISH)
    properties.ResponseTopic = f"{ST}/reply" + "/r" * rng.randint(9, 400)
    return properties


@pytest.fixture
def station_store(tmp_path: Path) -> Iterator[Store]:
    clock = ManualClock(datetime.combine(TODAY, time(12), ZoneInfo(BudgetLimits.timezone)))
    opened = Store.open(
        tmp_path / "station.db", STATION, clock, low_thresholds=LOW, initial_load=LOADED
    )
    yield opened
    opened.close()


def replied(central: Peer) -> list[str]:
    return [m.json()["cmd_id"] for m in central.received(f"{ST}/reply")]


def test_bad_jobs_are_answered_once_and_never_redelivered(
    tmp_path: Path, station_store: Store, report: Report
) -> None:
    broker = Broker.plain(tmp_path / "broker")
    broker.start()
    central = Peer(
        broker.port, "central-fuzz", subscriptions=(f"{ROOT}/+/event/+", f"{ROOT}/+/reply/#")
    )
    central.connect()
    rng = random.Random(SCALE.seed)
    chooser = RandomChooser(rng)
    clock = ManualClock(datetime.combine(TODAY, time(12), ZoneInfo(BudgetLimits.timezone)))
    kinds: set[str] = set()
    rejected: set[bytes] = set()
    try:
        for round_no in range(ROUNDS):
            station = linked_station(mqtt_settings(broker.port), station_store, clock)
            station.link.start()
            wait_until(lambda s=station: s.link.listening, 5, "the link to connect")
            session = station.link.session
            cases = [bad_job(chooser, f"RD-{round_no}-{n:03d}") for n in range(PER_ROUND)]
            for case in cases:
                central.publish(f"{ST}/job", case.payload)
                kinds.add(case.kind)
            for n in range(DEEP_COMMANDS):
                body = {"schema": "ektp.cmd/1", "cmd_id": f"rd-{round_no}-{n}", "args": {}}
                central.client.publish(
                    f"{ST}/cmd/pause", json.dumps(body).encode(), 1, properties=deep_response(rng)
                )
            marker = valid_job(round_no + 1, "rd", today=TODAY)
            central.publish(f"{ST}/job", payload(marker))
            central.wait_for(
                f"{ST}/event/",
                lambda e, m=marker: e["type"] == "job.accepted" and e["job_id"] == m["job_id"],
                timeout=30,
            )
            wait_until(
                lambda r=round_no: f"rd-{r}-{DEEP_COMMANDS - 1}" in replied(central), 10, "replies"
            )
            assert station.link.session == session, "the broker dropped the link"
            station.link.stop()
            got = station.jobs
            assert len(got) == PER_ROUND + 1, f"round {round_no}: {len(got)} messages seen"
            for case, result in zip(cases, got, strict=False):
                # The catalogue sends some unreadable messages byte for byte more than once:
                # the station answers a message once, and a repeat is a duplicate.
                outcome = "duplicate" if case.payload in rejected else "rejected"
                assert (result.outcome, result.code) == (outcome, case.code), case.kind
                rejected.add(case.payload)
                if case.job_id is not None:
                    assert result.job_id == case.job_id, case.kind
            assert (got[-1].outcome, got[-1].job_id) == ("accepted", marker["job_id"])
            assert station.holding == []
            assert len(station.handler.calls) == DEEP_COMMANDS
        assert sorted(replied(central)) == sorted(
            f"rd-{r}-{n}" for r in range(ROUNDS) for n in range(DEEP_COMMANDS)
        )
        assert {m.topic for m in central.received(f"{ST}/reply")} == {f"{ST}/reply"}
    finally:
        central.close()
        broker.kill()
    report(
        "payload fuzz (redelivering broker)",
        {
            "rounds": ROUNDS,
            "bad jobs": ROUNDS * PER_ROUND,
            "case kinds": len(kinds),
            "commands with a deep response topic": ROUNDS * DEEP_COMMANDS,
        },
    )
