"""The kill run: the real daemon, the virtual printer and a real mosquitto, under faults.

The central office publishes valid jobs, hostile payloads and a few cancels over MQTT while
the station is SIGKILLed at random moments (a third of them just after the printer fed a
blank, so that the card's outcome is unknown) and restarted, mosquitto is SIGKILLed and
restarted, the fault proxy between station and broker delays, blackholes and resets the
connection, and the virtual printer plays every fault kind at chosen cards. An operator
decides reviews and reloads consumables. Then the faults stop, everything drains, the
station stops cleanly, and checks.py reads the evidence.

The IPP variant (`ipp`) runs the station with driver = "ipp": its printer is the virtual
printer behind a real cupsd (testkit.cups_rig, the `cardsim` backend, a retransfer printer),
which lives on across the station's kills, so a kill mid-card leaves the CUPS job to end on its
own and the restarted station settles it by the job's state. It does fewer cards and kills
(`Scale.through_cups`: a card through CUPS takes many times as long). What differs, honestly:
- faults: those the IPP path recovers from with no person at CUPS (docs/printers/cups.md):
  a feeder found empty and a ribbon break (a reload clears their reasons) and an unplug mid-card
  (review). A jam, an open cover or an overheating head leave a reason CUPS keeps, which stops
  the station until a person prints a CUPS test page: not played.
- the cards' check (`check_cards_through_cups`): card_counter is the CUPS job's number, not
  the printer's counter, so each blank is matched to its CUPS job (the jobs that fed a blank,
  in order, are the printer's log) and a job with two cards is sought per stored CUPS job;
  the printer's own counter still equals the blanks booked (`check_consumables`).
- the books start from a reload of what the printer holds (CUPS reports no blank count), and
  the operator loads the printer by hand before each reload, as the station cannot.
- the printer's head does not cool between the station's lives; it is given a short time
  constant so that it never stops for cooling (a reason that would stop the station): the
  duty cycle checked is the station's own.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from firmware.head import HeadModel
from testkit.broker import Broker
from testkit.cups_rig import QUEUE, CupsRig, start_rig
from testkit.fault_proxy import FaultProxy
from testkit.jobs import station_today
from testkit.station_process import Fault, IppQueue, StationProcess, StationSettings
from tests.reliability import card_faces, checks
from tests.reliability.conftest import Report
from tests.reliability.mqtt_fuzz import INTERRUPTED, MqttFuzz, reply_code
from tests.reliability.operator import Operator
from tests.reliability.payloads import CommandTargets
from tests.reliability.peers import CentralOffice, Recorder
from tests.reliability.people import Person, encode, person_of, valid_job
from tests.reliability.scale import Scale

pytestmark = pytest.mark.reliability
# Each fault's kind and stage (docs/printer-protocol.md): before the card, on it, after the
# release of its claim.
FAULT_KINDS = (
    ("jam", "on_card"),
    ("ribbon_break", "on_card"),
    ("cover_open", "before_card"),
    ("unplug", "on_card"),
    ("overheat", "before_card"),
    ("feeder_empty", "before_card"),
    ("jam", "after_release"),
    ("cover_open", "after_release"),
    ("ribbon_break", "after_release"),
)
# Those the IPP path recovers from with no person at CUPS (see the module's docstring).
IPP_FAULT_KINDS = (
    ("ribbon_break", "on_card"),
    ("feeder_empty", "before_card"),
    ("unplug", "on_card"),
)
# Shorter than most lives of the daemon: the printer re-arms a fault whose card it has not
# fed yet at every power-up, so a long cover_open or overheat would repeat at every restart.
FAULT_SECONDS = {"cover_open": 0.3, "unplug": 0.5, "overheat": 0.3, "feeder_empty": 0.3}
# The virtual printer's own head model says "cooling" after ~14 quick cards from cold, for
# minutes; it starts cold at every power-up, so no life of the daemon prints more than this.
CARDS_PER_LIFE = 9
TIMEZONE = "Asia/Jakarta"
PROXY_FAULTS = ("blackhole_up", "delay", "reset", "blackhole_down", "blackhole")
LOST_GRACE_S = 5.0  # how long an event the broker lost may still turn up, before a replay
RECORDER = "reliability-recorder"  # its client id, as the broker's log names it
BROKER_SAVE_EVERY = 10  # changes between the broker's saves (see KillRun.__init__)


def fault_plan(
    scale: Scale, kinds_played: tuple[tuple[str, str], ...] = FAULT_KINDS, first: int = 12
) -> tuple[Fault, ...]:
    """Every kind, twice (long mode: four times), spread over the run's cards."""
    count = len(kinds_played) * (4 if scale.mode == "long" else 2)
    last = int(scale.jobs * 0.8)
    kinds = [kinds_played[index % len(kinds_played)] for index in range(count)]
    return tuple(
        Fault(first + index * (last - first) // count, kind, FAULT_SECONDS.get(kind, 0.0), stage)
        for index, (kind, stage) in enumerate(kinds)
    )


@dataclass
class Injected:
    """What the run did to the station, for the summary."""

    daemon_kills: int = 0
    kills_after_a_card: int = 0
    kills_at_a_spoiling_fault: int = 0  # aimed at a jam's or ribbon break's card
    kills_for_the_printer_head: int = 0
    broker_kills: int = 0
    proxy: Counter[str] = field(default_factory=Counter)
    cancels: dict[str, str] = field(default_factory=dict)  # cmd_id -> job_id


class KillRun:
    def __init__(
        self,
        workdir: Path,
        scale: Scale,
        stack: ExitStack,
        blocked_job: str,
        rig: CupsRig | None = None,
        faults: tuple[Fault, ...] = (),
    ) -> None:
        """`rig`: the station prints through its CUPS queue, and `faults` are its printer's."""
        self.scale = scale
        self.rig = rig
        self.rng = random.Random(scale.seed)
        self.run_tag = f"{scale.seed % 100000:05d}"
        self.today = station_today()
        # Saved after every 10 changes, not each: with the station's backlog of hostile
        # messages in the session, a save per PUBACK (the whole database each time) held the
        # broker to about 60 PUBACKs a second, the backlog grew, and every restart was sent it
        # all again. What a SIGKILL loses in between is what the checks already allow for: a
        # job or command the central office re-sends, an event it asks `replay` for.
        self.broker = Broker.plain(workdir / "broker", save_every=BROKER_SAVE_EVERY)
        self.broker.start()
        stack.callback(self.broker.kill)
        self.proxy = FaultProxy(self.broker.port).start()
        stack.callback(self.proxy.close)
        self.recorder = Recorder(self.broker.port, RECORDER).start()
        stack.callback(self.recorder.stop)
        self.sniffer = Recorder(
            self.broker.port, "reliability-sniffer", filters=("#",), qos=0, persistent=False
        ).start()
        stack.callback(self.sniffer.stop)
        self.central = CentralOffice(self.broker.port).start()
        stack.callback(self.central.stop)
        self.faults = faults if rig is not None else fault_plan(scale)
        ipp = None if rig is None else IppQueue(rig.cups.port, QUEUE, rig.printer.directory)
        self.settings = StationSettings(
            mqtt_port=self.proxy.port,
            faults=() if rig is not None else self.faults,
            blocked_job=blocked_job,
            ipp=ipp,
        )
        self.station = StationProcess(workdir / "station", self.settings)
        stack.callback(self.station.kill)
        load = None if rig is None else rig.load
        face = card_faces.direct if rig is None else card_faces.through_cups
        self.operator = Operator(
            self.station,
            self.central,
            self.recorder,
            load,
            cache(lambda job_id: face(card_faces.rendered(self.jobs[job_id]))),
        )
        self.fuzz = MqttFuzz(self.central, self.rng, self.run_tag)
        self.injected = Injected()
        self.jobs: dict[str, dict[str, Any]] = {}
        self.people: list[Person] = []
        self.published_at: dict[str, float] = {}
        self.life_start_cards = 0
        self.proxy_heal_at: float | None = None
        self.residue: list[str] = []  # ended jobs whose pictures were in the files after a kill
        self.residue_scans = 0
        self.spoiling_faults = {f.at_card for f in self.faults if f.kind in ("jam", "ribbon_break")}
        self.broker_kill_times: list[float] = []
        self.lost_since: float | None = None  # when only events lost by the broker were missing
        self.replayed: set[int] = set()  # seqs the central office asked the station to replay
        self.started = time.monotonic()

    # -- the faults ------------------------------------------------------------------------

    def start_station(self) -> None:
        self.station.start()
        self.station.wait_ready()
        self.life_start_cards = self.station.card_count()

    def kill_and_restart(self) -> None:
        self.station.kill()
        self.injected.daemon_kills += 1
        self.start_station()
        if self.injected.daemon_kills % 10 == 0:  # what a power cut left, once restarted
            ended = {e["job_id"] for e in self.recorder.events() if e["type"] in checks.TERMINAL}
            self.residue_scans += 1
            self.residue += checks.picture_residue(self.station.db_path, self.people, ended)

    def publish_jobs(self, count: int) -> None:
        for _ in range(count):
            n = len(self.jobs) + 1
            job = valid_job(n, self.run_tag, today=self.today)
            self.jobs[job["job_id"]] = job
            self.people.append(person_of(job, n, self.run_tag))
            self.central.job(encode(job))
            self.published_at[job["job_id"]] = time.monotonic()
            if self.rng.random() < 0.02:  # the central office changes its mind at once
                cmd_id = f"cancel-{self.run_tag}-{n}"
                self.injected.cancels[cmd_id] = job["job_id"]
                self.central.command_json("cancel", cmd_id, {"job_id": job["job_id"]})

    def ended_jobs(self) -> list[str]:
        return [e["job_id"] for e in self.recorder.events() if e["type"] == "card.printed"][-50:]

    def broker_fault(self) -> None:
        self.broker_kill_times.append(time.time())
        self.broker.kill()
        self.injected.broker_kills += 1
        time.sleep(self.rng.uniform(0, 0.3))  # the outage itself, not a wait for a result
        self.broker.start()

    def proxy_fault(self) -> None:
        kind = PROXY_FAULTS[self.injected.proxy.total() % len(PROXY_FAULTS)]  # each in turn
        self.injected.proxy[kind] += 1
        if kind == "reset":
            self.proxy.reset()
            return
        if kind == "delay":
            self.proxy.delay(self.rng.uniform(0.05, 0.4))
        else:
            self.proxy.blackhole({"blackhole": "both"}.get(kind, kind.split("_")[-1]))
        self.proxy_heal_at = time.monotonic() + self.rng.uniform(0.5, 4.0)

    def wait_for_the_moment(self) -> None:
        """A random moment: a random delay, or (one in three) right after the printer feeds a
        blank, and always right after the blank of a jam or a ribbon break (while the printer
        still holds it); never more than CARDS_PER_LIFE cards into this life of the daemon."""
        after_card = self.rng.random() < 1 / 3
        until = time.monotonic() + (2.0 if after_card else self.rng.uniform(0, 1.2))
        cards = self.station.card_count()
        aimed = False
        while time.monotonic() < until:
            self.heal_proxy_when_due()
            now_cards = self.station.card_count()
            if now_cards - self.life_start_cards >= CARDS_PER_LIFE:
                self.injected.kills_for_the_printer_head += 1
                return
            if (after_card or aimed) and now_cards > cards:
                self.injected.kills_after_a_card += 1
                self.injected.kills_at_a_spoiling_fault += aimed
                return
            if not aimed and now_cards + 1 in self.spoiling_faults:
                self.spoiling_faults.discard(now_cards + 1)
                aimed, cards = True, now_cards
                until = time.monotonic() + 2.0
            time.sleep(0.002)

    def heal_proxy_when_due(self) -> None:
        if self.proxy_heal_at is not None and time.monotonic() >= self.proxy_heal_at:
            self.proxy.heal()
            self.proxy_heal_at = None

    def check_deadline(self) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed > self.scale.deadline_s:
            raise AssertionError(
                f"the run took over {self.scale.deadline_s} s (seed {self.scale.seed});"
                f" still waiting for: {self.outstanding()}"
            )

    def outstanding(self) -> dict[str, Any]:
        """What the drain still waits for (for the failure message)."""
        replied = {reply["cmd_id"] for reply in self.recorder.replies()}
        stored, active, top, pending = self.station_facts()
        missing = sorted(set(range(1, top + 1)) - {e["seq"] for e in self.recorder.events()})
        lost = checks.lost_by_broker_crash(self.station.db_path, missing, self.broker_kill_times)
        return {
            "jobs not stored": sorted(set(self.jobs) - stored)[:5],
            "jobs active": active,
            "hostile cases unanswered": self.fuzz.unanswered_cases(self.recorder)[:5],
            "cancels unanswered": sorted(set(self.injected.cancels) - replied),
            "events not delivered": pending,
            "events not received": (len(missing), missing[:10]),
            "of them lost by the broker": sorted(lost)[:10],
            "replays asked for": sorted(self.replayed)[:10],
        }

    def main_phase(self) -> None:
        steps = self.scale.daemon_kills
        broker_steps = set(self.rng.sample(range(1, steps), self.scale.broker_kills))
        proxy_steps = set(self.rng.sample(range(1, steps), self.scale.proxy_faults))
        for step in range(steps):
            self.publish_jobs(self.scale.jobs * (step + 1) // steps - len(self.jobs))
            fuzz_due = self.scale.mqtt_fuzz * (step + 1) // steps - self.fuzz_sent
            self.fuzz.send(fuzz_due, CommandTargets(ended=self.ended_jobs()))
            if step in broker_steps:
                self.broker_fault()
            if step in proxy_steps:
                self.proxy_fault()
            self.wait_for_the_moment()
            self.kill_and_restart()
            self.check_deadline()

    @property
    def fuzz_sent(self) -> int:
        return len(self.fuzz.jobs) + len(self.fuzz.commands) + len(self.fuzz.retained)

    # -- the end ---------------------------------------------------------------------------

    def drain(self) -> None:
        """No more faults; resend what the broker lost; until everything has ended and every
        event has arrived. The printer's head still bounds a life of the daemon."""
        self.proxy.heal()
        self.proxy_heal_at = None
        self.fuzz.clear_retained()
        next_resend = time.monotonic() + 5
        while not self.drained():
            self.check_deadline()
            if self.station.card_count() - self.life_start_cards >= CARDS_PER_LIFE:
                self.injected.kills_for_the_printer_head += 1
                self.kill_and_restart()
            # Resend only once the station has delivered every event it has: an answer still
            # in its outbox is not lost, and asking again only adds a rejection to the queue
            # (on a slow machine that loop outran the outbox and the run never drained).
            if time.monotonic() >= next_resend and self.station_facts()[3] == 0:
                self.resend_unanswered()
                next_resend = time.monotonic() + 5
            time.sleep(0.2)

    def resend_unanswered(self) -> None:
        answered = {
            e["job_id"]
            for e in self.recorder.events()
            if e["type"] in ("job.accepted", "job.rejected")
        }
        for job_id, job in self.jobs.items():
            if job_id not in answered and time.monotonic() - self.published_at[job_id] > 10:
                self.central.job(encode(job))
                self.published_at[job_id] = time.monotonic()
        replied = {reply["cmd_id"] for reply in self.recorder.replies()}
        for cmd_id, job_id in self.injected.cancels.items():
            if cmd_id not in replied:  # a reply is not kept for re-sending: ask again
                self.central.command_json("cancel", cmd_id, {"job_id": job_id})
        self.fuzz.resend_unanswered(self.recorder)

    def station_facts(self) -> tuple[set[str], int, int, int]:
        """(stored job ids, active jobs, last seq, undelivered events), from the database."""
        with closing(sqlite3.connect(f"file:{self.station.db_path}?mode=ro", uri=True)) as conn:
            stored = {row[0] for row in conn.execute("SELECT job_id FROM jobs")}
            active = conn.execute(
                "SELECT count(*) FROM jobs WHERE state IN ('queued', 'printing', 'needs_review')"
            ).fetchone()[0]
            top, pending = conn.execute(
                "SELECT coalesce(max(seq), 0), count(*) FILTER (WHERE delivered_at IS NULL)"
                " FROM outbox"
            ).fetchone()
        return stored, active, top, pending

    def drained(self) -> bool:
        stored, active, top, pending = self.station_facts()
        missing = set(range(1, top + 1)) - {e["seq"] for e in self.recorder.events()}
        lost = checks.lost_by_broker_crash(self.station.db_path, missing, self.broker_kill_times)
        if missing and lost == missing and not pending:
            # Only events the broker lost in a SIGKILL are missing: after a while, the central
            # office (which sees the gap in seq) asks for them again. Asked before the other
            # checks: a lost event may be the only answer to a hostile case, and the station
            # answers a message it rejected before without a second event.
            self.lost_since = self.lost_since or time.monotonic()
            if time.monotonic() - self.lost_since >= LOST_GRACE_S:
                self.ask_replay(sorted(missing))
        else:
            self.lost_since = None
        replied = {reply["cmd_id"] for reply in self.recorder.replies()}
        if self.fuzz.unanswered(self.recorder) or not set(self.injected.cancels) <= replied:
            return False
        return set(self.jobs) <= stored and not active and not pending and not missing

    def ask_replay(self, seqs: list[int]) -> None:
        """One `replay` command for each run of consecutive seqs."""
        runs: list[list[int]] = []
        for seq in seqs:
            if runs and seq == runs[-1][-1] + 1:
                runs[-1].append(seq)
            else:
                runs.append([seq])
        for run in runs:
            cmd_id = f"replay-{self.run_tag}-{run[0]}-{len(self.replayed)}"
            self.central.command_json("replay", cmd_id, {"from_seq": run[0], "to_seq": run[-1]})
        self.replayed.update(seqs)
        self.lost_since = time.monotonic()  # ask again only if they do not come

    def finish(self) -> int:
        self.operator.stop()
        code = self.station.stop()
        return code


@contextmanager
def kill_run(workdir: Path, scale: Scale, variant: str) -> Iterator[KillRun]:
    """`variant`: what the virtual printer does with a job it cannot start (drop, keep), or
    `ipp`: the station prints through CUPS to the virtual printer behind it."""
    with ExitStack() as stack:
        if variant != "ipp":
            yield KillRun(workdir, scale, stack, variant)
            return
        scale = scale.through_cups()
        faults = fault_plan(scale, IPP_FAULT_KINDS, first=3)
        loaded = StationSettings(mqtt_port=0)
        rig = start_rig(
            workdir / "cups-rig",
            cards=loaded.cards,
            ribbon=loaded.ribbon,
            film=loaded.film,
            faults=tuple(asdict(fault) for fault in faults),
            seconds_per_card=loaded.seconds_per_card,
            head=HeadModel(tau_s=loaded.cooling_tau_s),
        )
        stack.callback(rig.stop)
        yield KillRun(workdir, scale, stack, "drop", rig, faults)


def load_the_books(run: KillRun) -> None:
    """CUPS reports no count of blanks: the books start from what the printer was loaded with."""
    counts = {"cards": run.settings.cards, "ribbon": run.settings.ribbon, "film": run.settings.film}
    for consumable, count in counts.items():
        args = {"consumable": consumable, "count": count, "capacity": count}
        answer = run.station.command("reload", args)
        assert answer["ok"], answer


# The printer that drops a job it cannot start, and the one that keeps it (issue 23); and the
# station printing through CUPS (issue 24).
@pytest.mark.parametrize("variant", ["drop", "keep", "ipp"])
def test_the_six_invariants_hold_through_kills_faults_and_hostile_input(
    tmp_path: Path, scale: Scale, report: Report, variant: str
) -> None:
    with kill_run(tmp_path, scale, variant) as run:
        run.start_station()
        checks.receive_a_lot(run.station.db_path)
        if run.settings.ipp is not None:
            load_the_books(run)
        run.recorder.wait_for_station()
        run.operator.start()
        run.main_phase()
        main_s = time.monotonic() - run.started
        run.drain()
        assert run.finish() == 0, "the daemon did not stop cleanly at the end"
        total_s = time.monotonic() - run.started
        ev = checks.gather(run.station.db_path, run.station.cards(), run.recorder.messages())
        with (tmp_path / "recorder.jsonl").open("w") as dump:  # for a post-mortem
            for message in ev.messages:
                text = message.payload.decode(errors="backslashreplace")
                dump.write(json.dumps([message.at, message.topic, text]) + "\n")
        printer_state = run.station.printer_dir / "state.json"
        sample = [run.jobs[p.job_id] for p in run.rng.sample(run.people, min(15, len(run.people)))]
        figures: dict[str, Any] = {}
        figures["jobs"] = checks.check_jobs_ended_once(ev, run.jobs)
        if run.rig is None:
            figures["cards"] = checks.check_cards(ev, sample)
        else:
            figures["cards"] = checks.check_cards_through_cups(ev, run.rig.jobs(), sample)
        # Events replayed because the broker lost them: its own log must bear each one out.
        broker_log = run.broker.workdir / "mosquitto.log"
        lost = checks.borne_out_by_broker_log(ev, run.replayed, broker_log, RECORDER)
        assert lost == run.replayed, f"replayed, not lost by the broker: {run.replayed - lost}"
        figures["events"] = {
            **checks.check_events(ev, run.replayed),
            "lost by the broker after acknowledging, replayed": sorted(lost),
        }
        figures["consumables"] = checks.check_consumables(run.station.db_path, printer_state, ev)
        figures["lots"] = checks.check_lots(run.station.db_path, ev)
        figures["duty"] = checks.check_duty(ev, run.settings, TIMEZONE)
        figures["privacy"] = {
            **checks.check_topics(run.sniffer.messages()),
            **checks.check_no_personal_data(ev, run.people),
            **checks.check_pictures_deleted(run.station.db_path, run.people, ev),
            "power-cut scans of the database files": run.residue_scans,
        }
        assert not run.residue, f"pictures of ended jobs left after a kill: {run.residue[:5]}"
        accepted = {e["job_id"] for e in ev.of_type("job.accepted")}
        figures["hostile payloads over MQTT"] = run.fuzz.check(run.recorder, accepted)
        figures["cancels"] = check_cancels(run, ev)
        injected = run.injected
        figures["injected"] = {
            "valid jobs published": len(run.jobs),
            "daemon SIGKILLs": injected.daemon_kills,
            "  of them just after a blank was fed": injected.kills_after_a_card,
            "    aimed at a jam's or ribbon break's card": injected.kills_at_a_spoiling_fault,
            "  of them to keep the printer's head cool": injected.kills_for_the_printer_head,
            **settled_after_kills(run, ev),
            "cards settled after a kill or unplug: review": len(ev.of_type("job.needs_review")),
            "broker SIGKILLs": injected.broker_kills,
            "proxy faults": dict(injected.proxy),
            "printer faults planned (card: kind at stage)": {
                f.at_card: f"{f.kind} at {f.stage}" for f in run.faults
            },
            "printer faults reached": sum(1 for f in run.faults if f.at_card <= len(ev.cards)),
            "operator reviews (by the tray)": dict(
                Counter(f"{d.outcome} via {d.via}" for d in run.operator.log.decisions)
            ),
            "operator reloads": dict(run.operator.log.reloads),
            "operator MQTT actions refused (interrupted)": run.operator.log.refused,
            "station reasons seen": dict(run.operator.log.reasons_seen),
            "time: main phase / total (s)": f"{main_s:.0f} / {total_s:.0f}",
        }
    title = "through CUPS" if variant == "ipp" else f"the printer {variant}s"
    for section, values in figures.items():
        report(
            f"kill run, {title}: {section}",
            values if isinstance(values, dict) else {"": values},
        )


def settled_after_kills(run: KillRun, ev: checks.Evidence) -> dict[str, Any]:
    """How the cards a kill interrupted were settled: by the printer's counter (requeued, or
    review), or through CUPS by their job's end (the outcome's kind; None: no job stored)."""
    if run.rig is None:
        requeued = run.station.log_lines("interrupted card settled")
        requeued -= len(ev.of_type("job.needs_review"))
        return {"cards settled after a kill: requeued": requeued}
    ends = Counter(
        record["outcome"].split("(")[0]
        for record in run.station.log_records("card settled by its print job")
    )
    return {"cards settled after a kill by their CUPS job's end": dict(ends)}


def check_cancels(run: KillRun, ev: checks.Evidence) -> dict[str, Any]:
    """A cancel answered ok ended its job cancelled; a refused one left the job to print."""
    answers: dict[str, str] = {}
    for reply in run.recorder.replies():
        if reply["cmd_id"] in run.injected.cancels:
            answers[reply["cmd_id"]] = reply_code(reply)
    outcomes: Counter[str] = Counter()
    for cmd_id, job_id in run.injected.cancels.items():
        answer = answers.get(cmd_id)
        assert answer in ("ok", "invalid_state", "unknown_job", INTERRUPTED), (cmd_id, answer)
        state = ev.jobs[job_id]["state"]
        if answer != INTERRUPTED:  # effect unknown: either state is right
            assert (state == "cancelled") == (answer == "ok"), (job_id, answer, state)
        outcomes[answer] += 1
    return dict(outcomes)
