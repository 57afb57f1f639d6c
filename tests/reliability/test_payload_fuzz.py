"""Hostile payloads in bulk, in process: every one gets its contract code, none crashes.

Four paths, each with hypothesis: the job validator (`parse_job`), the stored intake (with
duplicates, conflicts, duplicate NIKs and expiry), the MQTT command processor over a running
core loop, and the local control socket's request handler. A sample of the same catalogue is
published to the running daemon by the kill run (test_kill_run.py).
"""

from __future__ import annotations

import base64
import json
import string
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from contract.clock import ManualClock
from contract.jobspec import JobSpec, Rejection, parse_job
from contract.vocabulary import RejectCode
from controller.policy.budget import BudgetLimits
from controller.queue.intake import layout_problems
from controller.queue.store import Store
from tests.reliability.conftest import Report, session_scale
from tests.reliability.inprocess import LocalStation, answer_as_root, local_station
from tests.reliability.payloads import (
    GOOD_ID,
    JOB_CASES,
    TODAY,
    Case,
    CommandCase,
    CommandTargets,
    HypothesisChooser,
    command_case,
)

pytestmark = pytest.mark.reliability
SCALE = session_scale()
FAST = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    "database": None,
}


@st.composite
def job_cases(draw: st.DrawFn, intake: bool = False) -> Case:
    chooser = HypothesisChooser(draw)
    cases = [case for case in JOB_CASES if intake or case.__name__ != "job_past_not_after"]
    job_id = "FZ-" + draw(st.text(GOOD_ID, min_size=1, max_size=24))
    return draw(st.sampled_from(cases))(chooser, job_id)


def pii_of(payload: bytes) -> list[str]:
    """The name, NIK and address of a payload's card, where they can be read."""
    try:
        card = json.loads(payload.decode()).get("card", {})
        return [card[k] for k in ("name", "nik", "address") if isinstance(card.get(k), str)]
    except (ValueError, AttributeError, RecursionError):
        return []


# -- the validator -------------------------------------------------------------------------


def test_every_job_payload_gets_its_code_from_the_validator(report: Report) -> None:
    seen: Counter[str] = Counter()

    @seed(SCALE.seed)
    @settings(max_examples=SCALE.fuzz_jobs, **FAST)
    @given(job_cases())
    def check(case: Case) -> None:
        seen[case.kind] += 1
        result = parse_job(case.payload, TODAY, layout_problems)
        if case.code is None:
            assert isinstance(result, JobSpec), (case.kind, result)
            return
        assert isinstance(result, Rejection), (case.kind, result)
        assert (result.code, result.job_id) == (case.code, case.job_id), case.kind
        leaked = [
            value for value in pii_of(case.payload) if len(value) > 3 and value in result.message
        ]
        assert not leaked, f"{case.kind}: the rejection message repeats {leaked}"

    check()
    assert sum(seen.values()) >= SCALE.fuzz_jobs * 0.9
    report(
        "payload fuzz (in process)",
        {"job validator examples": sum(seen.values()), "job case kinds": len(seen)},
    )


# -- the stored intake ---------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    # Noon of the catalogue's day at the station, so the intake judges dates as a daemon would.
    clock = ManualClock(datetime.combine(TODAY, time(12), ZoneInfo(BudgetLimits.timezone)))
    opened = Store.open(
        tmp_path / "station.db",
        "3271-bogor-timur-01",
        clock,
        low_thresholds={"cards": 1, "ribbon": 1, "film": 1},
        initial_load={"cards": 10, "ribbon": 10, "film": 10},
    )
    yield opened
    opened.close()


def rejections(store: Store, after: int) -> list[Any]:
    return [e for e in store.outbox.all_events() if e.seq > after]


def test_every_job_payload_gets_its_code_from_the_stored_intake(
    store: Store, report: Report
) -> None:
    """Through `Intake.submit`: the event written is the answer; a valid job is accepted once,
    then its re-delivery is a duplicate, other content under its id a conflict, and another
    job for its NIK while it is active `duplicate_nik`; a message rejected for what it is comes
    again as a duplicate, without a second event."""
    counter = iter(range(1, 10**9))
    seen: Counter[str] = Counter()
    rejected: set[bytes] = set()  # messages rejected for what they are

    @seed(SCALE.seed)
    @settings(max_examples=SCALE.fuzz_intake, **FAST)
    @given(job_cases(intake=True))
    def check(case: Case) -> None:
        unique = f"IN-{next(counter):07d}"
        payload = case.payload.replace(b"FZ-", unique.encode() + b"-", 1)
        job_id = None if case.job_id is None else case.job_id.replace("FZ-", unique + "-", 1)
        last = store.outbox.all_events()[-1].seq if store.outbox.all_events() else 0
        result = store.intake.submit(payload)
        events = rejections(store, last)
        if payload in rejected:  # the same message again (an unreadable one has no job_id)
            assert (result.outcome, events) == ("duplicate", []), case.kind
            return
        assert len(events) == 1, (case.kind, events)
        seen[case.kind] += 1
        if case.code is not None:
            if case.code not in (RejectCode.EXPIRED, RejectCode.DUPLICATE_NIK):
                rejected.add(payload)
            assert result.outcome == "rejected"
            assert (events[0].type, events[0].data["code"]) == ("job.rejected", case.code)
            assert events[0].job_id == job_id, case.kind
            return
        assert (result.outcome, events[0].type) == ("accepted", "job.accepted"), case.kind
        assert store.intake.submit(payload).outcome == "duplicate"
        document = json.loads(payload)
        document["reason"] = "lost" if document["reason"] != "lost" else "damaged"
        assert store.intake.submit(json.dumps(document).encode()).code == "conflict"
        document["job_id"] = job_id + "-again"
        assert store.intake.submit(json.dumps(document).encode()).code == "duplicate_nik"
        store.jobs.cancel(job_id, by="test")  # its NIK is free again
        seen["then duplicate, conflict, duplicate_nik"] += 1

    check()
    examples = sum(n for kind, n in seen.items() if not kind.startswith("then "))
    assert seen["then duplicate, conflict, duplicate_nik"] > 0
    report("payload fuzz (in process)", {"stored intake examples": examples})


# -- commands ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStation]:
    with local_station(tmp_path_factory.mktemp("local-station")) as station:
        yield station


def reply_of(payload: bytes) -> dict[str, Any]:
    body = json.loads(payload.decode("utf-8"))
    assert body["schema"] == "ektp.reply/1"
    return body


def test_every_command_payload_gets_its_code_from_the_processor(
    running: LocalStation, report: Report
) -> None:
    counter = iter(range(1, 10**9))
    targets = CommandTargets(queued=[running.queued_job], ended=[running.ended_job])
    seen: Counter[str] = Counter()

    @st.composite
    def cases(draw: st.DrawFn) -> CommandCase:
        cmd_id = f"fz-{next(counter)}-" + draw(st.text(string.ascii_letters, max_size=8))
        return command_case(HypothesisChooser(draw), cmd_id, targets, effects=True)

    @seed(SCALE.seed)
    @settings(max_examples=SCALE.fuzz_commands, **FAST)
    @given(cases())
    def check(case: CommandCase) -> None:
        seen[case.kind] += 1
        reply = reply_of(running.processor.process(case.name, case.payload).payload)
        assert reply["cmd_id"] == case.cmd_id, case.kind
        if case.code is None:
            assert reply["ok"] is True, (case.kind, reply)
        else:
            assert reply["ok"] is False
            assert reply["error"]["code"] == case.code, (case.kind, reply)

    check()
    assert running.store.jobs.get(running.queued_job).state == "queued"
    report(
        "payload fuzz (in process)",
        {"command processor examples": sum(seen.values()), "command case kinds": len(seen)},
    )


@st.composite
def control_requests(draw: st.DrawFn, targets: CommandTargets) -> tuple[bytes, str | None, Any]:
    """(raw request, error code or None, the job code a `submit` result must carry)."""
    c = HypothesisChooser(draw)
    kind = c.choice(["broken", "shape", "unknown", "args_type", "job_args", "submit", "read"])
    if kind == "broken":
        depth = c.integer(5000, 50000)
        raw = c.choice([b"", b"{", b"\xff{}", b"[" * depth + b"]" * depth, b'{"cmd":"status"'])
        return raw, "invalid_json", None
    if kind == "shape":
        body = c.choice([[], "status", 1, None, {}, {"cmd": 1}, {"cmd": None}, {"args": {}}])
        return json.dumps(body).encode(), "invalid_schema", None
    if kind == "unknown":
        request = {"cmd": c.choice(["reboot", "debug_hang", "PAUSE", "", "sudo"]), "args": {}}
        return json.dumps(request).encode(), "unknown_command", None
    if kind == "args_type":
        request = {"cmd": c.choice(["status", "cancel", "reload"]), "args": c.choice([[], 1, "x"])}
        return json.dumps(request).encode(), "invalid_args", None
    if kind == "job_args":
        name = c.choice(["cancel", "resolve"])
        job_id, code = c.choice(
            [(None, "invalid_args"), ("A B", "invalid_args"), ("NOPE-9", "unknown_job")]
            + [(job, "invalid_state") for job in targets.ended]
        )
        request = {"cmd": name, "args": {"job_id": job_id, "outcome": "not_printed"}}
        return json.dumps(request).encode(), code, None
    if kind == "submit":
        if c.integer(0, 3) == 0:
            args = {"payload_b64": c.choice(["!!", 5, None, "YW J"])}
            return json.dumps({"cmd": "submit", "args": args}).encode(), "invalid_args", None
        case = c.choice([case for case in JOB_CASES if case.__name__ != "job_deep_ok"])(
            c, "LS-" + c.text(GOOD_ID, 1, 12)
        )
        args = {"payload_b64": base64.b64encode(case.payload).decode()}
        return json.dumps({"cmd": "submit", "args": args}).encode(), None, case
    return json.dumps({"cmd": c.choice(["status", "jobs"])}).encode(), None, None


def test_every_control_socket_request_gets_its_code(running: LocalStation, report: Report) -> None:
    """The local socket's handler (`printstation ...`): broken framing, wrong shapes, each
    command's argument errors, and job files through `submit`, whose result carries the job's
    own code."""
    targets = CommandTargets(queued=[running.queued_job], ended=[running.ended_job])
    total = [0]
    taken: set[str] = set()  # job ids the intake stored: other content under one is a conflict

    @seed(SCALE.seed)
    @settings(max_examples=SCALE.fuzz_control, **FAST)
    @given(control_requests(targets))
    def check(request: tuple[bytes, str | None, Any]) -> None:
        raw, code, job_case = request
        total[0] += 1
        answer = answer_as_root(running.local, raw)
        if code is not None:
            assert answer["ok"] is False, (raw[:200], answer)
            assert answer["error"]["code"] == code, (raw[:200], answer)
            return
        assert answer["ok"] is True, (raw[:200], answer)
        if job_case is not None:
            result = answer["result"]
            if job_case.code is None:
                assert result["outcome"] in ("accepted", "duplicate", "rejected")
                if result["outcome"] == "accepted":
                    taken.add(result["job_id"])
                    running.store.jobs.cancel(result["job_id"], by="test")
                else:  # a valid job can only meet an active one with its NIK, or its own id
                    assert result["code"] in (None, "duplicate_nik", "conflict"), result
            else:  # the stored intake's own rules come after the id's: conflict first
                stored_before = job_case.needs_intake and job_case.job_id in taken
                want = "conflict" if stored_before else job_case.code
                assert result["code"] == want, (job_case.kind, result)

    check()
    report("payload fuzz (in process)", {"control socket examples": total[0]})
