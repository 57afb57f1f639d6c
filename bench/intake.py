"""(2) Durable intake: jobs per second from a real broker, each acknowledged after its fsync.

Each subject gets the same jobs waiting in its persistent session on a real mosquitto (the
jobs are published while it is offline), then connects; the rate is jobs over the time from
its connect to the last job handled. Station and raw subscriber run three times each,
alternately, and the medians are compared. So the publisher's speed is not measured, and every
subject drains the same queue under the broker's in-flight limit of 20.

- station: the real `MqttLink` on a real `Store` (WAL, synchronous=FULL): each job validated,
  committed with its `job.accepted` event, then PUBACKed; meanwhile the link publishes those
  events, as it does in service. Counted by the link's `on_job`, called after the PUBACK.
- raw: a paho QoS 1 subscriber that only counts (the ceiling: what paho and the broker allow).
- peer: persist-queue's `SQLiteAckQueue` with the same payloads, no broker: `put` each, then
  `get` and `ack` each, every operation its own commit. Its API has no setting for
  `synchronous`; the benchmark sets `PRAGMA synchronous=FULL` on the queue's connection.

Targets: at least 1,000 jobs/s, at least half the raw subscriber, ahead of persist-queue.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from persistqueue import SQLiteAckQueue

from bench.broker import client, close, connect, make_session, publish_all, running_broker
from bench.common import (
    STATION,
    check_valid,
    job_payloads,
    median,
    open_store,
    station_logging,
)
from bench.measure import Context, Measure
from contract.clock import SystemClock
from contract.status import Status
from contract.topics import DEFAULT_ROOT, Topics
from contract.vocabulary import JobState, StationState
from controller.mqtt.link import MqttLink
from controller.mqtt.settings import MqttSettings
from controller.queue.intake import IntakeResult

ROOT = DEFAULT_ROOT
TARGET_RATE = 1000.0
RUNS = 3


class NoCommands:
    def handle(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        return {}


def station_rate(workdir: Path, port: int, payloads: list[bytes]) -> dict[str, Any]:
    """Jobs per second through the real link and store (module docstring)."""
    workdir.mkdir(parents=True, exist_ok=True)
    topic = Topics(ROOT, STATION).job
    make_session(port, STATION, topic)
    publish_all(port, topic, payloads)
    store = open_store(workdir / "station.db", SystemClock())
    handled = [0]
    done = threading.Event()
    ended = [0.0]

    def on_job(result: IntakeResult) -> None:  # after the PUBACK was sent
        handled[0] += 1
        if handled[0] == len(payloads):
            ended[0] = time.perf_counter()
            done.set()

    settings = MqttSettings(host="127.0.0.1", port=port, topic_root=ROOT)
    link = MqttLink(
        settings,
        STATION,
        store,
        SystemClock(),
        status_provider=lambda: Status(STATION, StationState.READY).to_json(),
        commands=NoCommands(),
        on_job=on_job,
    )
    start = time.perf_counter()
    link.start()
    try:
        if not done.wait(600):
            raise TimeoutError(f"only {handled[0]} of {len(payloads)} jobs within 600 s")
    finally:
        link.stop()
    queued = store.jobs.counts()[JobState.QUEUED]
    store.close()
    if queued != len(payloads):
        raise RuntimeError(f"{queued} of {len(payloads)} jobs queued: some were rejected")
    return {"rate": len(payloads) / (ended[0] - start), "seconds": ended[0] - start}


def raw_rate(port: int, payloads: list[bytes], run: int) -> float:
    """Messages per second into a paho QoS 1 subscriber that does nothing with them."""
    client_id, topic = f"bench-raw-{run}", f"bench/raw/{run}/job"
    make_session(port, client_id, topic)
    publish_all(port, topic, payloads)
    received = [0]
    done = threading.Event()
    ended = [0.0]

    def on_message(c: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        received[0] += 1
        if received[0] == len(payloads):
            ended[0] = time.perf_counter()
            done.set()

    subscriber = client(client_id)
    subscriber.on_message = on_message
    start = time.perf_counter()
    connect(subscriber, port)
    try:
        if not done.wait(120):
            raise TimeoutError(f"only {received[0]} of {len(payloads)} messages in 120 s")
    finally:
        close(subscriber)
    return len(payloads) / (ended[0] - start)


def peer_rate(workdir: Path, payloads: list[bytes]) -> dict[str, Any]:
    """persist-queue's SQLiteAckQueue: put every payload, then get and ack each one."""
    queue = SQLiteAckQueue(str(workdir / "persist-queue"), multithreading=False)
    conn = queue._putter  # the one connection when multithreading is off
    default = conn.execute("PRAGMA synchronous").fetchone()[0]
    conn.execute("PRAGMA synchronous=FULL")
    synchronous = conn.execute("PRAGMA synchronous").fetchone()[0]
    journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if synchronous != 2:
        raise RuntimeError(f"persist-queue connection has synchronous={synchronous}, not FULL")
    start = time.perf_counter()
    for message in payloads:
        queue.put(message)
    put_done = time.perf_counter()
    for _ in payloads:
        item = queue.get(block=False, raw=True)
        queue.ack(id=item["pqid"])
    ended = time.perf_counter()
    if queue.acked_count() != len(payloads):
        raise RuntimeError("persist-queue did not ack every item")
    queue.close()
    return {
        "rate": len(payloads) / (ended - start),
        "put_rate": len(payloads) / (put_done - start),
        "get_ack_rate": len(payloads) / (ended - put_done),
        "synchronous_default": default,
        "journal_mode": journal,
    }


def run(ctx: Context) -> list[Measure]:
    count = 1000 if ctx.quick else 3000
    base = ctx.dir("intake")
    payloads = job_payloads(count)
    check_valid(payloads)
    with station_logging(base / "station.log"), running_broker(base / "broker") as broker:
        raw, station = [], []
        for run in range(RUNS):  # alternated, so that a noisy spell does not hit one side
            raw.append(raw_rate(broker.port, payloads, run))
            station.append(station_rate(base / f"run-{run}", broker.port, payloads)["rate"])
    peer = peer_rate(base, payloads)
    ceiling, rate = median(raw), median(station)
    details = {
        "jobs": count,
        "payload_bytes_median": median([len(p) for p in payloads]),
        "station_runs": station,
        "raw_runs": raw,
        "persist_queue": peer,
    }
    return [
        Measure(
            "intake.jobs_per_s",
            "durable intake from the broker",
            rate,
            "jobs/s",
            ceiling,
            "raw paho QoS 1 subscriber",
            f"≥ {TARGET_RATE:,.0f} jobs/s",
            rate >= TARGET_RATE,
            details,
        ),
        Measure(
            "intake.vs_raw",
            "intake ÷ raw subscriber",
            rate / ceiling,
            "×",
            target="≥ 0.5 ×",
            met=rate >= ceiling / 2,
        ),
        Measure(
            "intake.vs_persist_queue",
            "intake vs persist-queue put/get/ack",
            rate,
            "jobs/s",
            peer["rate"],
            "persist-queue, synchronous=FULL",
            "ahead of persist-queue",
            rate > peer["rate"],
            {"put_only_jobs_per_s": peer["put_rate"]},
        ),
    ]
