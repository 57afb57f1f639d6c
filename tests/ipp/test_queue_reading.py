"""Reading a CUPS queue: reasons and state messages as faults and flags, markers as
consumables, a job's end."""

from __future__ import annotations

import pytest

from contract.vocabulary import Consumable, PrinterFault, SpoilCause
from controller.devices.ipp_job import blocked, ended
from controller.devices.ipp_settings import MarkerConsumable, MessageFault, ReasonFault
from controller.devices.ipp_state import QueueReader
from controller.devices.printer import Fault, Level, LevelUnit, Printed, Spoiled, Unknown

READER = QueueReader(
    [ReasonFault("hid-film-out", "film_out")],
    [MarkerConsumable("Overlay", "film")],
    [MessageFault("Ribbon Out", "ribbon_out"), MessageFault("card jam", "jam")],
)


@pytest.mark.parametrize(
    ("reasons", "faults"),
    [
        (["none"], []),
        (["media-empty-error"], [PrinterFault.FEEDER_EMPTY]),
        (["media-empty-warning"], [PrinterFault.FEEDER_EMPTY]),  # ippeveprinter's way
        (["media-empty-report"], []),  # a report is never a fault
        (["media-low-warning", "marker-supply-low-warning"], []),
        (["media-jam-error"], [PrinterFault.JAM]),
        (["door-open-error", "cover-open-warning"], [PrinterFault.COVER_OPEN]),
        (["interlock-open"], [PrinterFault.COVER_OPEN]),
        (["marker-supply-empty-error"], [PrinterFault.RIBBON_OUT]),
        (["offline-report"], []),
        (["paused"], [PrinterFault.PRINTER_ERROR]),
        (["hid-film-out-error"], [PrinterFault.FILM_OUT]),  # the config's vendor keyword
        (["hid-something-else-error"], [PrinterFault.PRINTER_ERROR]),
        (["hid-something-else-warning"], []),
    ],
)
def test_reasons_read_as_faults(reasons: list[str], faults: list[PrinterFault]) -> None:
    assert READER.faults(reasons) == faults


@pytest.mark.parametrize(
    ("reasons", "message", "faults"),
    [
        (["none"], "Ribbon out: replace the ribbon", [PrinterFault.RIBBON_OUT]),
        (["none"], "ERROR: RIBBON OUT", [PrinterFault.RIBBON_OUT]),  # any case, anywhere
        (
            ["none"],
            "Card jam in the flipper; ribbon out",
            [PrinterFault.RIBBON_OUT, PrinterFault.JAM],
        ),
        (["none"], "Ribbon low", []),  # a message not mapped: nothing
        (["none"], "Printer ready", []),
        (["none"], "", []),
        (["media-empty-error"], "Ribbon out", [PrinterFault.FEEDER_EMPTY, PrinterFault.RIBBON_OUT]),
        (["marker-supply-empty-error"], "Ribbon out", [PrinterFault.RIBBON_OUT]),  # once
    ],
)
def test_messages_read_as_faults(reasons: list[str], message: str, faults: list) -> None:
    assert READER.faults(reasons, message) == faults


def test_no_message_is_a_fault_unless_mapped() -> None:
    reader = QueueReader([], [])
    assert reader.faults(["none"], "Ribbon out: replace the ribbon") == []
    assert reader.flags(["none"], "Ribbon out: replace the ribbon") == frozenset()


def test_flags_are_the_station_flags_and_the_reasons_themselves() -> None:
    flags = READER.flags(["media-empty-error", "media-low-report"])
    assert flags == {"WAR_FEEDER_EMPTY", "ipp:media-empty-error", "ipp:media-low-report"}
    assert READER.flags(["none"]) == frozenset()
    assert READER.flags(["none"], "Ribbon out") == {"WAR_RIBBON_ENDED"}  # not the message itself


def test_markers_read_as_consumables() -> None:
    attributes = {
        "marker-names": ["YMCKO Ribbon", "Overlay", "Cleaning roller"],
        "marker-types": ["ribbon-wax", "other", "other"],
        "marker-levels": [73, 40, 10],
    }
    assert READER.consumables(attributes) == {
        Consumable.RIBBON: Level(73, 100, LevelUnit.PERCENT),
        Consumable.FILM: Level(40, 100, LevelUnit.PERCENT),
    }
    unknown = {"marker-names": "Ribbon", "marker-levels": [-1]}
    assert READER.consumables(unknown) == {}


@pytest.mark.parametrize(
    ("job", "reasons", "outcome"),
    [
        ({"job-state": 9, "job-impressions-completed": 1}, ["none"], Printed(7)),
        (
            {"job-state": 8, "job-impressions-completed": 1},
            ["media-jam-error"],
            Spoiled(SpoilCause.JAM, 7),
        ),
        (
            {"job-state": 8, "job-impressions-completed": 1},
            ["marker-supply-empty-error"],
            Spoiled(SpoilCause.RIBBON_BREAK, 7),
        ),
        # a jam the last job reported still stands: a job with nothing fed spoils nothing
        ({"job-state": 7, "job-impressions-completed": 0}, ["media-jam-error"], PrinterFault.JAM),
        (
            {"job-state": 8, "job-impressions-completed": 0},
            ["media-empty-error"],
            PrinterFault.FEEDER_EMPTY,
        ),
        ({"job-state": 8}, ["none"], Unknown),  # no reason: not sent again, a person decides
        ({"job-state": 8, "job-impressions-completed": 1}, ["none"], Unknown),
        ({"job-state": 5, "job-impressions-completed": 0}, ["media-jam-error"], None),
    ],
)
def test_a_job_end(job: dict, reasons: list[str], outcome: object) -> None:
    found = ended(7, job, reasons, READER)
    if isinstance(outcome, PrinterFault):
        assert isinstance(found, Fault) and found.kind == outcome
    elif outcome is Unknown:
        assert isinstance(found, Unknown)
    else:
        assert found == outcome


def test_the_job_snapshot_of_reasons_is_read_before_the_queue() -> None:
    job = {"job-state": 8, "job-printer-state-reasons": ["door-open-error"]}
    found = ended(7, job, ["none"], READER)
    assert isinstance(found, Fault) and found.kind == PrinterFault.COVER_OPEN


@pytest.mark.parametrize(
    ("job", "outcome"),
    [
        ({"job-state": 8, "job-impressions-completed": 0}, PrinterFault.RIBBON_OUT),
        (
            {"job-state": 8, "job-impressions-completed": 1},
            Spoiled(SpoilCause.RIBBON_BREAK, 7),
        ),
    ],
)
def test_a_job_end_by_its_message_as_by_the_keyword(job: dict, outcome: object) -> None:
    """A mapped message settles the card as the keyword does (`marker-supply-empty`): the
    job's own snapshot of the message first, else the queue's."""
    by_keyword = ended(7, job, ["marker-supply-empty-error"], READER)
    by_snapshot = ended(7, job | {"job-printer-state-message": "Ribbon out"}, ["none"], READER)
    by_queue = ended(7, job, ["none"], READER, "Ribbon out")
    for found in (by_keyword, by_snapshot, by_queue):
        if isinstance(outcome, PrinterFault):
            assert isinstance(found, Fault) and found.kind == outcome
        else:
            assert found == outcome


def test_an_unmapped_message_settles_nothing() -> None:
    aborted = {"job-state": 8, "job-impressions-completed": 0}
    assert isinstance(
        ended(7, aborted | {"job-printer-state-message": "Busy"}, ["none"], READER), Unknown
    )
    # the job's own snapshot says nothing: the queue's message now is not read for it
    job = aborted | {"job-printer-state-message": ""}
    assert isinstance(ended(7, job, ["none"], READER, "Ribbon out"), Unknown)


def test_a_job_is_blocked_by_a_mapped_message() -> None:
    waiting = {"job-state": 5, "job-impressions-completed": 0}
    assert blocked(waiting, ["none"], READER, "Ribbon out: replace the ribbon")
    assert not blocked(waiting, ["none"], READER, "Printing card 1")
    assert not blocked(
        {"job-state": 5, "job-impressions-completed": 1}, ["none"], READER, "Ribbon out"
    )


def test_a_job_is_blocked_only_before_its_first_page() -> None:
    assert blocked({"job-state": 5, "job-impressions-completed": 0}, ["media-empty-error"], READER)
    assert not blocked({"job-state": 5, "job-impressions-completed": 1}, ["media-jam"], READER)
    assert not blocked({"job-state": 5}, ["media-low-warning"], READER)
    assert not blocked({"job-state": 9}, ["media-empty-error"], READER)
