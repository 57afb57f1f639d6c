"""Hand-off to the SMS gateway, inside the caller's transaction.

`SmsGateway.queue` writes the messages where the gateway reads them, on the same PostgreSQL
connection as the event that caused them, so that an event and its SMS commit together or not
at all. `GammuOutbox` is Gammu SMSD's SQL backend (`driver = native_pgsql`): its `outbox`
table, in the central database, which gammu-smsd polls and sends from, then moves each row to
`sentitems`. The message's unique key is its `CreatorID`, so `sentitems` says which job's SMS
each row was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import psycopg

from central.sms import Sms

CREATOR_PREFIX = "ps:"  # CreatorID = "ps:{job_id}:{kind}:{ordinal}"


class SmsGateway(Protocol):
    def queue(self, conn: psycopg.Connection, messages: Sequence[Sms]) -> None:
        """Queue `messages` for sending, in `conn`'s open transaction."""


class GammuOutbox:
    """Gammu SMSD's `outbox` table (its schema: gammu-smsd's pgsql.sql, see central.migrate)."""

    def queue(self, conn: psycopg.Connection, messages: Sequence[Sms]) -> None:
        if not messages:
            return
        conn.execute(
            'INSERT INTO outbox ("DestinationNumber", "TextDecoded", "CreatorID", "Coding")'
            " SELECT phone, text, creator, 'Default_No_Compression'"
            " FROM unnest(%b::text[], %b::text[], %b::text[]) AS m(phone, text, creator)",
            (
                [m.phone for m in messages],
                [m.text for m in messages],
                [CREATOR_PREFIX + m.key for m in messages],
            ),
        )
