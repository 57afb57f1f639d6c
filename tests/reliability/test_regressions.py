"""Regression tests for what the reliability suite found broken (docs/reliability.md, "Found").

Each test is the smallest case of a failure the suite's fuzz or fault runs produced.
"""

from __future__ import annotations

import base64
import errno
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from contract.clock import ManualClock
from contract.jobspec import Rejection, parse_job
from controller.app.config import ConfigError, load_config
from controller.core.consumable_counts import note_untold_reload
from controller.local.client import request
from controller.local.server import ControlServer
from controller.mqtt.requests import CommandProcessor
from controller.queue.db import StoreError
from controller.queue.intake import layout_problems
from controller.queue.store import Store
from firmware.state import CardRecord, PrinterState, StateStore
from testkit.broker import free_port
from testkit.jobs import station_today
from testkit.station_process import Fault, StationProcess, StationSettings
from testkit.waiting import wait_until
from tests.reliability.inprocess import LocalStation, answer_as_root, local_station
from tests.reliability.people import encode, valid_job
from tests.reliability.storage import remounted_read_only, small_tmpfs

pytestmark = pytest.mark.reliability
TODAY = date(2026, 11, 22)


def job_bytes(**changes: object) -> bytes:
    job = valid_job(7, "rg", today=TODAY)
    card = changes.pop("card", {})
    job.update(changes)
    job["card"].update(card)  # type: ignore[arg-type]
    return encode(job)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[Store]:
    opened = Store.open(
        tmp_path / "station.db",
        "3271-bogor-timur-01",
        clock,
        low_thresholds={"cards": 1, "ribbon": 1, "film": 1},
        initial_load={},
    )
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStation]:
    with local_station(tmp_path_factory.mktemp("regressions")) as station:
        yield station


# -- jobs ------------------------------------------------------------------------------------


def test_a_lone_surrogate_escape_in_a_job_is_rejected_as_invalid_json(store: Store) -> None:
    """Found: `"x": "\\ud800"` in an extra field passed validation, then the content hash's
    UTF-8 encoding raised UnicodeEncodeError; over MQTT the message was never acknowledged
    and came back on every reconnection (a poison message)."""
    raw = job_bytes()[:-1] + b',"x":"\\ud800"}'
    result = parse_job(raw, TODAY, layout_problems)
    assert isinstance(result, Rejection)
    assert (result.code, result.job_id) == ("invalid_json", "RJ-rg-000007")
    assert store.intake.submit(raw).code == "invalid_json"
    assert store.outbox.all_events()[-1].data["code"] == "invalid_json"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"job_id": "JOB-1\n"}, "invalid_field"),
        ({"card": {"nik": "3271040107500007\n"}}, "invalid_nik"),
    ],
)
def test_a_trailing_line_break_makes_a_job_id_or_nik_invalid(
    changes: dict[str, object], code: str
) -> None:
    """Found: the patterns end in `$`, which `re.match` lets match before a final newline:
    `"JOB-1\\n"` was accepted as a job_id (and sent back in events), a NIK with a newline got
    `invalid_field` instead of `invalid_nik`."""
    result = parse_job(job_bytes(**changes), TODAY, layout_problems)
    assert isinstance(result, Rejection)
    assert result.code == code


def test_a_command_naming_a_job_id_with_a_line_break_is_invalid_args(
    running: LocalStation,
) -> None:
    reply = running.processor.process(
        "cancel",
        json.dumps(
            {
                "schema": "ektp.cmd/1",
                "cmd_id": "nl-1",
                "args": {"job_id": running.queued_job + "\n"},
            }
        ).encode(),
    )
    assert json.loads(reply.payload)["error"]["code"] == "invalid_args"


def test_a_station_id_with_a_line_break_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "station.toml"
    path.write_text('[station]\nid = "3271-bogor-timur-01\\n"\n')
    with pytest.raises(ConfigError, match=r"\[station\] id"):
        load_config(path)


# -- commands --------------------------------------------------------------------------------


def command_reply(running: LocalStation, payload: bytes, name: str = "status") -> dict:
    return json.loads(running.processor.process(name, payload).payload)


def test_a_deeply_nested_command_is_answered_invalid_json(running: LocalStation) -> None:
    """Found: `json.loads` raised RecursionError, which the processor did not catch; the
    command was never acknowledged and came back on every reconnection."""
    payload = b'{"schema":"ektp.cmd/1","cmd_id":"deep-1","args":' + b"[" * 5000
    payload += b"]" * 5000 + b"}"
    reply = command_reply(running, payload)
    assert (reply["cmd_id"], reply["error"]["code"]) == (None, "invalid_json")


def test_a_cmd_id_with_a_lone_surrogate_is_answered_invalid_schema(running: LocalStation) -> None:
    """Found: such a cmd_id passed the check, then storing the reply under it raised
    UnicodeEncodeError (again an unacknowledged, returning message)."""
    reply = command_reply(running, b'{"schema":"ektp.cmd/1","cmd_id":"c-\\udc80"}')
    assert (reply["cmd_id"], reply["error"]["code"]) == (None, "invalid_schema")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-16-be"])
def test_a_command_in_utf16_or_utf32_is_not_run(running: LocalStation, encoding: str) -> None:
    """Found: `json.loads(bytes)` guesses UTF-16 and UTF-32, so such a request was executed;
    the contract says every payload is UTF-8 JSON (as the job intake already required)."""
    body = {"schema": "ektp.cmd/1", "cmd_id": f"enc-{encoding}", "args": {}}
    reply = command_reply(running, json.dumps(body).encode(encoding), name="resume")
    assert (reply["cmd_id"], reply["error"]["code"]) == (None, "invalid_json")
    assert running.station.call(lambda: running.station.paused)  # not resumed


def test_the_control_socket_answers_a_deeply_nested_request(running: LocalStation) -> None:
    """Found: RecursionError ended the socket's handler thread; `printstation` got no answer."""
    answer = answer_as_root(running.local, b"[" * 5000 + b"]" * 5000)
    assert answer["error"]["code"] == "invalid_json"


def test_the_control_socket_stops_on_read_only_storage_and_is_replaced_at_the_next_start(
    running: LocalStation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the read-only storage test: on SIGTERM the daemon died with a traceback, as
    its control socket could not be removed from the read-only state directory."""
    path = tmp_path / "control.sock"
    server = ControlServer(path, running.local)
    server.start()
    assert request(path, "status")["ok"]

    def read_only(self: Path, missing_ok: bool = False) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    with monkeypatch.context() as patched:
        patched.setattr(Path, "unlink", read_only)
        server.stop()
    assert path.exists()  # left for the next start
    replacement = ControlServer(path, running.local)
    replacement.start()
    assert request(path, "status")["ok"]
    replacement.stop()
    assert not path.exists()


def test_a_reload_with_a_capacity_below_its_count_is_refused(running: LocalStation) -> None:
    """Found: `reload cards 10 --capacity 1` was answered ok (remaining 10 of 1) and booked in
    the ledger, while the printer refused it; the printer's count then overrode the ledger."""
    before = running.station.call(lambda: running.station.status().consumables["cards"])
    body = {
        "schema": "ektp.cmd/1",
        "cmd_id": "cap-1",
        "args": {"consumable": "cards", "count": 10, "capacity": 1},
    }
    reply = command_reply(running, json.dumps(body).encode(), name="reload")
    assert reply["error"]["code"] == "invalid_args"
    assert running.station.call(lambda: running.station.status().consumables["cards"]) == before


# -- personal data at rest ---------------------------------------------------------------------


def picture_bytes_on_disk(store: Store, token: bytes) -> list[str]:
    """The station's database files (as a power cut leaves them) that hold `token`."""
    folder = store.db.path.parent
    return [
        p.name for p in sorted(folder.glob(store.db.path.name + "*")) if token in p.read_bytes()
    ]


@pytest.mark.parametrize("end", ["cancel", "expire"])
def test_the_pictures_of_an_ended_job_are_gone_from_the_database_files(
    store: Store, clock: ManualClock, end: str
) -> None:
    """Found by the kill run: after a SIGKILL, the WAL (and, after a checkpoint, the database
    file) still held the photo and signature of jobs that had ended; secure_delete zeroes only
    the new page versions. A checkpoint (TRUNCATE) now follows the commit that ends a job."""
    job = valid_job(8, "rg", today=TODAY)
    if end == "expire":
        job["not_after"] = "2026-11-22T02:00:00Z"  # the store's ManualClock starts at 01:00
    assert store.intake.submit(encode(job)).outcome == "accepted"
    with store.db.transaction():
        pass  # an ordinary commit in between
    assert picture_bytes_on_disk(store, b"PHOTO-rg-000008")  # the test can see them
    if end == "cancel":
        store.jobs.cancel(job["job_id"], by="test")
    else:
        clock.advance(2 * 3600)
        assert store.jobs.expire_due() == [job["job_id"]]
    for token in (b"PHOTO-rg-000008", b"SIGN-rg-000008"):
        assert picture_bytes_on_disk(store, token) == [], token


def test_a_restart_scrubs_what_a_power_cut_left_between_commit_and_checkpoint(
    tmp_path: Path, clock: ManualClock
) -> None:
    """The kill run's power-cut scans: a SIGKILL between the commit that ends a job and its
    checkpoint left the pictures until the next job ended; the first commit after opening the
    database now checkpoints too."""
    job = valid_job(9, "rg", today=TODAY)
    path = tmp_path / "station.db"
    first = Store.open(
        path,
        "3271-bogor-timur-01",
        clock,
        low_thresholds={"cards": 1, "ribbon": 1, "film": 1},
        initial_load={},
    )
    first.intake.submit(encode(job))
    first.db.scrub_after_commit = lambda: None  # type: ignore[method-assign]  # the cut
    first.jobs.cancel(job["job_id"], by="test")
    assert picture_bytes_on_disk(first, b"PHOTO-rg-000009")
    again = Store.open(
        path,
        "3271-bogor-timur-01",
        clock,
        low_thresholds={"cards": 1, "ribbon": 1, "film": 1},
        initial_load={},
    )
    try:
        assert picture_bytes_on_disk(again, b"PHOTO-rg-000009") == []
    finally:
        again.close()
        first.close()


# -- the consumables ledger --------------------------------------------------------------------


def never_within(seconds: float, found: Callable[[], object], what: str) -> None:
    """Poll `found` for `seconds` (the printer is polled every 50 ms meanwhile); fail at
    once if it returns something."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert not found(), f"{what}: {found()}"
        time.sleep(0.01)


def ledger_adjustments(station: LocalStation) -> list[tuple[str, int, str]]:
    with station.store.db.reading() as conn:
        rows = conn.execute(
            "SELECT consumable, delta, note FROM ledger WHERE kind = 'adjust' ORDER BY id"
        ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def test_a_blank_waiting_for_review_is_not_booked_as_a_printer_count_adjustment(
    tmp_path: Path,
) -> None:
    """Found by the kill run: while a card waited for review, the printer already counted its
    blank and the ledger did not, so the station booked -1 "printer count" for each
    consumable, and +1 after the review: unexplained adjustments of controlled documents."""
    fault = '{ at_card = 1, kind = "unplug", seconds = 0.2 }'
    with local_station(tmp_path, paused=False, faults=fault, with_jobs=False) as running:
        job = valid_job(10, "rg", today=station_today())
        assert running.store.intake.submit(encode(job)).outcome == "accepted"
        waiting = lambda: running.store.jobs.get(job["job_id"]).state == "needs_review"  # noqa: E731
        wait_until(waiting, 10, "the card to go to review")
        never_within(0.5, lambda: ledger_adjustments(running), "an adjustment during review")
        running.local.handle("resolve", {"job_id": job["job_id"], "outcome": "printed"})
        status = lambda: running.station.call(running.station.status)  # noqa: E731
        wait_until(lambda: status().consumables["cards"].remaining == 99, 5, "the count")
        assert ledger_adjustments(running) == []


def test_a_reload_booked_before_a_stop_reaches_the_printer_at_the_next_start(
    tmp_path: Path,
) -> None:
    """Found by the kill run: a SIGKILL after `reload` was booked in the ledger and before the
    printer was told left the printer at its old count; the next start took that count
    (adjust -300 "printer count"), and the MQTT command, redelivered, booked the load again.
    The state such a stop leaves is made here directly: the booking, no printer command."""
    with local_station(tmp_path, with_jobs=False) as first:
        printer_cards = first.station.call(first.station.status).consumables["cards"]
    store = Store.open(
        tmp_path / "station.db", "3271-bogor-timur-01", ManualClock(),
        low_thresholds={"cards": 3, "ribbon": 3, "film": 3}, initial_load={},
    )  # fmt: skip
    with store.db.transaction() as tx:
        store.ledger.reload(tx, "cards", 300, None, "LOT-1", ManualClock().now())
        note_untold_reload(tx, "cards", 300, None)
    store.close()
    with local_station(tmp_path, with_jobs=False) as second:
        state = tmp_path / "virtual-printer" / "state.json"
        wait_until(lambda: json.loads(state.read_text())["cards"] == 300, 5, "the printer told")
        never_within(0.3, lambda: ledger_adjustments(second), "an adjustment")
        status = second.station.call(second.station.status)
        assert status.consumables["cards"].remaining == 300
    assert printer_cards.remaining != 300


class Crash(BaseException):
    """The station stopping in the middle of a command (nothing catches it)."""


class Handler:
    def __init__(self, crash: bool = False) -> None:
        self.calls: list[str] = []
        self.crash = crash

    def handle(self, name: str, args: dict[str, object], actor: object = None) -> dict[str, object]:
        self.calls.append(name)
        if self.crash:
            raise Crash
        return {"done": name}


def test_a_command_interrupted_by_a_stop_is_not_run_again(store: Store) -> None:
    """Found by the kill run: the handler's effect (a reload booked) was committed, the reply
    not yet; the broker delivered the command again and it ran a second time. Now the second
    delivery is answered invalid_state (effect unknown), every later one the same."""
    payload = b'{"schema":"ektp.cmd/1","cmd_id":"op-7","args":{}}'
    with pytest.raises(Crash):
        CommandProcessor(store.db, Handler(crash=True), ManualClock()).process("reload", payload)
    after = Handler()
    processor = CommandProcessor(store.db, after, ManualClock())
    first = json.loads(processor.process("reload", payload).payload)
    assert after.calls == []
    assert (first["cmd_id"], first["error"]["code"]) == ("op-7", "invalid_state")
    again = processor.process("reload", payload)
    assert again.repeated and json.loads(again.payload) == first
    fresh = json.loads(processor.process("reload", payload.replace(b"op-7", b"op-8")).payload)
    assert fresh["ok"] and after.calls == ["reload"]


def test_opening_the_store_on_read_only_storage_is_a_clear_store_error(tmp_path: Path) -> None:
    """Found by the disk test: after a power cut (the WAL and its index still there) on a file
    system that came back read-only, SQLite opened the database read-only without complaint;
    the daemon went on and died on its control socket with a traceback. Opening the store now
    writes, and fails with StoreError, which the CLI turns into its one-line message."""

    def open_store(path: Path) -> Store:
        return Store.open(
            path, "3271-bogor-timur-01", ManualClock(),
            low_thresholds={"cards": 1, "ribbon": 1, "film": 1}, initial_load={"cards": 5},
        )  # fmt: skip

    with small_tmpfs(tmp_path / "state") as state:
        running = open_store(state / "station.db")
        (state / "cut").mkdir()
        for part in state.glob("station.db*"):  # the files as a power cut leaves them
            (state / "cut" / part.name).write_bytes(part.read_bytes())
        running.close()
        assert (state / "cut" / "station.db-wal").exists()
        with remounted_read_only(state), pytest.raises(StoreError, match="readonly"):
            open_store(state / "cut" / "station.db")


# -- the printer after a stop ------------------------------------------------------------------


def test_a_jam_left_by_a_stop_is_ejected_and_printing_goes_on(tmp_path: Path) -> None:
    """Found while checking the jam fault against SIGKILLs: killed between the jam and the
    driver's eject (`Ser`), the station came back to a printer reporting ERR_MECHANICAL,
    which nothing cleared and no command could: `error` for good, the job waiting forever.
    Now a jam reported between cards is ejected to the reject tray once."""
    settings = StationSettings(mqtt_port=free_port(), seconds_per_card=1.5,
                               faults=(Fault(1, "jam"),))  # fmt: skip
    station = StationProcess(tmp_path, settings)
    try:
        station.start()
        station.wait_ready()
        job = valid_job(11, "rg", today=station_today())
        payload = {"payload_b64": base64.b64encode(encode(job)).decode()}
        assert station.command("submit", payload)["result"]["outcome"] == "accepted"
        wait_until(lambda: station.card_count() == 1, 10, "the jammed blank")
        station.kill()  # within the card's 1.5 s: the printer holds the jammed card
        station.start()
        station.wait_ready()
        # The driver sees the jam at once (the error with the counter moved): killed after the
        # station recorded the spoiled blank, the card is simply printed again; killed before,
        # the restart finds it interrupted, and a person says it was spoiled.
        settled = ("needs_review", "printed")
        wait_until(lambda: _state(station, job["job_id"]) in settled, 15, "the job settled")
        assert station.cards()[0].result == "spoiled"  # the tray: the reject box
        if _state(station, job["job_id"]) == "needs_review":
            station.command("resolve", {"job_id": job["job_id"], "outcome": "spoiled"})
        wait_until(lambda: [c.result for c in station.cards()] == ["spoiled", "printed"], 15,
                   "the card printed again")  # fmt: skip
        status = station.command("status")["result"]
        assert "ERR_MECHANICAL" not in status["printer"]["flags"]
    finally:
        station.kill()


def _state(station: StationProcess, job_id: str) -> str:
    """The job's state as the store has it (the `jobs` command lists only the active ones, so
    a job that ended is not in it)."""
    with sqlite3.connect(f"file:{station.db_path}?mode=ro", uri=True) as db:
        row = db.execute("SELECT state FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    return str(row[0]) if row else "missing"


@pytest.mark.parametrize(("consumable", "count"), [("ribbon", 500), ("cards", 300)])
def test_a_reload_while_a_card_waits_for_review_keeps_the_books_straight(
    tmp_path: Path, consumable: str, count: int
) -> None:
    """Found by the kill run: a ribbon broke on a card, the station was killed, the card went
    to review, and the operator reloaded before deciding it. The reload counted the card's
    ribbon as still on the old roll, the decision then took it from the new one, and the
    printer's count had to be adopted (+1 "printer count")."""
    fault = '{ at_card = 1, kind = "unplug", seconds = 0.2 }'
    with local_station(tmp_path, paused=False, faults=fault, with_jobs=False) as running:
        job = valid_job(12, "rg", today=station_today())
        assert running.store.intake.submit(encode(job)).outcome == "accepted"
        waiting = lambda: running.store.jobs.get(job["job_id"]).state == "needs_review"  # noqa: E731
        wait_until(waiting, 10, "the card to go to review")
        running.local.handle(
            "reload", {"consumable": consumable, "count": count, "capacity": count}
        )
        running.local.handle("resolve", {"job_id": job["job_id"], "outcome": "printed"})
        printer = tmp_path / "virtual-printer" / "state.json"
        status = lambda: running.station.call(running.station.status)  # noqa: E731
        wait_until(lambda: json.loads(printer.read_text())[consumable] == count, 5, "the printer")
        never_within(0.5, lambda: [a for a in ledger_adjustments(running) if a[2] !=
                     "old roll taken out"], "an unexplained adjustment")  # fmt: skip
        assert status().consumables[consumable].remaining == count


@pytest.mark.parametrize("fault", ["ribbon_break", "jam"])
def test_a_fault_survives_a_stop_between_the_card_log_and_the_state_file(
    tmp_path: Path, fault: str
) -> None:
    """Found by the kill run (a SIGKILL aimed at a ribbon break): the virtual printer logged
    the spoiled card, died before saving its state, and replayed the card at the next start
    without the fault: it printed on with a broken ribbon. The log line now names the fault."""
    store = StateStore(tmp_path / "virtual-printer")
    store.load(PrinterState.loaded(5, 5, 5))
    store.append(CardRecord(1, "spoiled", "a" * 64, "2026-11-22T01:00:00Z", 6, fault))
    state = StateStore(tmp_path / "virtual-printer").load(PrinterState())
    assert (state.ribbon_broken, state.jammed) == (fault == "ribbon_break", fault == "jam")
    assert json.loads(store.log_path.read_text())["fault"] == fault
