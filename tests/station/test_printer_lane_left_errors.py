"""A card's error left on the printer by a stop (killed between the error and the driver's
clearing it) is ejected to the reject tray between cards, once, with the cover closed: the kill
run found a cover opened on a card (ERR_COVER_OPEN) left so, and the station waited on a
printer error for good with 219 jobs queued."""

from __future__ import annotations

import pytest

from controller.core.printer_lane import Phase, PrinterLane
from controller.core.printer_worker import PrinterReport
from controller.core.storage_health import StorageHealth
from controller.devices.printer import PrinterStatus


def _lane(store, clock) -> tuple[PrinterLane, list[str]]:
    lane = PrinterLane(
        None, store, StorageHealth(store, clock), lambda _: None, lambda _: None, 1.0
    )  # type: ignore[arg-type]
    ejected: list[str] = []
    lane.worker.eject = lambda: ejected.append("Ser")  # type: ignore[method-assign]
    lane.phase = Phase.IDLE
    return lane, ejected


def _report(*flags: str) -> PrinterReport:
    return PrinterReport(True, PrinterStatus(flags=frozenset(flags)), None)


@pytest.mark.parametrize("flag", ["ERR_MECHANICAL", "ERR_COVER_OPEN"])
def test_a_cards_error_between_cards_is_ejected_once(store, clock, flag: str) -> None:
    lane, ejected = _lane(store, clock)
    lane.take_report(_report(flag))
    lane.take_report(_report(flag))  # still there while the eject goes on: not asked again
    assert (lane.phase, ejected) == (Phase.EJECTING, ["Ser"])
    lane.take_report(_report())
    assert lane.phase is Phase.IDLE


def test_nothing_is_ejected_while_the_cover_is_open(store, clock) -> None:
    lane, ejected = _lane(store, clock)
    lane.take_report(_report("ERR_COVER_OPEN", "WAR_COVER_OPEN"))
    assert (lane.phase, ejected) == (Phase.IDLE, [])
    lane.take_report(_report("ERR_COVER_OPEN"))  # closed
    assert (lane.phase, ejected) == (Phase.EJECTING, ["Ser"])


def test_a_printer_with_no_cards_error_is_left_alone(store, clock) -> None:
    lane, ejected = _lane(store, clock)
    lane.take_report(_report("WAR_COOLING", "ERR_RIBBON_ENDED"))
    assert (lane.phase, ejected) == (Phase.IDLE, [])
