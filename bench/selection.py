"""(4) Choosing the next job with 1 thousand, 100 thousand and 1 million jobs queued.

Each database is made by the station (`Store.open`: schema, indexes, WAL), then filled with
queued jobs by one `INSERT … SELECT` over a recursive CTE in a single transaction, journal and
fsync off while building (intake would take hours for a million). The jobs are a realistic
mix for the query: 90 % `new`, the rest `lost` or `damaged`, two thirds with a `not_after` in
the future; card fields are a fixed ~400-byte JSON and the photo and signature small blobs,
so that a million rows stay around half a gigabyte. Each database is deleted once measured.

Measured on the store as the daemon opens it: `store.jobs.next_queued(now, scarce)` with
`scarce` false and true (blanks above, then at or below the reserve), one call at a time.
Baseline: a primary-key look-up of one job row through the same connection and lock. Context
only: `Scheduler.evaluate`, the whole per-tick decision (it also counts the jobs per state,
which grows with the table).

Target: the median at 1 million no more than twice the median at 1 thousand.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench.common import (
    median,
    open_store,
    percentile,
    station_logging,
    timed_ms,
)
from bench.measure import Context, Measure
from contract.clock import SystemClock
from contract.vocabulary import JobReason, JobState, Requester
from controller.core.scheduler import PrinterView, Scheduler
from controller.policy.duty import DutySettings

SIZES = (1_000, 100_000, 1_000_000)
CALLS = 300
TARGET_RATIO = 2.0
CARD_JSON = json.dumps(
    {
        "nik": "3271046101900001",
        "name": "SITI RAHAYU",
        "birth_place": "BOGOR",
        "birth_date": "1990-01-21",
        "sex": "P",
        "blood_type": "O",
        "address": "JL. PAJAJARAN NO. 10",
        "rt_rw": "001/002",
        "village": "BARANANGSIANG",
        "district": "BOGOR TIMUR",
        "regency": "KOTA BOGOR",
        "province": "JAWA BARAT",
        "religion": "ISLAM",
        "marital_status": "KAWIN",
        "occupation": "KARYAWAN SWASTA",
        "nationality": "WNI",
        "valid_until": "SEUMUR HIDUP",
        "issued_place": "KOTA BOGOR",
        "issued_date": "2026-11-22",
    },
    sort_keys=True,
)
FILL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
INSERT INTO jobs (seq, job_id, content_sha256, nik, reason, not_after, state, attempts,
                  card_json, photo, signature, source, received_at, updated_at)
SELECT i,
       printf('JOB-2026-%07d', i),
       printf('%064x', i),
       printf('%016d', 3271000000000000 + i),
       CASE WHEN i % 10 = 0 THEN :reason_lost WHEN i % 25 = 0 THEN :reason_damaged
            ELSE :reason_new END,
       CASE WHEN i % 3 = 0 THEN NULL ELSE '2099-12-31T00:00:00Z' END,
       :state, 0, :card, zeroblob(64), zeroblob(32), :source, :at, :at
FROM n
"""


def build(path: Path, count: int) -> float:
    """A station database with `count` queued jobs; returns the seconds the build took."""
    start = time.perf_counter()
    open_store(path, SystemClock()).close()  # schema and indexes, exactly as the station has
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-65536"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("BEGIN")
        conn.execute(
            FILL,
            {
                "count": count,
                "card": CARD_JSON,
                "at": "2026-11-22T01:00:00Z",
                "reason_new": JobReason.NEW,
                "reason_lost": JobReason.LOST,
                "reason_damaged": JobReason.DAMAGED,
                "state": JobState.QUEUED,
                "source": Requester.MQTT,
            },
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return time.perf_counter() - start


def measure(path: Path, count: int, calls: int) -> dict[str, Any]:
    clock = SystemClock()
    store = open_store(path, clock)
    try:
        now = clock.now()
        first = time.perf_counter()
        job = store.jobs.next_queued(now, scarce=False)
        first_ms = (time.perf_counter() - first) * 1000
        if job is None or job.seq != 1:
            raise RuntimeError(f"next_queued chose {job}, not the oldest job")
        any_reason = timed_ms(calls, lambda: store.jobs.next_queued(now, scarce=False))
        scarce = timed_ms(calls, lambda: store.jobs.next_queued(now, scarce=True))

        def lookup() -> None:
            with store.db.reading() as conn:
                conn.execute(
                    "SELECT job_id, seq, reason, state FROM jobs WHERE seq = ?", (count // 2,)
                ).fetchone()

        baseline = timed_ms(calls, lookup)
        scheduler = Scheduler(store, DutySettings(), reserve_cards=20)
        evaluate = timed_ms(
            max(3, calls // 30),
            lambda: scheduler.evaluate(
                now, paused=False, printing=False, printer=PrinterView(True)
            ),
        )
    finally:
        store.close()
    return {
        "median_ms": median(any_reason),
        "p99_ms": percentile(any_reason, 99),
        "scarce_median_ms": median(scarce),
        "first_call_ms": first_ms,
        "pk_lookup_median_ms": median(baseline),
        "evaluate_median_ms": median(evaluate),
        "db_mb": round(path.stat().st_size / 2**20, 1),
    }


def run(ctx: Context) -> list[Measure]:
    base = ctx.dir("selection")
    calls = 100 if ctx.quick else CALLS
    results: dict[int, dict[str, Any]] = {}
    with station_logging(base / "station.log"):
        for count in SIZES:
            path = base / f"jobs-{count}" / "station.db"
            path.parent.mkdir(parents=True, exist_ok=True)
            seconds = build(path, count)
            results[count] = {"build_s": round(seconds, 2), **measure(path, count, calls)}
            for leftover in base.glob(f"jobs-{count}.db*"):
                leftover.unlink()
    measures = [
        Measure(
            f"selection.next_job_ms.{count}",
            f"next job, {count:,} queued",
            results[count]["median_ms"] * 1000,
            "µs",
            results[count]["pk_lookup_median_ms"] * 1000,
            "primary-key look-up of one job",
            details=results[count],
        )
        for count in SIZES
    ]
    ratio = results[SIZES[-1]]["median_ms"] / results[SIZES[0]]["median_ms"]
    measures.append(
        Measure(
            "selection.growth",
            "next job: 1M / 1k queued",
            ratio,
            "×",
            results[SIZES[-1]]["pk_lookup_median_ms"] / results[SIZES[0]]["pk_lookup_median_ms"],
            "same ratio for the look-up",
            f"≤ {TARGET_RATIO:.0f} ×",
            ratio <= TARGET_RATIO,
        )
    )
    return measures
