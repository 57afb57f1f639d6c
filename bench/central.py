"""The central office at national scale: a two-day backlog from a simulated fleet, drained by
1, 2 and 4 replicas of `printstation-central run`, beside a bare subscriber that only counts.

    .venv/bin/python -m bench.central [--quick] [--only backlog,live] [--json PATH]

`backlog`, per phase: a fresh PostgreSQL database (migrated, Gammu's schema included, the
office's `citizen_jobs` filled for every card), persistent sessions left on the shared
subscription, the whole backlog published into mosquitto (interleaved across stations, 2 %
repeats, 0.1 % held back and published last: gaps), then the replicas started; the rate is
messages delivered over start → the last unique event committed with every SMS in Gammu's
outbox. `live`: with two replicas running, cards published at a steady rate; the delay from
`card.printed`'s `time` to its `sms_log.queued_at` (the same transaction as the outbox row; one
clock, this machine).
"""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bench.broker import client, close, connect, make_session, running_broker
from bench.fleet import Fleet, publish
from bench.measure import Context, Measure
from bench.runner import RESULTS, Suite, main
from central.consumer import ConsumerSettings
from central.migrate import GAMMU_SCHEMA, migrate
from contract.topics import event_filter, shared
from testkit.central import CentralReplica, citizens

REPLICAS = (1, 2, 4)  # replicas draining the backlog, one phase each
LIVE_CARDS_PER_S = 200.0
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@contextmanager
def database():
    name = f"central_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={name}"
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            migrate(conn, GAMMU_SCHEMA)
        yield dsn
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def clear_sessions(port: int, client_ids: list[str]) -> None:
    """End these clients' persistent sessions (Clean Start, no expiry), so that no offline
    member of a share group takes messages in the next phase."""
    for client_id in client_ids:
        made = client(client_id)
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 0
        made.connect("127.0.0.1", port, clean_start=True, properties=properties)
        made.loop_start()
        close(made)


def raw_drain(port: int, expected: int) -> float:
    """A bare QoS 1 subscriber draining its session's backlog; seconds from connect."""
    made = client("raw-1")
    count = [0]
    done = threading.Event()

    def on_message(*args: object) -> None:
        count[0] += 1
        if count[0] >= expected:
            done.set()

    made.on_message = on_message
    start = time.perf_counter()
    connect(made, port)
    if not done.wait(900):
        raise TimeoutError(f"raw subscriber got {count[0]} of {expected}")
    elapsed = time.perf_counter() - start
    close(made)
    return elapsed


def replicas(dsn: str, port: int, n: int, workdir: Path) -> list[CentralReplica]:
    """`n` replicas started, each taking up to 1,000 messages per transaction."""
    started = [
        CentralReplica(workdir / f"central-{n}", dsn, port, f"central-{i}", "--max-batch", "1000")
        for i in range(n)
    ]
    for replica in started:
        replica.start()
    return started


def stop(running: list[CentralReplica]) -> None:
    for replica in running:
        replica.stop()


def wait_drained(dsn: str, unique: int, printed: int, timeout_s: float = 1200) -> None:
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            events, sms = conn.execute(
                "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM outbox)"
            ).fetchone()
            if events >= unique and sms >= printed:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{events} of {unique} events, {sms} of {printed} SMS")
            time.sleep(0.05)


def delays(dsn: str) -> tuple[float, float]:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d),"
            " percentile_cont(0.99) WITHIN GROUP (ORDER BY d) FROM (SELECT"
            " extract(epoch FROM s.queued_at - e.time) AS d FROM sms_log s"
            " JOIN printed_cards p USING (job_id) JOIN events e USING (event_id)) t"
        ).fetchone()
    return float(row[0]), float(row[1])


def backlog_phase(port: int, n: int, stations: int, events: int, workdir: Path) -> dict:
    backlog = Fleet(stations).backlog(events)
    everything = backlog.messages + backlog.held_back
    with database() as dsn:
        citizens(dsn, backlog.printed_jobs)
        for i in range(n):
            make_session(port, f"central-{i}", ConsumerSettings().event_filter)
        publish_s = publish(port, backlog.messages)
        publish(port, backlog.held_back)
        start = time.perf_counter()
        running = replicas(dsn, port, n, workdir)
        try:
            wait_drained(dsn, backlog.unique, len(backlog.printed_jobs))
            elapsed = time.perf_counter() - start
        finally:
            stop(running)
    clear_sessions(port, [f"central-{i}" for i in range(n)])
    return {
        "replicas": n,
        "messages": len(everything),
        "unique": backlog.unique,
        "sms": len(backlog.printed_jobs),
        "seconds": elapsed,
        "rate": len(everything) / elapsed,
        "publish_rate": len(backlog.messages) / publish_s,
    }


def live_phase(port: int, stations: int, cards: int, per_second: float, workdir: Path) -> dict:
    fleet = Fleet(stations, seed=99)
    jobs = [f"JOB-{name}-{k:05d}" for k in range(1, cards // stations + 2) for name in fleet.names]
    with database() as dsn:
        citizens(dsn, jobs)
        running = replicas(dsn, port, 2, workdir)
        try:
            time.sleep(2)  # the replicas connect; not a rule being waited for
            made = client("fleet-live", max_inflight=200)
            acked = threading.Semaphore(0)
            made.on_publish = lambda *args: acked.release()
            connect(made, port, clean_start=True)
            published = 0
            start = time.perf_counter()
            for sent in range(1, cards + 1):
                for event in fleet.card(fleet.names[sent % stations]):
                    made.publish(event.topic, event.payload, qos=1)
                    published += 1
                lag = sent / per_second - (time.perf_counter() - start)
                if lag > 0:
                    time.sleep(lag)  # the fleet's pace, not a wait for a result
            for _ in range(published):
                if not acked.acquire(timeout=60):
                    raise TimeoutError("the broker did not acknowledge the live events")
            close(made)
            wait_drained(dsn, 0, cards)
            median, p99 = delays(dsn)
        finally:
            stop(running)
    return {"cards": cards, "per_second": per_second, "median_s": median, "p99_s": p99}


def scale(ctx: Context) -> tuple[int, int]:
    """Events and stations: two days of the whole country, or a tenth with --quick."""
    return (72_000, 720) if ctx.quick else (720_000, 7_200)


def raw_phase(port: int, stations: int, events: int) -> dict:
    """The baseline: the same backlog drained by a bare subscriber of a share group."""
    backlog = Fleet(stations).backlog(events)
    everything = backlog.messages + backlog.held_back
    make_session(port, "raw-1", shared("raw", event_filter(ConsumerSettings().root)))
    publish(port, everything)
    seconds = raw_drain(port, len(everything))
    clear_sessions(port, ["raw-1"])
    return {"messages": len(everything), "seconds": seconds, "rate": len(everything) / seconds}


def backlog(ctx: Context) -> list[Measure]:
    events, stations = scale(ctx)
    workdir = ctx.dir("backlog")
    with running_broker(workdir / "broker") as broker:
        raw = raw_phase(broker.port, stations, events)
        phases = [backlog_phase(broker.port, n, stations, events, workdir) for n in REPLICAS]
    fleet = {"events": events, "stations": stations}
    measures = [
        Measure(
            "central_raw",
            "backlog, bare subscriber",
            raw["rate"],
            "msg/s",
            details={**fleet, **raw},
        )
    ]
    for phase in phases:
        n = phase["replicas"]
        measures.append(
            Measure(
                f"central_backlog_{n}",
                f"backlog, {n} replica{'s' if n > 1 else ''}",
                phase["rate"],
                "msg/s",
                baseline=raw["rate"],
                baseline_name="bare QoS 1 subscriber",
                details={**fleet, **phase},
            )
        )
    return measures


def live(ctx: Context) -> list[Measure]:
    _, stations = scale(ctx)
    cards = 1000 if ctx.quick else 5000
    workdir = ctx.dir("live")
    with running_broker(workdir / "broker") as broker:
        result = live_phase(broker.port, stations, cards, LIVE_CARDS_PER_S, workdir)
    name = "delay card.printed → outbox"
    return [
        Measure(
            "central_delay_median",
            f"{name}, median",
            result["median_s"] * 1e3,
            "ms",
            details=result,
        ),
        Measure("central_delay_p99", f"{name}, p99", result["p99_s"] * 1e3, "ms"),
    ]


CENTRAL = Suite(
    benchmarks={"backlog": backlog, "live": live},
    libraries=("paho-mqtt", "psycopg", "structlog", "tenacity", "prometheus_client"),
    results=RESULTS / "central.json",
)

if __name__ == "__main__":
    raise SystemExit(main(CENTRAL, __doc__))
