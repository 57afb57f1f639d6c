"""The final checks of a run: each reads the evidence (the station's database after a clean
stop, the virtual printer's own log, everything the recorder received) and asserts one
invariant of docs/design.md; each returns figures for the summary."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from contract.clock import ManualClock, SystemClock, parse_rfc3339
from contract.vocabulary import Consumable, Role
from controller.policy.thermal import ThermalModel
from controller.queue.accounts import Account
from controller.queue.outbox import OutboxEvent
from controller.queue.store import Store
from controller.queue.transitions import ENDED
from evolis_wire.panels import CardPanels
from testkit.station_process import STATION, TOPIC_BASE, CardLine, StationSettings
from tests.reliability import card_faces
from tests.reliability.broker_log import unconfirmed_at_kills
from tests.reliability.peers import Message
from tests.reliability.people import Person

TERMINAL = {
    "card.printed": "printed",
    "job.failed": "failed",
    "job.cancelled": "cancelled",
    "job.expired": "expired",
}
STATION_TOPICS = ("status", "event/", "reply")
CENTRAL_TOPICS = ("job", "cmd/")
COMPLETED = 9  # IPP job-state completed


@dataclass(frozen=True)
class Evidence:
    """Everything a run left behind, read once: the station's database (what it did and
    emitted), the printer's log (what it fed), the recorder's messages (what left)."""

    jobs: dict[str, sqlite3.Row]
    attempts: list[sqlite3.Row]
    outbox_pending: int
    events: dict[int, dict[str, Any]]  # seq -> body: every event the station emitted
    payloads: dict[int, bytes]  # seq -> the exact bytes the station publishes for it
    received: dict[int, set[bytes]]  # seq -> the distinct payloads the recorder got for it
    arrivals: list[int]  # seq of every event message received, repeats included, in order
    cards: list[CardLine]
    messages: list[Message]

    @property
    def outbox_max(self) -> int:
        return max(self.events, default=0)

    @property
    def not_received(self) -> set[int]:
        return set(self.events) - set(self.received)

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [e for e in self.events.values() if e["type"] == event_type]


def gather(db_path: Path, cards: list[CardLine], messages: list[Message]) -> Evidence:
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        jobs = {row["job_id"]: row for row in conn.execute("SELECT * FROM jobs")}
        attempts = list(conn.execute("SELECT * FROM attempts ORDER BY id"))
        pending = conn.execute("SELECT count(*) FROM outbox WHERE delivered_at IS NULL")
        outbox_pending = pending.fetchone()[0]
        rows = conn.execute("SELECT seq, type, job_id, time, data FROM outbox ORDER BY seq")
        emitted = [OutboxEvent(row[0], row[1], row[2], row[3], json.loads(row[4])) for row in rows]
    events = {event.seq: event.message(STATION) for event in emitted}
    payloads = {event.seq: event.payload(STATION) for event in emitted}
    received: dict[int, set[bytes]] = defaultdict(set)
    arrivals = []
    for message in messages:
        if message.topic.startswith(f"{TOPIC_BASE}/event/"):
            seq = message.json()["seq"]
            received[seq].add(message.payload)
            arrivals.append(seq)
    return Evidence(
        jobs, attempts, outbox_pending, events, payloads, dict(received), arrivals, cards,
        messages,
    )  # fmt: skip


# -- invariant 2: nothing acknowledged is lost; every job ends exactly once -------------------


def check_jobs_ended_once(ev: Evidence, sent_valid: Iterable[str]) -> dict[str, Any]:
    accepted = Counter(e["job_id"] for e in ev.of_type("job.accepted"))
    ends: dict[str, list[str]] = defaultdict(list)
    for event in ev.events.values():
        if event["type"] in TERMINAL:
            ends[event["job_id"]].append(event["type"])
    missing = sorted(set(sent_valid) - set(ev.jobs))
    assert not missing, f"{len(missing)} valid jobs never stored, e.g. {missing[:5]}"
    not_ended = {job: row["state"] for job, row in ev.jobs.items() if row["state"] not in ENDED}
    assert not not_ended, f"jobs not ended: {dict(list(not_ended.items())[:5])}"
    twice = {job: n for job, n in accepted.items() if n != 1}
    assert not twice, f"job.accepted not exactly once: {dict(list(twice.items())[:5])}"
    assert set(accepted) == set(ev.jobs), "a stored job without job.accepted, or the reverse"
    wrong = {
        job: (row["state"], ends.get(job))
        for job, row in ev.jobs.items()
        if [TERMINAL[t] for t in ends.get(job, [])] != [row["state"]]
    }
    assert not wrong, f"jobs without exactly one matching end event: {list(wrong.items())[:5]}"
    return {
        "jobs stored": len(ev.jobs),
        "ended": dict(Counter(row["state"] for row in ev.jobs.values())),
    }


# -- invariant 1: no duplicate cards -----------------------------------------------------------


def check_cards(ev: Evidence, sample: Sequence[dict[str, Any]]) -> dict[str, Any]:
    printed = [line for line in ev.cards if line.result == "printed"]
    spoiled = [line for line in ev.cards if line.result == "spoiled"]
    assert [line.counter for line in ev.cards] == list(range(1, len(ev.cards) + 1))
    shas = Counter(line.front_sha256 for line in printed)
    twice = [sha for sha, n in shas.items() if n > 1]
    assert not twice, f"{len(twice)} people got two good cards (same front), e.g. {twice[:2]}"
    card_events = ev.of_type("card.printed")
    by_job = Counter(e["job_id"] for e in card_events)
    assert max(by_job.values(), default=1) == 1, "a job has two distinct card.printed events"
    counters = Counter(e["data"]["card_counter"] for e in card_events)
    assert max(counters.values(), default=1) == 1, "two card.printed events for one card"
    assert set(counters) == {line.counter for line in printed}, (
        "card.printed events and the printer's good cards differ: "
        f"only events {sorted(set(counters) - {line.counter for line in printed})[:5]}, "
        f"only cards {sorted({line.counter for line in printed} - set(counters))[:5]}"
    )
    assert len(ev.of_type("card.spoiled")) == len(spoiled), "card.spoiled != rejected blanks"
    line_of = {line.counter: line for line in ev.cards}
    checked = trace_sample(
        ev,
        sample,
        lambda event: line_of[event["data"]["card_counter"]],
        card_faces.direct,
    )
    return {
        "blanks fed (printer log)": len(ev.cards),
        "good cards": len(printed),
        "spoiled blanks": len(spoiled),
        "duplicate cards": 0,
        "cards traced to their job by rendering": checked,
    }


def trace_sample(
    ev: Evidence,
    sample: Sequence[dict[str, Any]],
    card_of: Callable[[dict[str, Any]], CardLine],
    front_of: Callable[[CardPanels], str],
) -> int:
    """The card under each sampled job's card.printed (`card_of` the event) is that job's own
    card: its front as the printer got it (`front_of` the station's panels) is the log's."""
    event_of = {e["job_id"]: e for e in ev.of_type("card.printed")}
    checked = 0
    for job in sample:
        event = event_of.get(job["job_id"])
        if event is None:
            continue
        assert card_of(event).front_sha256 == front_of(card_faces.rendered(job)), job["job_id"]
        checked += 1
    return checked


def check_cards_through_cups(
    ev: Evidence, cups_jobs: dict[int, dict[str, Any]], sample: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Invariant 1 with driver = "ipp", where a card's card_counter is its CUPS job's number,
    not the printer's counter. The queue prints one job at a time, so the CUPS jobs that fed a
    blank (pages counted), in number order, are the printer log's blanks in order: each blank's
    CUPS job, and the station's job that stored it, are known. No blank was fed by a CUPS job
    the station did not store; no job (person) has two good cards; every good card has its
    job's card.printed and no other; a completed CUPS job's blank is a good card, and a good
    card of a CUPS job that did not complete (a blank fed, outcome unknown) was a person's
    decision (job.resolved); each card.printed settled by CUPS names its own job's job."""
    assert [line.counter for line in ev.cards] == list(range(1, len(ev.cards) + 1))
    printed = [line for line in ev.cards if line.result == "printed"]
    spoiled = [line for line in ev.cards if line.result == "spoiled"]
    twice = [sha for sha, n in Counter(c.front_sha256 for c in printed).items() if n > 1]
    assert not twice, f"{len(twice)} people got two good cards (same front), e.g. {twice[:2]}"
    fed = [job for job, a in sorted(cups_jobs.items()) if a.get("job-impressions-completed")]
    assert len(fed) == len(ev.cards), (
        f"CUPS jobs that fed a blank ({len(fed)}) != blanks the printer fed ({len(ev.cards)})"
    )
    line_of = dict(zip(fed, ev.cards, strict=True))
    owner = {row["printer_job"]: row["job_id"] for row in ev.attempts if row["printer_job"]}
    orphans = [job for job in fed if job not in owner]
    assert not orphans, f"blanks fed by CUPS jobs no attempt stored: {orphans[:5]}"
    completed = {job for job in fed if cups_jobs[job]["job-state"] == COMPLETED}
    assert all(line_of[job].result == "printed" for job in completed), "completed, not printed"
    good = {job: line for job, line in line_of.items() if line.result == "printed"}
    card_of_job: dict[str, list[CardLine]] = defaultdict(list)
    for job, line in good.items():
        card_of_job[owner[job]].append(line)
    two = {job: len(cards) for job, cards in card_of_job.items() if len(cards) > 1}
    assert not two, f"jobs with two cards: {two}"
    card_events = ev.of_type("card.printed")
    event_jobs = Counter(e["job_id"] for e in card_events)
    assert max(event_jobs.values(), default=1) == 1, "a job has two card.printed events"
    differ = sorted(set(event_jobs) ^ set(card_of_job))[:5]
    assert not differ, (
        "card.printed events and the good cards' jobs differ: "
        f"only events {sorted(set(event_jobs) - set(card_of_job))[:5]},"
        f" only cards {sorted(set(card_of_job) - set(event_jobs))[:5]}; their attempts "
        f"{[dict(row) for row in ev.attempts if row['job_id'] in differ]}, their reviews' ends "
        f"{[e for e in ev.of_type('job.resolved') if e['job_id'] in differ]}, CUPS jobs {cups_jobs}"
    )
    resolved = {e["job_id"] for e in ev.of_type("job.resolved")}
    undecided = [job for job in set(good) - completed if owner[job] not in resolved]
    assert not undecided, f"good cards of unfinished CUPS jobs nobody decided: {undecided}"
    for event in card_events:
        if event["job_id"] not in resolved:  # settled by its CUPS job
            counter = event["data"]["card_counter"]
            assert counter in completed and owner[counter] == event["job_id"], event
    assert len(ev.of_type("card.spoiled")) == len(spoiled), "card.spoiled != rejected blanks"
    checked = trace_sample(
        ev,
        sample,
        lambda event: card_of_job[event["job_id"]][0],
        card_faces.through_cups,
    )
    return {
        "CUPS jobs: all, fed a blank, completed": f"{len(cups_jobs)}, {len(fed)}, {len(completed)}",
        "CUPS jobs whose number was never stored (kill)": len(set(cups_jobs) - set(owner)),
        "good cards decided by a person (unknown CUPS end)": len(set(good) - completed),
        "blanks fed (printer log)": len(ev.cards),
        "good cards": len(printed),
        "spoiled blanks": len(spoiled),
        "duplicate cards": 0,
        "cards traced to their job by rendering": checked,
    }


# -- invariant 3: every event reaches the broker, in order, with a unique event_id --------------


def lost_by_broker_crash(
    db_path: Path, missing: Iterable[int], kill_times: Sequence[float]
) -> set[int]:
    """Of the `missing` seqs, those a broker SIGKILL can explain: written before the kill and
    acknowledged around it. mosquitto acknowledges a message before it saves it (even with
    `autosave_on_changes`), so a SIGKILL in between loses it after the station has done its
    part. `delivered_at` (to the second) is written when the link marks its batch: up to a
    second later, or after the next connection (back-off up to ~11 s, a restart)."""
    wanted = sorted(missing)
    if not wanted:
        return set()
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT seq, time, delivered_at FROM outbox"
            f" WHERE seq IN ({','.join('?' * len(wanted))})",
            wanted,
        ).fetchall()
    lost = set()
    for seq, written, delivered_at in rows:
        if delivered_at is None:
            continue
        made = parse_rfc3339(written).timestamp()
        marked = parse_rfc3339(delivered_at).timestamp()
        if any(made <= kill + 1 and kill - 2 <= marked <= kill + 60 for kill in kill_times):
            lost.add(seq)
    return lost


def borne_out_by_broker_log(
    ev: Evidence, seqs: Iterable[int], broker_log: Path, subscriber: str
) -> set[int]:
    """Those of `seqs` (events the subscriber missed) for which mosquitto's log shows a message
    of the event's topic and size that the broker had acknowledged to the station and the
    subscriber had not confirmed when the broker was killed (`unconfirmed_at_kills`)."""
    at_risk = unconfirmed_at_kills(broker_log, STATION, subscriber)
    confirmed = set()
    for seq in sorted(seqs):
        shape = (f"{TOPIC_BASE}/event/{ev.events[seq]['type']}", len(ev.payloads[seq]))
        if at_risk[shape] > 0:
            at_risk[shape] -= 1
            confirmed.add(seq)
    return confirmed


def check_events(ev: Evidence, replayed: Collection[int] = ()) -> dict[str, Any]:
    """Every event reached the subscriber, as the exact bytes the station's outbox holds for
    it, first arrivals in seq order; except that the `replayed` ones (the broker lost them, the
    consumer asked again: `replay`) first arrive late."""
    assert ev.outbox_pending == 0, f"{ev.outbox_pending} events never acknowledged by the broker"
    assert list(ev.events) == list(range(1, ev.outbox_max + 1)), "the outbox's seq has a gap"
    missing = sorted(ev.not_received)
    assert not missing, f"{len(missing)} events never reached the subscriber: {missing[:10]}"
    assert set(ev.received) <= set(ev.events), "an event the outbox does not have"
    differ = [seq for seq, got in ev.received.items() if got != {ev.payloads[seq]}]
    assert not differ, f"received bytes differ from the outbox's: {differ[:5]}"
    for seq, body in ev.events.items():
        assert body["event_id"] == f"{STATION}:{seq}" and body["station"] == STATION
    first_seen = [seq for seq in dict.fromkeys(ev.arrivals) if seq not in replayed]
    assert first_seen == sorted(first_seen), "an event first arrived after a later one"
    return {
        "events (seq 1..N)": ev.outbox_max,
        "event messages received": len(ev.arrivals),
        "repeats (at least once)": len(ev.arrivals) - len(ev.received),
    }


# -- invariant 4: blanks balance -----------------------------------------------------------------


def check_consumables(db_path: Path, state_json: Path, ev: Evidence) -> dict[str, Any]:
    store = Store.open(
        db_path,
        STATION,
        ManualClock(),
        low_thresholds={"cards": 0, "ribbon": 0, "film": 0},
        initial_load={},
    )
    try:
        with store.db.reading() as conn:
            balances = store.ledger.balances(conn)
    finally:
        store.close()
    printer = json.loads(state_json.read_text())
    figures = {}
    for name, balance in balances.items():
        assert balance.holds, f"{name}: loaded != printed + spoiled + remaining - adjustments"
        assert balance.remaining == printer[name], (
            f"{name}: the ledger says {balance.remaining}, the printer {printer[name]}"
        )
        figures[name] = (
            f"loaded {balance.loaded} = printed {balance.printed} + spoiled {balance.spoiled}"
            f" + remaining {balance.remaining} - adjustments {balance.adjustments}"
        )
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        notes = Counter(
            row[0] for row in conn.execute("SELECT note FROM ledger WHERE kind = 'adjust'")
        )
    # The virtual printer uses exactly one of each per card, as the ledger does: the only
    # correction expected is the rest of an old ribbon or film taken out at a reload.
    unexplained = {note: n for note, n in notes.items() if note != "old roll taken out"}
    assert not unexplained, f"unexplained ledger adjustments: {unexplained}"
    cards = balances["cards"]
    assert cards.printed == len(ev.of_type("card.printed"))
    assert cards.spoiled == len(ev.of_type("card.spoiled"))
    assert cards.printed + cards.spoiled == printer["card_counter"] == len(ev.cards), (
        "blanks booked in the ledger != blanks the printer fed"
    )
    return figures


# -- the blanks' lots (issue 26): every blank the printer fed came from the lot, each lot balances


LOT = "KILL-RUN-1"


def receive_a_lot(db_path: Path) -> None:
    """Before any job: a lot large enough for the run, received and countersigned."""
    store = _open(db_path)
    try:
        now = store_clock.now()
        for name, role in (("budi", Role.OPERATOR), ("siti", Role.SUPERVISOR)):
            store.accounts.add(Account(name, name.title(), role, None), "root", now)
        store.lots.receive(Consumable.CARDS, LOT, 100_000, now.date().isoformat(), "budi", now)
        store.lots.countersign(Consumable.CARDS, LOT, "siti", now)
    finally:
        store.close()


def check_lots(db_path: Path, ev: Evidence) -> dict[str, Any]:
    store = _open(db_path)
    try:
        books = store.lots.books()
        custody = store.lots.in_custody()
        with store.db.reading() as conn:
            cards = store.ledger.balances(conn)["cards"]
    finally:
        store.close()
    assert all(lot.holds for lot in books), f"a lot does not balance: {books}"
    [lot] = books
    assert (lot.printed, lot.spoiled) == (cards.printed, cards.spoiled), "blanks outside the lot"
    assert lot.spoiled == len(ev.of_type("card.spoiled")) == len(custody)
    return {
        LOT: f"received {lot.received} = printed {lot.printed} + spoiled {lot.spoiled}"
        f" (in custody {lot.in_custody}) + in stock {lot.in_stock} - adjusted {lot.adjusted}"
    }


def _open(db_path: Path) -> Store:
    return Store.open(
        db_path, STATION, store_clock, low_thresholds=dict.fromkeys(Consumable, 0), initial_load={}
    )


store_clock = SystemClock()


# -- invariant 5: the duty cycle, rebuilt from stored history, was never exceeded ----------------


def check_duty(ev: Evidence, settings: StationSettings, timezone: str) -> dict[str, Any]:
    starts = sorted(
        parse_rfc3339(row["started_at"]) for row in ev.attempts if row["outcome"] != "not_printed"
    )
    model = ThermalModel(
        settings.ambient_c, settings.heat_per_card_c, settings.cooling_tau_s, settings.max_head_c
    )
    hottest, at_limit = 0.0, 0
    for index, start in enumerate(starts):
        after = model.head_temp(starts[:index], start) + settings.heat_per_card_c
        hottest = max(hottest, after)
        at_limit += after > settings.max_head_c - settings.heat_per_card_c / 2
    assert hottest <= settings.max_head_c + 1e-6, f"head model reached {hottest:.2f} C"
    busiest_hour = max(
        (
            sum(1 for s in starts[i:] if s < start + timedelta(hours=1))
            for i, start in enumerate(starts)
        ),
        default=0,
    )
    days = Counter(s.astimezone(ZoneInfo(timezone)).date() for s in starts)
    assert busiest_hour <= settings.hourly_limit
    assert max(days.values(), default=0) <= settings.daily_limit
    return {
        "card starts counted": len(starts),
        "hottest head (model)": f"{hottest:.1f} C of {settings.max_head_c} C",
        "starts near the heat limit": at_limit,
        "busiest rolling hour": f"{busiest_hour} of {settings.hourly_limit}",
        "busiest day": f"{max(days.values(), default=0)} of {settings.daily_limit}",
    }


# -- invariant 6: no personal data leaves; pictures deleted at the end ---------------------------


def check_topics(sniffed: Sequence[Message]) -> dict[str, Any]:
    """Every topic anyone published to is the station's or the central office's, below `{st}/`."""
    levels: Counter[str] = Counter()
    for message in sniffed:
        assert message.topic.startswith(f"{TOPIC_BASE}/"), f"outside the station: {message.topic}"
        level = message.topic[len(TOPIC_BASE) + 1 :]
        assert level.startswith(STATION_TOPICS + CENTRAL_TOPICS), f"unexpected {message.topic}"
        levels[level.split("/")[0]] += 1
    return {"messages seen on # (QoS 0)": dict(levels)}


def check_no_personal_data(ev: Evidence, people: Sequence[Person]) -> dict[str, Any]:
    texts = []
    for message in ev.messages:
        assert message.topic.startswith(f"{TOPIC_BASE}/"), f"outside the station: {message.topic}"
        level = message.topic[len(TOPIC_BASE) + 1 :]
        if level.startswith(CENTRAL_TOPICS):
            continue
        assert level.startswith(STATION_TOPICS), f"unexpected topic {message.topic}"
        texts.append(message.payload.decode("utf-8"))
    everything = "\n".join(texts)  # one search per secret, not one per message and secret
    for person in people:
        for what, secret in person.secrets().items():
            if secret in everything:
                where = next(text for text in texts if secret in text)
                raise AssertionError(f"{what} of {person.job_id} published: {where[:300]}")
    return {"station messages scanned": len(texts), "jobs' personal data searched": len(people)}


def check_pictures_deleted(db_path: Path, people: Sequence[Person], ev: Evidence) -> dict[str, Any]:
    kept = [
        job
        for job, row in ev.jobs.items()
        if row["state"] in ENDED and (row["photo"] is not None or row["signature"] is not None)
    ]
    assert not kept, f"pictures kept for ended jobs: {kept[:5]}"
    files = [db_path, *(p for p in db_path.parent.glob(db_path.name + "-*"))]
    raw = b"".join(path.read_bytes() for path in files if path.exists())
    ended = {job for job, row in ev.jobs.items() if row["state"] in ENDED}
    found = [
        p.job_id
        for p in people
        if p.job_id in ended and (p.photo_token in raw or p.signature_token in raw)
    ]
    assert not found, f"picture bytes of ended jobs still in {[f.name for f in files]}: {found[:5]}"
    return {
        "ended jobs with pictures (rows, raw file bytes)": 0,
        "database files searched": len([f for f in files if f.exists()]),
    }


def picture_residue(db_path: Path, people: Sequence[Person], ended: set[str]) -> list[str]:
    """Jobs in `ended` whose photo or signature bytes are in the database files now (read
    raw, as a thief with the SD card would after pulling the plug)."""
    raw = b"".join(
        path.read_bytes() for path in db_path.parent.glob(db_path.name + "*") if path.is_file()
    )
    return [
        p.job_id
        for p in people
        if p.job_id in ended and (p.photo_token in raw or p.signature_token in raw)
    ]
