"""(3) Outbox drain: 10,000 stored events published through the real link to a real broker.

The station's outbox holds 10,000 undelivered events (written beforehand, as cards and jobs
would have written them); the real `MqttLink` connects and its pump publishes them in `seq`
order at QoS 1 with its in-flight window (`[mqtt] max_inflight`, 20), marking them delivered
as PUBACKs come back. The time runs from the link's start until the store has no undelivered
event left.

Baseline: a raw paho QoS 1 publish loop sending the same 10,000 payloads with paho's own
in-flight limit set to the same 20, until every PUBACK is back.

Three runs of each, alternately; the medians are compared.
Target: the station at least 0.8 of the raw publisher's rate.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.broker import client, close, connect, running_broker
from bench.common import STATION, median, open_store, station_logging
from bench.measure import Context, Measure
from contract.clock import SystemClock
from contract.events import CardPrinted
from contract.status import Status
from contract.topics import DEFAULT_ROOT, Topics
from contract.vocabulary import JobReason, StationState
from controller.mqtt.link import MqttLink
from controller.mqtt.settings import MqttSettings
from controller.queue.outbox import emit
from controller.queue.store import Store

ROOT = DEFAULT_ROOT
WINDOW = MqttSettings().max_inflight
TARGET_RATIO = 0.8
RUNS = 3


class NoCommands:
    def handle(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        return {}


def fill_outbox(store: Store, count: int) -> None:
    """`count` card.printed events, as a busy day's cards would leave them, in a few commits."""
    start = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    with store.db.transaction() as tx:
        for n in range(count):
            nik_masked = f"************{n % 10000:04d}"
            data = CardPrinted(JobReason.NEW, nik_masked, 1, "VP0000001", n + 1)
            emit(tx, f"JOB-2026-{n:06d}", data, start + timedelta(seconds=n))


def station_drain(workdir: Path, port: int, count: int) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    store = open_store(workdir / "station.db", SystemClock())
    fill_outbox(store, count)
    payloads = [
        event.payload(STATION) for event in store.outbox.pending(limit=count)
    ]  # for the raw publisher: the very bytes the station publishes
    link = MqttLink(
        MqttSettings(host="127.0.0.1", port=port, topic_root=ROOT),
        STATION,
        store,
        SystemClock(),
        status_provider=lambda: Status(STATION, StationState.READY).to_json(),
        commands=NoCommands(),
    )
    start = time.perf_counter()
    link.start()
    deadline = time.monotonic() + 600
    try:
        while store.outbox.pending_count() > 0:
            if time.monotonic() > deadline:
                raise TimeoutError("outbox not drained within 600 s")
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
    finally:
        link.stop()
        store.close()
    return {"rate": count / elapsed, "seconds": elapsed, "payloads": payloads}


def raw_publish(port: int, topic: str, payloads: list[bytes], run: int) -> float:
    """Messages per second of a paho QoS 1 publish loop with an in-flight limit of WINDOW."""
    publisher = client(f"bench-raw-publisher-{run}", max_inflight=WINDOW)
    acked = [0]
    done = threading.Event()

    def on_publish(*args: object) -> None:
        acked[0] += 1
        if acked[0] == len(payloads):
            done.set()

    publisher.on_publish = on_publish
    connect(publisher, port, clean_start=True)
    start = time.perf_counter()
    for message in payloads:
        publisher.publish(topic, message, qos=1)
    if not done.wait(300):
        raise TimeoutError(f"only {acked[0]} of {len(payloads)} PUBACKs within 300 s")
    elapsed = time.perf_counter() - start
    close(publisher)
    return len(payloads) / elapsed


def run(ctx: Context) -> list[Measure]:
    count = 10_000
    base = ctx.dir("outbox")
    topic = Topics(ROOT, STATION).event(CardPrinted.TYPE)
    with station_logging(base / "station.log"), running_broker(base / "broker") as broker:
        raw, station = [], []
        for run in range(RUNS):  # alternated, so that a noisy spell does not hit one side
            drained = station_drain(base / f"run-{run}", broker.port, count)
            station.append(drained["rate"])
            raw.append(raw_publish(broker.port, topic, drained["payloads"], run))
    ceiling, rate = median(raw), median(station)
    return [
        Measure(
            "outbox.events_per_s",
            "outbox drain, 10,000 events",
            rate,
            "events/s",
            ceiling,
            "raw paho QoS 1 publish loop",
            f"≥ {TARGET_RATIO} × raw",
            rate >= TARGET_RATIO * ceiling,
            {
                "events": count,
                "window": WINDOW,
                "station_runs": station,
                "raw_runs": raw,
                "payload_bytes": len(drained["payloads"][0]),
            },
        )
    ]
