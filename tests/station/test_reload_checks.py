"""Issue 15, item 9: `reload` set any absolute count with no check; now bounded by the
capacity, recorded with its lot and operator, and checked against the printer's next count."""

from __future__ import annotations

import threading

import pytest

from contract.errors import CommandError
from controller.core.commands import StationCommands
from controller.queue.audit import Actor
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until

TECH = Actor("remote", "tech.bogor")  # type: ignore[arg-type]


def test_a_reload_over_the_capacity_is_refused(make_station) -> None:
    running = make_station(cards=50)
    remote = StationCommands(running.station)
    with pytest.raises(CommandError) as refused:
        remote.handle("reload", {"consumable": "cards", "count": 5000})
    assert refused.value.code == "invalid_args" and "capacity" in refused.value.message
    # With the new capacity stated it is a reload (a bigger feeder), bounded by it.
    remote.handle("reload", {"consumable": "cards", "count": 80, "capacity": 100})


def test_a_reload_records_its_lot_and_operator(make_station) -> None:
    running = make_station(cards=50)
    StationCommands(running.station).handle(
        "reload", {"consumable": "ribbon", "count": 150, "lot": "RB-2026-11"}, TECH
    )
    [event] = running.events("consumable.reloaded")
    assert event.data["lot"] == "RB-2026-11" and event.data["operator"] == "tech.bogor"
    row = running.store.db._conn.execute(
        "SELECT lot, note FROM ledger WHERE consumable = 'ribbon' AND kind = 'load'"
        " ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert tuple(row) == ("RB-2026-11", "reloaded by tech.bogor")


def test_a_printer_count_that_disagrees_with_the_reload_raises_an_alert(
    make_station, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = make_station(cards=50)
    station = running.station
    worker = station.lane.worker
    tell = worker.set_level

    def roll_shorter_than_sold(consumable, count, capacity, done):  # the printer counts 125
        tell(consumable, count - 25, capacity, done)

    monkeypatch.setattr(worker, "set_level", roll_shorter_than_sold)
    StationCommands(station).handle("reload", {"consumable": "ribbon", "count": 150})
    wait_until(
        lambda: [e.data["code"] for e in running.events("alert.raised")] == ["reload_mismatch"]
    )
    monkeypatch.setattr(worker, "set_level", tell)
    StationCommands(station).handle("reload", {"consumable": "ribbon", "count": 125})
    wait_until(
        lambda: [e.data["code"] for e in running.events("alert.cleared")] == ["reload_mismatch"]
    )


def test_a_reload_of_what_a_real_printer_does_not_count_is_booked_as_it_stands(
    make_station,
) -> None:
    """Seen in the USB rig: an Evolis printer reports its ribbon but not its blanks or film;
    the check of the printer's next count looked the blanks up in its report and the KeyError
    stopped the station's core loop."""
    running = make_station(cards=50, extensions=False)
    station = running.station
    wait_until(lambda: station.lane.printer.connected)
    running.commands.handle("reload", {"consumable": "cards", "count": 80, "capacity": 100})
    with pytest.raises(CommandError, match="takes no film"):  # a Primacy prints direct to card
        running.commands.handle("reload", {"consumable": "film", "count": 400, "capacity": 500})
    for _ in range(3):  # reports taken after the reloads reached the printer
        report = station.lane.report
        wait_until(lambda seen=report: station.lane.report is not seen, what="a report taken")
    status = running.commands.handle("status", {})
    assert status["consumables"]["cards"]["remaining"] == 80
    assert "film" not in status["consumables"]
    assert not [e for e in running.events("alert.raised") if e.data["code"] == "reload_mismatch"]


def test_a_real_printers_ribbon_capacity_is_taken_from_the_printer(make_station) -> None:
    """A station on a real printer starts with nothing on its books; the ribbon's count and
    capacity come from the printer (`Rrt;all`). The capacity had stayed 0 ("189 of 0")."""
    running = make_station(extensions=False, printer_ribbon=190)
    running.commands.handle("reload", {"consumable": "cards", "count": 10, "capacity": 10})
    running.store.intake.submit(payload(make_job(1)))
    wait_until(lambda: running.states()["printed"] == 1, what="the card printed")
    wait_until(
        lambda: running.commands.handle("status", {})["consumables"]["ribbon"]["remaining"] == 189,
        what="the printer's ribbon count after the card",
    )
    ribbon = running.commands.handle("status", {})["consumables"]["ribbon"]
    assert ribbon["capacity"] == running.printer.state.ribbon_capacity == 190


def test_a_reload_while_a_card_is_on_the_printer_is_refused(
    make_station, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kill run's "unexplained ledger adjustments: {'printer count': 1}" (CI, seed
    985578052): a ribbon reloaded while a card printed was booked at its count, the card's
    own ribbon panel after it, and the printer, told the count after the card, counted one
    more: adopted as a +1 adjustment. A reload now waits for the card's outcome."""
    running = make_station(cards=50)
    station = running.station
    driver = station.lane.worker._driver
    print_card, card_may_end = driver.print_card, threading.Event()

    def printed_then_held(panels):  # the card is out; its outcome not yet with the station
        outcome = print_card(panels)
        card_may_end.wait(10)
        return outcome

    monkeypatch.setattr(driver, "print_card", printed_then_held)
    running.store.intake.submit(payload(make_job(1)))
    wait_until(lambda: running.states()["printing"] == 1)
    with pytest.raises(CommandError) as refused:
        running.commands.handle("reload", {"consumable": "ribbon", "count": 150})
    assert refused.value.code == "invalid_state" and "printing" in refused.value.message
    card_may_end.set()
    wait_until(lambda: running.states()["printed"] == 1 and not station.lane.busy)
    running.commands.handle("reload", {"consumable": "ribbon", "count": 150})
    for _ in range(3):  # reports taken after the reload reached the printer
        report = station.lane.report
        wait_until(lambda seen=report: station.lane.report is not seen, what="a report taken")
    with running.store.db.reading() as conn:
        notes = {row[0] for row in conn.execute("SELECT note FROM ledger WHERE kind = 'adjust'")}
        ribbon = running.store.ledger.balances(conn)["ribbon"]
    assert notes == {"old roll taken out"}
    assert ribbon.remaining == station.lane.report.status.consumables["ribbon"].remaining == 150
