"""Events the broker drops are asked for again, and every card becomes one SMS: a burst through
mosquitto with the shipped limits (a replica's queue holds `max_queued_messages`, the rest is
dropped after the stations had their PUBACK), and rounds of events lost at the broker with
several replicas sweeping at once.

The burst's size: PRINTSTATION_BURST_EVENTS (default 20,000, twice a replica's queue of 10,000,
published while the replica is away; issue 25's 50,000 is run by hand, docs/benchmarks.md)."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from central.consumer import ConsumerSettings
from testkit.broker import Broker
from testkit.central import CentralReplica, citizens
from testkit.replaying_fleet import ReplayingFleet, limited_broker
from testkit.waiting import wait_until

pytestmark = pytest.mark.slow

BURST_EVENTS = int(os.environ.get("PRINTSTATION_BURST_EVENTS", "20000"))
STATIONS = [f"{3000 + i:04d}-kec-{i:05d}" for i in range(40)]
ROUNDS, ROUND_CARDS = 6, 400
FAST_GAPS = ("--gap-grace-s", "0.5", "--gap-retry-s", "2", "--max-replays", "10")


def jobs_of(cards: int) -> list[tuple[str, str]]:
    """`cards` jobs as (station, job_id), round the stations."""
    return [
        (STATIONS[k % len(STATIONS)], f"JOB-{STATIONS[k % len(STATIONS)]}-{k:05d}")
        for k in range(cards)
    ]


def replicas(tmp_path: Path, dsn: str, broker: Broker, names: list[str]) -> list[CentralReplica]:
    started = []
    for name in names:
        replica = CentralReplica(
            tmp_path / name, dsn, broker.port, name, "--max-batch", "1000", *FAST_GAPS
        )
        replica.start()
        started.append(replica)
    for name in names:
        wait_until(lambda n=name: broker.subscribed(n, ConsumerSettings().event_filter), 60)
    return started


def every_sms_once(db: psycopg.Connection, jobs: list[tuple[str, str]], timeout: float) -> None:
    """Wait for an SMS per job, then check that no job has two."""
    wait_until(
        lambda: db.execute("SELECT count(*) FROM outbox").fetchone()[0] >= len(jobs),
        timeout=timeout,
        what=f"{len(jobs)} SMS",
        every=0.5,
    )
    texted = db.execute("SELECT job_id, count(*) FROM sms_log GROUP BY job_id").fetchall()
    assert sorted(texted) == sorted((job, 1) for _, job in jobs)
    assert db.execute("SELECT count(*) FROM outbox").fetchone() == (len(jobs),)


def test_a_burst_the_broker_partly_drops_ends_with_every_sms_once(
    tmp_path: Path, dsn: str, db: psycopg.Connection
) -> None:
    """The burst comes while the replica is away (its session kept): the broker queues
    `max_queued_messages` of it and drops the rest after the stations had their PUBACK, however
    fast the replica drains once it is back (a replica consuming during the burst can keep up,
    and then nothing is dropped and nothing tested)."""
    broker = limited_broker(tmp_path / "broker")
    broker.start()
    jobs = jobs_of(BURST_EVENTS // 2)
    citizens(dsn, [job for _, job in jobs])
    running = replicas(tmp_path, dsn, broker, ["central-a"])
    running[0].stop()
    fleet = ReplayingFleet(broker.port, STATIONS)
    try:
        for station, job in jobs:
            fleet.card(station, job)
        wait_until(lambda: fleet.acknowledged >= 2 * len(jobs), 120, what="the burst's PUBACKs")
        running[0].start()
        every_sms_once(db, jobs, timeout=300)
        assert fleet.replays, "the broker dropped nothing: the burst does not test its limits"
    finally:
        fleet.close()
        for replica in running:
            replica.stop()
        broker.terminate()


def test_rounds_of_events_lost_at_the_broker_with_three_replicas_sweeping(
    tmp_path: Path, dsn: str, db: psycopg.Connection
) -> None:
    """Round after round, 5 % of the events lost after the broker's PUBACK (some of them a
    station's last), three replicas consuming and sweeping at once: each round ends with all
    its cards texted, once."""
    broker = Broker.plain(tmp_path / "broker")
    broker.start()
    rounds = [jobs_of(ROUND_CARDS * (n + 1))[ROUND_CARDS * n :] for n in range(ROUNDS)]
    citizens(dsn, [job for batch in rounds for _, job in batch])
    running = replicas(tmp_path, dsn, broker, ["central-a", "central-b", "central-c"])
    fleet = ReplayingFleet(broker.port, STATIONS, lose=0.05)
    try:
        done: list[tuple[str, str]] = []
        for batch in rounds:
            for station, job in batch:
                fleet.card(station, job)
            done.extend(batch)
            every_sms_once(db, done, timeout=120)
        assert fleet.lost > 0 and fleet.replays
    finally:
        fleet.close()
        for replica in running:
            replica.stop()
        broker.terminate()
