"""Hand-off to the SMS gateway, inside the caller's transaction.

`SmsGateway.queue` writes the messages where the gateway reads them, on the same PostgreSQL
connection as the event that caused them, so that an event and its SMS commit together or not
at all. `GammuOutbox` is Gammu SMSD's SQL backend (`driver = native_pgsql`): its `outbox`
table, in the central database, which gammu-smsd polls and sends from, then moves each row to
`sentitems`. The message's unique key is its `CreatorID`, so `sentitems` says which job's SMS
each row was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import psycopg
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from central.sms import Sms

CREATOR_PREFIX = "ps:"  # CreatorID = "ps:{job_id}:{kind}:{ordinal}"
# Gammu's `sentitems.Status` of a message it could not send or the network could not deliver.
FAILED_STATUSES = ("SendingError", "DeliveryFailed", "Error")


@dataclass(frozen=True)
class FailedSms:
    """An SMS the gateway gave up on: which, to whom, when and how (Gammu's status)."""

    creator: str
    phone: str
    sent_at: datetime
    status: str


class SmsGateway(Protocol):
    def queue(self, conn: psycopg.Connection, messages: Sequence[Sms]) -> None:
        """Queue `messages` for sending, in `conn`'s open transaction."""


class GammuOutbox:
    """Gammu SMSD's `outbox` table (its schema: gammu-smsd's pgsql.sql, see central.migrate),
    and its `sentitems`: what it sent, and what failed."""

    def queue(self, conn: psycopg.Connection, messages: Sequence[Sms]) -> None:
        if not messages:
            return
        conn.execute(
            'INSERT INTO outbox ("DestinationNumber", "TextDecoded", "CreatorID", "Coding")'
            " SELECT phone, text, creator, 'Default_No_Compression'"
            " FROM unnest(%s::text[], %s::text[], %s::text[]) AS m(phone, text, creator)",
            (
                [m.phone for m in messages],
                [m.text for m in messages],
                [CREATOR_PREFIX + m.key for m in messages],
            ),
        )

    def failed(self, conn: psycopg.Connection) -> list[FailedSms]:
        """Our SMS that Gammu could not send or deliver, oldest first."""
        rows = conn.execute(
            'SELECT "CreatorID", "DestinationNumber", "SendingDateTime", "Status" FROM sentitems'
            ' WHERE "Status" = ANY(%s) AND "CreatorID" LIKE %s ORDER BY "ID"',
            (list(FAILED_STATUSES), CREATOR_PREFIX + "%"),
        ).fetchall()
        return [FailedSms(*row) for row in rows]


class FailedSmsCollector(Collector):
    """`central_sms_failed`: the SMS the gateway gave up on, read from Gammu at each scrape."""

    def __init__(self, connect: Callable[[], psycopg.Connection]) -> None:
        self._connect = connect

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._connect() as conn:
            failed = GammuOutbox().failed(conn)
        family = GaugeMetricFamily(
            "central_sms_failed", "SMS Gammu could not send or deliver", labels=["gammu_status"]
        )
        for status in FAILED_STATUSES:
            family.add_metric([status], float(sum(1 for f in failed if f.status == status)))
        yield family
