"""The hostile sample published to the running daemon over MQTT, and its accounting.

Cases come from the catalogue (payloads.py) through a seeded generator. Each is published by
the central office while valid jobs keep printing; at the end every one must have got its
contract code: a `job.rejected` with the right `code`, or a reply with the right error code.
Cases whose answer carries no id (unreadable JSON, no usable `cmd_id`) are counted per code.
Retained commands (a valid `pause`) must get no reply and no effect.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from tests.reliability.payloads import (
    Case,
    CommandCase,
    CommandTargets,
    RandomChooser,
    bad_job,
    command_case,
)
from tests.reliability.peers import CentralOffice, Recorder

INTERRUPTED = "interrupted"  # invalid_state: a stop came between the command and its reply


def reply_code(reply: dict[str, Any]) -> str:
    """`ok`, the error code, or INTERRUPTED for the reply to a command a stop interrupted."""
    if reply["ok"]:
        return "ok"
    if (
        reply["error"]["code"] == "invalid_state"
        and "stopped while it ran" in reply["error"]["message"]
    ):
        return INTERRUPTED
    return str(reply["error"]["code"])


@dataclass
class MqttFuzz:
    central: CentralOffice
    rng: random.Random
    run: str
    jobs: list[Case] = field(default_factory=list)
    commands: list[CommandCase] = field(default_factory=list)
    retained: list[str] = field(default_factory=list)
    resent: int = 0

    def send(self, count: int, targets: CommandTargets) -> None:
        """Publish `count` cases: about 60 % jobs, 37 % commands, 3 % retained commands."""
        chooser = RandomChooser(self.rng)
        for _ in range(count):
            roll = self.rng.random()
            number = len(self.jobs) + len(self.commands) + len(self.retained) + 1
            if roll < 0.60:
                case = bad_job(chooser, f"FZ-{self.run}-{number:06d}")
                self.jobs.append(case)
                self.central.job(case.payload)
            elif roll < 0.97:
                command = command_case(chooser, f"fz-{self.run}-{number}", targets, effects=False)
                self.commands.append(command)
                self.central.command(command.name, command.payload)
            else:
                cmd_id = f"retained-{self.run}-{number}"
                self.retained.append(cmd_id)
                body = {"schema": "ektp.cmd/1", "cmd_id": cmd_id, "args": {}}
                self.central.command("pause", json.dumps(body).encode(), retain=True)

    def clear_retained(self) -> None:
        """Delete the retained commands from the broker (an empty retained message)."""
        self.central.command("pause", b"", retain=True)

    # -- accounting --------------------------------------------------------------------------

    def _unreadable_jobs(self) -> list[Case]:
        """The job cases without a readable job_id, one per distinct message: the station
        rejects a message once, however often it comes (a repeat is a duplicate)."""
        distinct = {c.payload: c for c in self.jobs if c.job_id is None}
        return list(distinct.values())

    def _answers(
        self, recorder: Recorder
    ) -> tuple[dict[str, list[str]], Counter[str], dict[str, list[str]], Counter[str]]:
        rejected: dict[str, list[str]] = defaultdict(list)
        rejected_anonymous: Counter[str] = Counter()
        seen: set[str] = set()
        for event in recorder.events():
            if event["type"] != "job.rejected" or event["event_id"] in seen:
                continue
            seen.add(event["event_id"])
            if event["job_id"] is None:
                rejected_anonymous[event["data"]["code"]] += 1
            else:
                rejected[event["job_id"]].append(event["data"]["code"])
        replies: dict[str, list[str]] = defaultdict(list)
        replies_anonymous: Counter[str] = Counter()
        for reply in recorder.replies():
            code = reply_code(reply)
            if reply["cmd_id"] is None:
                replies_anonymous[code] += 1
            else:
                replies[reply["cmd_id"]].append(code)
        return rejected, rejected_anonymous, replies, replies_anonymous

    def resend_unanswered(self, recorder: Recorder) -> int:
        """Publish again what has no answer yet (a broker crash may have lost it before it
        reached the station), as a central office does; returns how many."""
        rejected, rejected_anonymous, replies, replies_anonymous = self._answers(recorder)
        again = 0
        wanted = Counter(c.code for c in self._unreadable_jobs())
        deficit = {code: n - rejected_anonymous[code] for code, n in wanted.items()}
        for case in self.jobs:
            if case.job_id is not None and case.job_id not in rejected:
                self.central.job(case.payload)
                again += 1
        for case in self._unreadable_jobs():
            # An answer names no message here: send every one of a code that is short (the
            # station acknowledges those it answered before without a second answer).
            if deficit.get(case.code or "", 0) > 0:
                self.central.job(case.payload)
                again += 1
        wanted = Counter(c.code or "ok" for c in self.commands if c.cmd_id is None)
        deficit = {code: n - replies_anonymous[code] for code, n in wanted.items()}
        for command in self.commands:
            code = command.code or "ok"
            if command.cmd_id is not None and command.cmd_id not in replies:
                self.central.command(command.name, command.payload)
                again += 1
            elif command.cmd_id is None and deficit.get(code, 0) > 0:
                deficit[code] -= 1
                self.central.command(command.name, command.payload)
                again += 1
        self.resent += again
        return again

    def unanswered_cases(self, recorder: Recorder) -> list[str]:
        """The readable cases without an answer, and the per-code shortfalls of the others."""
        rejected, rejected_anonymous, replies, replies_anonymous = self._answers(recorder)
        found = [f"{c.kind} {c.job_id}" for c in self.jobs if c.job_id and c.job_id not in
                 rejected]  # fmt: skip
        found += [f"{c.kind} {c.cmd_id}" for c in self.commands if c.cmd_id and c.cmd_id not in
                  replies]  # fmt: skip
        wanted = Counter(c.code for c in self._unreadable_jobs())
        found += [f"{n - rejected_anonymous[code]} x job {code}" for code, n in wanted.items()
                  if n > rejected_anonymous[code]]  # fmt: skip
        wanted = Counter(c.code or "ok" for c in self.commands if c.cmd_id is None)
        found += [f"{n - replies_anonymous[code]} x command {code}" for code, n in
                  wanted.items() if n > replies_anonymous[code]]  # fmt: skip
        return found

    def unanswered(self, recorder: Recorder) -> int:
        rejected, rejected_anonymous, replies, replies_anonymous = self._answers(recorder)
        missing = sum(1 for c in self.jobs if c.job_id is not None and c.job_id not in rejected)
        missing += sum(1 for c in self.commands if c.cmd_id is not None and c.cmd_id not in replies)
        wanted_jobs = Counter(c.code for c in self._unreadable_jobs())
        missing += sum(max(0, n - rejected_anonymous[code]) for code, n in wanted_jobs.items())
        wanted = Counter(c.code or "ok" for c in self.commands if c.cmd_id is None)
        missing += sum(max(0, n - replies_anonymous[code]) for code, n in wanted.items())
        return missing

    def check(self, recorder: Recorder, accepted_ids: set[str]) -> dict[str, Any]:
        """Every case got its code (and only its code); retained commands got nothing."""
        rejected, rejected_anonymous, replies, replies_anonymous = self._answers(recorder)
        interrupted = 0
        for case in self.jobs:
            if case.job_id is None:
                continue
            codes = set(rejected.get(case.job_id, []))
            assert codes == {case.code}, f"{case.kind} {case.job_id}: got {codes or 'nothing'}"
            assert case.job_id not in accepted_ids, f"{case.kind} {case.job_id} was accepted"
        wanted_jobs = Counter(c.code for c in self._unreadable_jobs())
        for code, n in wanted_jobs.items():
            assert rejected_anonymous[code] >= n, f"{n} unreadable jobs want {code}: " + str(
                rejected_anonymous[code]
            )
        stray = set(rejected_anonymous) - set(wanted_jobs)
        assert not stray, f"rejections without a job_id and an unexpected code: {stray}"
        for command in self.commands:
            if command.cmd_id is None:
                continue
            codes = set(replies.get(command.cmd_id, []))
            want = command.code or "ok"
            interrupted += codes == {INTERRUPTED}
            assert codes in ({want}, {INTERRUPTED}), (
                f"{command.kind} {command.cmd_id}: got {codes or 'nothing'}"
            )
        wanted = Counter(c.code or "ok" for c in self.commands if c.cmd_id is None)
        for code, n in wanted.items():
            assert replies_anonymous[code] >= n, f"{n} unreadable commands want {code}"
        answered_retained = [cmd_id for cmd_id in self.retained if cmd_id in replies]
        assert not answered_retained, f"retained commands were run: {answered_retained[:3]}"
        return {
            "bad jobs published": len(self.jobs),
            "bad commands published": len(self.commands),
            "retained commands published (ignored)": len(self.retained),
            "job case kinds": len({c.kind for c in self.jobs}),
            "command case kinds": len({c.kind for c in self.commands}),
            "codes": dict(
                Counter(c.code for c in self.jobs) + Counter(c.code or "ok" for c in self.commands)
            ),
            "re-sent after a broker crash": self.resent,
            "commands interrupted by a SIGKILL (answered: effect unknown)": interrupted,
        }
