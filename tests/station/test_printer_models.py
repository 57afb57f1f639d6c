"""The printer's model drives what the station counts and sends (`evolis_wire.models`): a
Primacy or a Zenius prints direct to the card and uses no film; a Zenius prints one face."""

from __future__ import annotations

from contract.vocabulary import Consumable
from controller.devices.models import consumables_used
from controller.devices.printer import Identity
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


def test_a_model_uses_film_only_if_it_prints_by_retransfer() -> None:
    every = set(Consumable)
    assert consumables_used(None) == every  # not known yet: everything counts
    assert consumables_used(Identity("Evolis Primacy", "S", "F")) == every - {Consumable.FILM}
    assert consumables_used(Identity("Evolis Zenius", "S", "F")) == every - {Consumable.FILM}
