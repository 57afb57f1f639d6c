"""The station printing through a real cupsd (driver = "ipp") to the virtual printer behind the
`cardsim` backend: the demo's cards, and each fault settled as the contract says."""

from __future__ import annotations

import io
import json

import cups
import pytest

from contract.clock import SystemClock
from contract.errors import CommandError
from contract.vocabulary import (
    CommandErrorCode,
    CommandName,
    Consumable,
    PrinterFault,
    SpoilCause,
)
from controller.app.config import load_config
from controller.app.doctor import run_doctor
from controller.core.commands import StationCommands
from controller.devices.factory import network_driver
from controller.queue.store import Store
from controller.queue.unaccounted import CounterKind
from testkit.broker import free_port
from testkit.waiting import wait_until
from tools.demo import sample_jobs

from .conftest import LOADED, QUEUE, CupsRig, IppStation, ipp_config


def _attempts(running: IppStation) -> list[tuple[str, str | None]]:
    with running.store.db.reading() as conn:
        rows = conn.execute("SELECT outcome, cause FROM attempts ORDER BY id").fetchall()
    return [(row[0], row[1]) for row in rows]


def _flags(running: IppStation) -> tuple[str, ...]:
    printer = running.station.call(running.station.status).printer  # on the loop, as it ticks
    return printer.flags if printer else ()


def test_the_demo_cards_are_printed_through_cups(make_rig, make_station) -> None:
    rig: CupsRig = make_rig()
    running: IppStation = make_station(rig)
    outcomes = [running.store.intake.submit(job).outcome for job in sample_jobs()]
    assert outcomes == ["accepted"] * 4 + ["rejected"]
    wait_until(lambda: running.states()["printed"] == 4, 60, "the demo's cards through CUPS")
    assert [(r["counter"], r["result"], r["panels"]) for r in rig.cards()] == [
        (n, "printed", 7) for n in range(1, 5)
    ]
    # each attempt stored its CUPS job before the document went; card_counter is that job
    assert running.printer_jobs() == [1, 2, 3, 4]
    printed = running.events("card.printed")
    assert sorted(e.data["card_counter"] for e in printed) == [1, 2, 3, 4]
    assert rig.printer.state.cards == 46


@pytest.mark.parametrize(
    ("printer", "flag", "cause"),
    [
        ({"cards": 0}, "WAR_FEEDER_EMPTY", PrinterFault.FEEDER_EMPTY),
        ({"ribbon": 0}, "WAR_RIBBON_ENDED", PrinterFault.RIBBON_OUT),
        ({"film": 0}, "WAR_CLEAR_END", PrinterFault.FILM_OUT),  # a vendor keyword, from config
        (
            {"faults": ({"at_card": 1, "kind": "cover_open", "seconds": 600},)},
            "WAR_COVER_OPEN",
            PrinterFault.COVER_OPEN,
        ),
    ],
    ids=["media-empty", "ribbon-out", "film-out", "door-open"],
)
def test_a_fault_before_the_card_queues_it_again_and_blocks(
    make_rig, make_station, printer, flag: str, cause: PrinterFault
) -> None:
    """The backend reports the fault as a vendor's does (`STATE: +...-error`, exit 1); the CUPS
    job is aborted with no page; the station queues the card again, sends no second job while
    the queue reports the fault, and no blank was fed."""
    rig: CupsRig = make_rig(**printer)
    running: IppStation = make_station(rig)
    running.store.intake.submit(sample_jobs()[0])
    wait_until(lambda: _attempts(running) == [("not_printed", cause)], 30, "the fault settled")
    wait_until(lambda: running.states()["queued"] == 1, 10, "the card queued again")
    wait_until(lambda: flag in _flags(running), 10, f"{flag} in the status")
    assert running.printer_jobs() == [1]  # one CUPS job: none sent again while blocked
    assert [r for r in rig.cards() if r["result"] == "printed"] == []


def test_a_ribbon_out_said_only_as_a_message_settles_as_its_keyword_would(
    make_rig, make_station
) -> None:
    """HID's status monitor reports the printer's state as text: here the backend says the
    ribbon out only as the queue's state message (`ERROR: Ribbon out: ...`, no keyword), and the
    station's config maps "ribbon out" to `ribbon_out` (`[printer.ipp] messages`). The card
    settles as with `marker-supply-empty`: not printed, queued again, no second job while the
    message stands; a ribbon reload clears it and the card prints."""
    rig: CupsRig = make_rig(ribbon=0, messages=True)
    running: IppStation = make_station(rig)
    running.store.intake.submit(sample_jobs()[0])
    wait_until(
        lambda: _attempts(running) == [("not_printed", PrinterFault.RIBBON_OUT)],
        30,
        "the ribbon out settled",
    )
    wait_until(lambda: running.states()["queued"] == 1, 10, "the card queued again")
    wait_until(lambda: "WAR_RIBBON_ENDED" in _flags(running), 10, "the ribbon out in the status")
    assert rig.queue_state() == (["none"], "Ribbon out: replace the ribbon")  # no keyword
    assert running.printer_jobs() == [1]
    _load_and_reload(rig, running, Consumable.RIBBON, loaded=200, booked=200)
    wait_until(lambda: running.states()["printed"] == 1, 30, "the card after the reload")
    assert running.printer_jobs() == [1, 2]
    assert [r["result"] for r in rig.cards()] == ["printed"]


def test_a_jam_spoils_the_blank_once(make_rig, make_station) -> None:
    """A jam at the first card: the backend reports `media-jam-error` and a page fed; the
    station books the blank spoiled (cause jam), and prints nothing more while the queue
    reports the jam."""
    rig: CupsRig = make_rig(faults=({"at_card": 1, "kind": "jam"},))
    running: IppStation = make_station(rig)
    running.store.intake.submit(sample_jobs()[0])
    wait_until(lambda: running.events("card.spoiled"), 30, "the spoiled card")
    assert running.events("card.spoiled")[0].data["cause"] == SpoilCause.JAM
    assert _attempts(running)[0] == ("spoiled", SpoilCause.JAM)
    assert [r["result"] for r in rig.cards()][:1] != ["printed"]
    wait_until(lambda: "ERR_MECHANICAL" in _flags(running), 10, "the jam in the status")
    assert running.printer_jobs() == [1]


def test_a_reload_clears_the_reason_the_last_job_left(make_rig, make_station) -> None:
    """CUPS keeps `media-empty-error` after the job that reported it: the station starts no card
    until a person records a reload, then the next job reports afresh and the card prints."""
    rig: CupsRig = make_rig(cards=0)
    running: IppStation = make_station(rig)
    running.store.intake.submit(sample_jobs()[0])
    wait_until(lambda: "WAR_FEEDER_EMPTY" in _flags(running), 30, "the hopper empty")
    _load_and_reload(rig, running, Consumable.CARDS, loaded=10, booked=50)
    wait_until(lambda: running.states()["printed"] == 1, 30, "the card after the reload")
    assert running.printer_jobs() == [1, 2]
    assert [r["result"] for r in rig.cards()] == ["printed"]
    # job 1 fed no blank: the queue's job number moving past it is no card printed outside
    assert running.events("cards.unaccounted") == []


def test_the_doctor_probes_the_cups_queue(make_rig, tmp_path) -> None:
    rig: CupsRig = make_rig()
    path = ipp_config(tmp_path, rig.cups.port, QUEUE)
    out = io.StringIO()
    run_doctor(path, out)
    assert "Local Raw Printer serial urn:uuid:" in out.getvalue()
    assert f"as CUPS queue {QUEUE} on 127.0.0.1" in out.getvalue()


def test_a_job_whose_document_never_arrived_is_cancelled_and_the_card_printed_anew(
    make_rig, make_station, tmp_path
) -> None:
    """A stop during Send-Document leaves the CUPS job waiting for a document nothing will send
    (until CUPS' MultipleOperationTimeout). The kill run's IPP variant found the restarted
    station following it for job_timeout_s, then sending the card to review with no blank fed.
    After a stop the station cancels such a job and queues the card again."""
    rig: CupsRig = make_rig()
    config = load_config(ipp_config(tmp_path, rig.cups.port, QUEUE))
    store = Store.open(
        config.db_path, config.station.id, SystemClock(),
        low_thresholds=config.consumables.low_thresholds, initial_load=LOADED,
    )  # fmt: skip
    try:
        assert store.intake.submit(sample_jobs()[0]).outcome == "accepted"
        with store.db.reading() as conn:
            [(job_id,)] = conn.execute("SELECT job_id FROM jobs").fetchall()
        store.jobs.start(job_id, 0, CounterKind.JOBS)
        cups.setServer("127.0.0.1")
        cups.setPort(rig.cups.port)
        unsent = cups.Connection().createJob(QUEUE, "e-KTP card", {})  # the stop: no document
        store.jobs.submitted(job_id, unsent)
    finally:
        store.close()
    running: IppStation = make_station(rig)
    wait_until(lambda: running.states()["printed"] == 1, 60, "the card printed anew")
    assert _attempts(running) == [("not_printed", "interrupted"), ("printed", None)]
    assert {job: a["job-state"] for job, a in rig.jobs().items()} == {1: 7, 2: 9}
    assert [r["result"] for r in rig.cards()] == ["printed"]


def test_a_job_ended_with_nothing_said_is_a_persons_to_decide_and_no_blank_is_booked(
    make_rig, make_station
) -> None:
    """The backend cannot reach the printer (here its device URI names a port nothing listens
    on): it gives up after its reconnect window and exits with nothing said, the CUPS job is
    aborted with no page and no reason, and the station asks a person (`job.needs_review`, no
    counter). The person finds no card: `not_printed` needs a reason, books no blank (none was
    fed: the kill run's operator once took the last card in the trays, another's, for it), and
    the card prints once the queue reaches the printer again."""
    rig: CupsRig = make_rig()
    live = f"cardsim://127.0.0.1:{rig.server.port}"
    rig.cups.lpadmin("-p", QUEUE, "-v", f"cardsim://127.0.0.1:{free_port()}")
    running: IppStation = make_station(rig)
    job = sample_jobs()[0]
    running.store.intake.submit(job)
    job_id = json.loads(job)["job_id"]
    wait_until(lambda: running.events("job.needs_review"), 60, "the review")
    review = running.events("job.needs_review")[0]
    assert review.data["card_counter"] is None
    assert review.data["cause"].startswith("CUPS job 1 aborted")
    assert rig.cards() == []
    rig.cups.lpadmin("-p", QUEUE, "-v", live)
    commands = StationCommands(running.station, local=True)
    resolve = {"job_id": job_id, "outcome": "not_printed"}
    with pytest.raises(CommandError) as refused:
        commands.handle(CommandName.RESOLVE, resolve)
    assert refused.value.code == CommandErrorCode.INVALID_ARGS
    commands.handle(CommandName.RESOLVE, {**resolve, "reason": "no card in the trays"})
    wait_until(lambda: running.states()["printed"] == 1, 30, "the card once CUPS reaches it")
    assert [r["result"] for r in rig.cards()] == ["printed"]
    assert running.events("card.printed")[0].data["attempts"] == 1
    with running.store.db.reading() as conn:
        assert running.store.ledger.remaining(conn, Consumable.CARDS) == LOADED["cards"] - 1


def _load_and_reload(
    rig: CupsRig, running: IppStation, consumable: Consumable, *, loaded: int, booked: int
) -> None:
    """A person puts `loaded` into the printer, then records a reload of `booked` at the
    station."""
    loader = network_driver(
        "127.0.0.1", rig.server.port, clock=SystemClock(), virtual_extensions=True
    )
    loader.set_level(consumable, loaded)
    loader.close()
    StationCommands(running.station, local=True).handle(
        CommandName.RELOAD, {"consumable": consumable, "count": booked}
    )
