"""The tail check: events the broker lost after the last one the office has seen show as no
gap until the station sends a later event (docs/central.md, "Gaps and `replay`"). A broker
that restarts loses just such a tail, and the stations then connect again, each with a new
`session` in its retained status. So once per station and session, the office asks the
station to `replay` everything after the highest `seq` it holds: the station sends again what
it had delivered since (nothing, usually), and what it had not delivered comes anyway."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

from central.intake import ReceivedStatus
from contract.commands import command_document, command_payload


@dataclass(frozen=True)
class TailCheck:
    station: str
    session: int
    from_seq: int  # one above the highest seq the office holds of the station

    def payload(self) -> bytes:
        """The station's `replay` command from `from_seq` to its last event."""
        cmd_id = f"central-tail-{self.session}-{self.from_seq}"
        return command_payload(command_document(cmd_id, {"from_seq": self.from_seq}))


def tail_checks(conn: psycopg.Connection, statuses: Sequence[ReceivedStatus]) -> list[TailCheck]:
    """The checks due for `statuses` (in the caller's transaction): one per station session,
    whichever replica sees the status first."""
    sessions: dict[str, int] = {}
    for received in statuses:
        station, session = received.status.station, received.status.session
        if session is not None:
            sessions[station] = max(session, sessions.get(station, 0))
    if not sessions:
        return []
    claimed = conn.execute(
        "INSERT INTO station_progress (station, checked_session)"
        " SELECT * FROM unnest(%b::text[], %b::bigint[]) ON CONFLICT (station) DO UPDATE"
        " SET checked_session = excluded.checked_session"
        " WHERE station_progress.checked_session < excluded.checked_session"
        " RETURNING station, checked_session",
        (sorted(sessions), [sessions[s] for s in sorted(sessions)]),
    ).fetchall()
    if not claimed:
        return []
    tops = dict(
        conn.execute(
            "SELECT station, max(seq) FROM events WHERE station = ANY(%b) GROUP BY station",
            ([station for station, _ in claimed],),
        ).fetchall()
    )
    return [TailCheck(station, session, tops.get(station, 0) + 1) for station, session in claimed]
