"""The person at the kiosk: decides cards of unknown outcome and loads what ran out.

A card goes to review when the station lost sight of it (SIGKILL mid-card, USB unplugged, a
CUPS job ended with nothing said). The operator looks at the trays, which here is the virtual
printer's own log: while a review is pending nothing else is printed, so the last card the
printer fed is the one in question, good (`printed`) or in the reject tray (`spoiled`). Told
each job's card face (`face_of`), the operator looks for the person's own card, as a person
at the kiosk reads the name on it: when the last card is someone else's, or the person's cards
are all booked already (an earlier attempt's), none came out (`not_printed`: a CUPS job can
end unprinted with no reason given, CI saw the last card, another person's, taken for it).
Consumables are reloaded when the station says one is empty (a broken ribbon reads as
empty); a printer behind CUPS, which the station's reload does not reach, is loaded by hand
first. Every other decision goes by MQTT (a technician's command, re-sent with the same
`cmd_id` until it took effect) or by the local control socket, so both paths carry real work
during the run.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from testkit.station_process import CardLine, NotAnswering, StationProcess
from tests.reliability.peers import CentralOffice, Recorder

RELOAD = {"cards": 300, "ribbon": 1000, "film": 1000}
RESEND_S = 8.0


@dataclass
class Decision:
    job_id: str
    counter: int
    outcome: str
    via: str


@dataclass
class _Pending:
    """An action sent by MQTT whose effect has not been seen yet."""

    name: str
    cmd_id: str
    args: dict[str, Any]
    sent_at: float


@dataclass
class OperatorLog:
    decisions: list[Decision] = field(default_factory=list)
    reloads: Counter[str] = field(default_factory=Counter)
    resends: int = 0
    refused: int = 0  # MQTT actions answered with an error (a SIGKILL interrupted them)
    unanswered_polls: int = 0
    reasons_seen: Counter[str] = field(default_factory=Counter)


class Operator:
    def __init__(
        self,
        station: StationProcess,
        central: CentralOffice,
        recorder: Recorder,
        load_printer: Callable[[str, int, int], None] | None = None,
        face_of: Callable[[str], str] | None = None,
    ) -> None:
        """`load_printer`: loads a printer the station's reload does not reach (behind CUPS);
        `face_of`: a job's card face as the printer's log records it (`card_faces`)."""
        self.station, self.central, self.recorder = station, central, recorder
        self.load_printer, self.face_of = load_printer, face_of
        self.log = OperatorLog()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="operator", daemon=True)
        self._pending: dict[str, _Pending] = {}  # by what it is for: job id or consumable
        self._actions = 0
        self._error: BaseException | None = None

    def start(self) -> Operator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        if self._error is not None:
            raise AssertionError(f"the operator failed: {self._error!r}") from self._error

    def _run(self) -> None:
        try:
            while not self._stop.wait(0.1):
                try:
                    self._look()
                except NotAnswering:
                    self.log.unanswered_polls += 1
        except BaseException as exc:  # reported by stop(), in the test's thread
            self._error = exc

    def _look(self) -> None:
        status = self.station.command("status")["result"]
        reasons = set(status.get("reasons", []))
        for reason in reasons:
            self.log.reasons_seen[reason] += 1
        if "review_pending" in reasons:
            self._review()
        for consumable, count in RELOAD.items():
            key = f"reload:{consumable}"
            if f"{consumable}_empty" in reasons:
                args = {"consumable": consumable, "count": count, "capacity": count}
                self._act(key, "reload", args)
            elif key in self._pending:
                del self._pending[key]  # it took effect

    def _review(self) -> None:
        jobs = self.station.command("jobs")["result"]["jobs"]
        waiting = [job["job_id"] for job in jobs if job["state"] == "needs_review"]
        for key in [k for k in self._pending if k.startswith("resolve:")]:
            if key.split(":", 1)[1] not in waiting:
                del self._pending[key]
        if len(waiting) != 1:
            return  # a second card of unknown outcome cannot arise while one waits
        job_id = waiting[0]
        key = f"resolve:{job_id}"
        if key in self._pending:
            self._act(key, "resolve", self._pending[key].args)
            return
        self._decide(job_id)

    def _decide(self, job_id: str) -> str:
        """Look at the trays (the printer's last card) and resolve the job accordingly."""
        tray = self.station.cards()
        if not tray and self.face_of is None:
            raise AssertionError(f"{job_id} needs review but the printer fed no card")
        args: dict[str, Any] = {"job_id": job_id}
        counter = 0  # the card decided on: none when no card of theirs came out
        if self._theirs(job_id, tray):
            counter = tray[-1].counter
            args["outcome"] = "printed" if tray[-1].result == "printed" else "spoiled"
        else:
            args["outcome"], args["reason"] = "not_printed", "no card of theirs in the trays"
        via = self._act(f"resolve:{job_id}", "resolve", args)
        self.log.decisions.append(Decision(job_id, counter, args["outcome"], via))
        return via

    def _theirs(self, job_id: str, tray: list[CardLine]) -> bool:
        """The last card fed is the person's, and not one the station booked already."""
        if self.face_of is None:
            return True
        face = self.face_of(job_id)
        if not tray or tray[-1].front_sha256 != face:
            return False
        jobs = self.station.command("jobs")["result"]["jobs"]
        booked = next((job["attempts"] for job in jobs if job["job_id"] == job_id), 0)
        return sum(line.front_sha256 == face for line in tray) > booked

    def _answer(self, cmd_id: str) -> dict[str, Any] | None:
        return next((r for r in self.recorder.replies() if r["cmd_id"] == cmd_id), None)

    def _act(self, key: str, name: str, args: dict[str, Any]) -> str:
        """Do `name` once for `key`: every other new action by MQTT, the rest locally."""
        pending = self._pending.get(key)
        now = time.monotonic()
        answer = self._answer(pending.cmd_id) if pending is not None else None
        if answer is not None:
            # Done (or refused: invalid_state, a SIGKILL interrupted it, effect unknown). If
            # the need is still there, it is a new one (the same job back in review after a
            # reprint): look at the tray again and act anew.
            self.log.refused += not answer["ok"]
            del self._pending[key]
            if name == "resolve":
                return self._decide(args["job_id"])
            pending = None
        if pending is not None:
            if now - pending.sent_at >= RESEND_S:
                self.central.command_json(name, pending.cmd_id, pending.args)
                pending.sent_at = now
                self.log.resends += 1
            return "mqtt"
        self._actions += 1
        if name == "reload":
            self.log.reloads[args["consumable"]] += 1
            if self.load_printer is not None:  # into the printer first, then on the books
                self.load_printer(args["consumable"], args["count"], args["capacity"])
        if self._actions % 2:
            cmd_id = f"operator-{self._actions}"
            self._pending[key] = _Pending(name, cmd_id, args, now)
            self.central.command_json(name, cmd_id, args)
            return "mqtt"
        answer = self.station.command(name, args)
        if not answer.get("ok") and answer["error"]["code"] != "invalid_state":
            raise AssertionError(f"local {name} {args} refused: {answer}")
        return "local"
