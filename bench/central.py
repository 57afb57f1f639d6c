"""The central office at national scale: a two-day backlog from a simulated fleet, drained by
1, 2 and 4 replicas of `printstation-central run`, beside a bare subscriber that only counts.

    .venv/bin/python -m bench.central [--quick] [--json PATH]

Per phase: a fresh PostgreSQL database (migrated, Gammu's schema included, the office's
`citizen_jobs` filled for every card), persistent sessions left on the shared subscription, the
whole backlog published into mosquitto (interleaved across stations, 2 % repeats, 0.1 % held
back and published last: gaps), then the replicas started; the rate is messages delivered over
start → the last unique event committed with every SMS in Gammu's outbox. Then, with two
replicas running, cards published live at a steady rate: the delay from `card.printed`'s `time`
to its `sms_log.queued_at` (the same transaction as the outbox row; one clock, this machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bench.broker import client, close, connect, make_session, running_broker
from bench.fleet import Fleet, publish
from central.consumer import MqttSettings
from central.migrate import GAMMU_SCHEMA, migrate
from contract.topics import event_filter, shared

ROOT = Path(__file__).resolve().parents[1]
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


def citizens(dsn: str, jobs: list[str]) -> None:
    sql = "COPY citizen_jobs (job_id, phone, pickup_office) FROM STDIN"
    with psycopg.connect(dsn) as conn, conn.cursor() as cur, cur.copy(sql) as copy:
        for i, job in enumerate(jobs):
            copy.write_row((job, f"+62812{i:08d}", "Kecamatan Bogor Timur"))


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


def replicas(dsn: str, port: int, n: int, workdir: Path) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "central", "--database", dsn, "run", "--mqtt-port", str(port),
             "--replica", f"central-{i}", "--max-batch", "1000"],
            cwd=ROOT, env=env, stdout=(workdir / f"central-{n}-{i}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for i in range(n)
    ]  # fmt: skip


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(30)


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
            make_session(port, f"central-{i}", MqttSettings().event_filter)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="72,000 events, 720 stations")
    parser.add_argument("--replicas", default="1,2,4")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    events, stations = (72_000, 720) if args.quick else (720_000, 7_200)
    results: dict = {"machine": machine(), "events": events, "stations": stations, "phases": []}
    with (
        tempfile.TemporaryDirectory(prefix="bench-central-") as tmp,
        running_broker(Path(tmp) / "broker") as broker,
    ):
        backlog = Fleet(stations).backlog(events)
        everything = backlog.messages + backlog.held_back
        make_session(broker.port, "raw-1", shared("raw", event_filter(MqttSettings().root)))
        publish(broker.port, everything)
        raw_s = raw_drain(broker.port, len(everything))
        clear_sessions(broker.port, ["raw-1"])
        results["raw"] = {
            "messages": len(everything),
            "seconds": raw_s,
            "rate": len(everything) / raw_s,
        }
        print(f"raw subscriber: {results['raw']['rate']:,.0f} messages/s", flush=True)
        for n in (int(x) for x in args.replicas.split(",")):
            phase = backlog_phase(broker.port, n, stations, events, Path(tmp))
            results["phases"].append(phase)
            print(
                f"{n} replica(s): {phase['rate']:,.0f} messages/s, {phase['seconds']:.1f} s",
                flush=True,
            )
        results["live"] = live_phase(
            broker.port, stations, 1000 if args.quick else 5000, 200.0, Path(tmp)
        )
        live = results["live"]
        print(f"live: median {live['median_s'] * 1e3:.1f} ms, p99 {live['p99_s'] * 1e3:.1f} ms")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def machine() -> dict:
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


if __name__ == "__main__":
    sys.exit(main())
