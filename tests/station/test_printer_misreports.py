"""A printer that says what no sane printer says: the station shows the error, starts no card,
stays up, and prints once the printer is sane again (issue 23)."""

from __future__ import annotations

from contract.vocabulary import Consumable, Reason, StationState
from controller.core.printer_worker import PrinterReport
from controller.devices.printer import Identity, Level, PrinterStatus
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until


def raised(running, code: str) -> bool:
    return any(e.data["code"] == code for e in running.events("alert.raised"))


def shows_printer_error(running) -> bool:
    return Reason.PRINTER_ERROR in running.station.call(running.station.status).reasons


def load_blanks(running) -> None:
    """A printer without the virtual extensions does not count its blanks: a person books them
    (a Primacy prints direct to the card: no film)."""
    running.commands.handle("reload", {"consumable": "cards", "count": 10, "capacity": 10})


def attempt_counters(running) -> list[int]:
    with running.store.db.reading() as conn:
        return [row[0] for row in conn.execute("SELECT counter_before FROM attempts")]


def test_a_card_counter_of_ten_to_the_twentieth_is_an_error_until_it_is_sane(make_station):
    running = make_station()
    running.printer.misreport.card_counter = 10**20
    wait_until(lambda: shows_printer_error(running))
    running.store.intake.submit(payload(make_job(1)))
    wait_until(lambda: raised(running, Reason.PRINTER_ERROR))
    assert shows_printer_error(running)
    assert running.states()["queued"] == 1 and attempt_counters(running) == []

    running.printer.misreport.card_counter = None
    wait_until(lambda: running.states()["printed"] == 1)
    assert [e.data["card_counter"] for e in running.events("card.printed")] == [1]
    assert attempt_counters(running) == [0]
    wait_until(
        lambda: any(e.data["code"] == "printer_error" for e in running.events("alert.cleared"))
    )


def test_a_ribbon_count_no_ribbon_holds_is_an_error_until_it_is_sane(make_station):
    running = make_station(extensions=False)
    load_blanks(running)
    running.printer.misreport.ribbon_count = 10**20
    wait_until(lambda: shows_printer_error(running))
    running.store.intake.submit(payload(make_job(1)))
    wait_until(lambda: raised(running, Reason.PRINTER_ERROR))
    assert running.states()["queued"] == 1

    running.printer.misreport.ribbon_count = None
    wait_until(lambda: running.states()["printed"] == 1)
    with running.store.db.reading() as conn:
        ribbon = running.store.ledger.balances(conn)[Consumable.RIBBON]
    assert ribbon.remaining == 199 and ribbon.holds


def test_the_core_loop_survives_a_report_it_cannot_take(make_station):
    """A report past the driver's bounds (as a driver without them would make) is left, logged,
    and the loop goes on."""
    running = make_station(extensions=False)
    load_blanks(running)
    wait_until(lambda: running.station.call(lambda: running.station.lane.report) is not None)
    huge = Level(10**20, 10**20)
    report = PrinterReport(
        True, PrinterStatus(consumables={Consumable.RIBBON: huge}, card_counter=0),
        Identity("Evolis Primacy", "VP0000001", "VP-1.0.0"),
    )  # fmt: skip
    running.station.post(lambda: running.station.lane.take_report(report))
    running.store.intake.submit(payload(make_job(1)))
    wait_until(lambda: running.states()["printed"] == 1)
    wait_until(lambda: running.station.call(lambda: running.station.state) == StationState.READY)


def fail_once(monkeypatch, driver, method: str) -> None:
    """`driver.method` raises what no driver should (a bug) once, then works again."""
    real = getattr(driver, method)

    def failing(*args, **kwargs):
        monkeypatch.setattr(driver, method, real)
        raise RuntimeError(f"a bug in {method}")

    monkeypatch.setattr(driver, method, failing)


def test_a_card_whose_driver_fails_during_it_is_settled_by_the_counter(make_station, monkeypatch):
    running = make_station()
    fail_once(monkeypatch, running.station.lane.worker._driver, "print_card")
    running.store.intake.submit(payload(make_job(1)))
    wait_until(lambda: running.states()["printed"] == 1)
    with running.store.db.reading() as conn:
        outcomes = [row[0] for row in conn.execute("SELECT outcome FROM attempts ORDER BY id")]
    assert outcomes == ["not_printed", "printed"]  # the counter showed no blank was used


def test_a_card_whose_start_fails_waits_and_prints(make_station, monkeypatch):
    running = make_station()
    wait_until(lambda: running.station.call(lambda: running.station.lane.report) is not None)
    fail_once(monkeypatch, running.station.lane.worker._driver, "card_counter")
    running.store.intake.submit(payload(make_job(1)))
    wait_until(lambda: running.states()["printed"] == 1)
    assert attempt_counters(running) == [0]
