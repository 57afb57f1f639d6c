"""Issue 26: the central office rebuilds a station's month of blanks from its events alone, and
it equals the station's own books; `card.spoiled` and the blanks' events reach the operators'
table; `card.collected` stops the reminders."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import psycopg

from central.report import MonthRow, month_bounds, month_rows
from central.sms import ReminderSchedule
from central.store import Effects, Message
from contract.clock import rfc3339
from contract.events import event_payload
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until
from tests.central.conftest import add_citizen, db, dsn  # noqa: F401 - the fixtures
from tests.central.test_store import GammuOutbox
from tests.station.conftest import Running
from tests.station.test_custody import ANI, BUDI, SITI, refused, staffed

JAKARTA = ZoneInfo("Asia/Jakarta")


def published(running: Running) -> list[Message]:
    """The station's events as the broker hands them to the central office."""
    station = running.config.station.id
    return [
        Message(
            f"ektp/v1/{station}/event/{event.type}",
            event_payload(station, event.seq, event.type, event.time, event.job_id, event.data),
        )
        for event in running.store.outbox.all_events()
    ]


def test_the_central_month_rebuilt_from_the_events_equals_the_stations(
    make_station,
    db: psycopg.Connection,  # noqa: F811 - the fixture
) -> None:
    running = make_station(faults='{ at_card = 2, kind = "jam" }', paused=True)
    local = staffed(running)
    for lot, quantity in (("L-1", 3), ("L-2", 20)):
        args = {
            "consumable": "cards",
            "lot": lot,
            "quantity": quantity,
            "received_on": "2026-12-01",
        }
        local.handle("lot-receive", args, BUDI)
        local.handle("lot-countersign", {"consumable": "cards", "lot": lot}, SITI)
    for n in range(1, 6):
        running.store.intake.submit(payload(make_job(n)))
    local.handle("resume", {}, BUDI)
    wait_until(lambda: running.states()["printed"] == 5)
    local.handle("pause", {}, BUDI)
    destroy = {"count": 1, "destroyed_on": "2026-12-07", "witness": "budi"}
    local.handle("destroy-spoiled", destroy, SITI)
    local.handle("lot-adjust", {"consumable": "cards", "delta": -2, "reason": "bent"}, SITI)
    local.handle("collect", {"job_id": "JOB-2026-000001"}, BUDI)

    add_citizen(db, "JOB-2026-000001", "+6281234567890")
    Effects(GammuOutbox(), ReminderSchedule.days()).apply(db, published(running), datetime.now(UTC))

    month = datetime.now(JAKARTA).strftime("%Y-%m")
    since, until = month_bounds(month, JAKARTA)
    [central] = month_rows(db, since, until)
    books = running.store.lots.books(rfc3339(since), rfc3339(until))
    assert all(lot.holds for lot in running.store.lots.books())
    kecamatan = running.config.station.id.rsplit("-", 1)[0]
    station = MonthRow(
        kecamatan,
        *(sum(getattr(lot, name) for lot in books) for name in
          ("received", "printed", "spoiled", "destroyed", "adjusted", "in_stock")),
    )  # fmt: skip
    assert central == station
    assert (station.received, station.printed, station.spoiled) == (23, 5, 1)
    assert (station.destroyed, station.adjusted, station.in_stock) == (1, -2, 15)

    seen = {row[0] for row in db.execute("SELECT type FROM operator_events")}
    assert {"card.spoiled", "lot.received", "ledger.adjusted", "blanks.destroyed"} <= seen
    (due,) = db.execute(
        "SELECT next_reminder_at FROM printed_cards WHERE job_id = 'JOB-2026-000001'"
    ).fetchone()
    assert due is None  # handed over at the kiosk: no reminders


def test_a_card_is_handed_over_once_and_only_when_printed(make_station) -> None:
    running = make_station(paused=True)
    local = staffed(running)
    running.store.intake.submit(payload(make_job(1)))
    job = {"job_id": "JOB-2026-000001"}
    assert refused(local, "collect", job, BUDI) == "invalid_state"  # queued: no card yet
    local.handle("resume", {}, BUDI)
    wait_until(lambda: running.states()["printed"] == 1)
    assert refused(local, "collect", job, ANI) == "not_authorized"  # no named person
    assert local.handle("collect", job, BUDI)["collected_by"] == "budi"
    assert refused(local, "collect", job, BUDI) == "invalid_state"  # once
    [collected] = running.events("card.collected")
    assert collected.job_id == "JOB-2026-000001" and collected.data == {"by": "budi"}
