"""Real parts for the central service's tests: a PostgreSQL database of this run's own (made
and dropped here), migrated with Gammu's schema, and gammu-smsd with its dummy phone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from central.migrate import GAMMU_SCHEMA, migrate
from testkit.central import GAMMU_SMSD, GammuSmsd
from testkit.station_process import STATION
from testkit.waiting import wait_until

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@pytest.fixture
def dsn() -> Iterator[str]:
    name = f"central_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"host=127.0.0.1 port=5432 user=postgres dbname={name}"
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn, GAMMU_SCHEMA)
    yield url
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def db(dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield conn


def add_citizen(
    conn: psycopg.Connection,
    job_id: str,
    phone: str,
    slot: str | None = None,
    station: str = STATION,
) -> None:
    """The office's record of a job it sent to `station`."""
    conn.execute(
        "INSERT INTO citizen_jobs (job_id, phone, pickup_office, pickup_slot, station)"
        " VALUES (%s, %s, 'Kecamatan Bogor Timur', %s, %s)",
        (job_id, phone, slot, station),
    )


@pytest.fixture
def gammu(tmp_path: Path, dsn: str) -> Iterator[GammuSmsd]:
    if not Path(GAMMU_SMSD).exists():
        pytest.fail("gammu-smsd is not installed (apt-get install gammu-smsd; .ci/run does)")
    smsd = GammuSmsd(tmp_path / "gammu", psycopg.conninfo.conninfo_to_dict(dsn)["dbname"])
    yield smsd
    smsd.stop()


def sentitems(conn: psycopg.Connection) -> list[tuple[str, str, str, str]]:
    """(CreatorID, DestinationNumber, Status, TextDecoded) of every SMS Gammu sent."""
    return conn.execute(
        'SELECT "CreatorID", "DestinationNumber", "Status", "TextDecoded" FROM sentitems'
        ' ORDER BY "ID"'
    ).fetchall()


def wait_station_subscribed(broker: Any) -> None:
    """Until the station's first session holds its subscriptions: a job published to it before
    then goes nowhere (no session yet to queue it)."""
    base = f"ektp/v1/{STATION}"
    wait_until(
        lambda: all(broker.subscribed(STATION, f"{base}/{t}") for t in ("job", "cmd/+")),
        timeout=30,
        what="the station subscribed",
    )


def wait_sent(conn: psycopg.Connection, count: int, timeout: float = 30) -> list:
    """Gammu's sentitems once it holds `count` rows (and its outbox is empty)."""

    def sent() -> list | None:
        rows = sentitems(conn)
        empty = conn.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
        return rows if len(rows) >= count and empty else None

    return wait_until(sent, timeout=timeout, what=f"{count} SMS in Gammu's sentitems")
