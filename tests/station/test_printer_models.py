"""The printer's model drives what the station counts and sends (`evolis_wire.models`): a
Primacy or a Zenius prints direct to the card and uses no film; a Zenius prints one face."""

from __future__ import annotations

from contract.clock import SystemClock
from contract.vocabulary import Consumable
from controller.app.assembly import open_store
from controller.devices.models import consumables_used
from controller.devices.printer import Identity
from controller.queue.db import get_meta
from controller.queue.ledger import USED_KEY
from controller.queue.store import Store
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until


def test_a_station_on_a_real_primacy_is_not_blocked_on_film(make_station) -> None:
    """A station on a real printer starts with nothing on its books. A Primacy has no film: it
    must not wait for a film reload (it did, `film_empty`), nor count a film per card."""
    running = make_station(extensions=False)
    station = running.station
    wait_until(lambda: station.lane.printer.connected, what="the printer")
    running.commands.handle("reload", {"consumable": "cards", "count": 10, "capacity": 10})
    running.store.intake.submit(payload(make_job(1)))
    wait_until(lambda: running.states()["printed"] == 1, what="the card printed")
    status = running.commands.handle("status", {})
    assert "film_empty" not in status["reasons"]
    assert sorted(status["consumables"]) == ["cards", "ribbon"]
    with running.store.db.reading() as conn:
        film_rows = conn.execute(
            "SELECT count(*) FROM ledger WHERE consumable = 'film' AND kind <> 'load'"
        ).fetchone()[0]
    assert film_rows == 0  # nothing booked against a film the printer has not got


def test_a_restarted_station_books_what_its_printer_uses_before_it_says_its_model(
    make_station,
) -> None:
    """After a restart the printer says its model only once it answers; a card booked before
    that (a person resolving one a kill left for review, say) booked a film on a Primacy, and
    the books no longer matched the printer's (CI's kill run: film 1999 on the books, 2000 in
    the printer). What a card uses on the printer last known is kept in the database."""
    running = make_station(extensions=False, paused=True)  # paused: the job below is not its
    wait_until(lambda: _stored_use(running.store) == "cards,ribbon", what="its model's use stored")
    restarted = open_store(running.config, SystemClock())  # as the next start opens it
    job_id = "JOB-2026-000001"
    try:
        assert restarted.ledger.used == {Consumable.CARDS, Consumable.RIBBON}
        restarted.intake.submit(payload(make_job(1)))
        restarted.jobs.start(job_id, 0)
        restarted.jobs.printed(job_id, 1, "SN1")
        with restarted.db.reading() as conn:
            rows = conn.execute("SELECT consumable FROM ledger WHERE job_id = ?", (job_id,))
            booked = {row[0] for row in rows}
    finally:
        restarted.close()
    assert booked == {"cards", "ribbon"}


def _stored_use(store: Store) -> str | None:
    """What a card uses, as the database keeps it for the next start (the status may name the
    model a moment before the printer's lane has written it)."""
    with store.db.reading() as conn:
        return get_meta(conn, USED_KEY)


def test_a_model_uses_film_only_if_it_prints_by_retransfer() -> None:
    every = set(Consumable)
    assert consumables_used(None) == every  # not known yet: everything counts
    assert consumables_used(Identity("Evolis Primacy", "S", "F")) == every - {Consumable.FILM}
    assert consumables_used(Identity("Evolis Zenius", "S", "F")) == every - {Consumable.FILM}
