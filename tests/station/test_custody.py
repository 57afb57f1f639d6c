"""Issue 26: named people and the blanks' custody at a running station: accounts the control
socket's Unix user maps to, the operator on duty at the panel, lots received and countersigned
and used oldest first, spoiled blanks in custody until a destruction record, and the books
lowered only by a supervisor with a reason."""

from __future__ import annotations

import pytest

from contract.errors import CommandError
from contract.vocabulary import ActionSource, Resolution
from controller.core.commands import StationCommands
from controller.core.operations import Operations
from controller.queue.audit import Actor
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until
from tests.station.conftest import Running

ROOT = Actor(ActionSource.LOCAL, "root (uid 0, pid 10)", user="root", superuser=True)
SITI = Actor(ActionSource.LOCAL, "siti (uid 1001, pid 11)", user="siti")  # a supervisor
BUDI = Actor(ActionSource.LOCAL, "budi (uid 1002, pid 12)", user="budi")  # an operator
ANI = Actor(ActionSource.LOCAL, "ani (uid 1003, pid 13)", user="ani")  # no account


def staffed(running: Running) -> StationCommands:
    """The station's local commands with a supervisor (siti) and an operator (budi)."""
    local = running.commands
    for name, role in (("siti", "supervisor"), ("budi", "operator")):
        account = {"name": name, "full_name": name.title(), "role": role, "unix_user": name}
        local.handle("account-add", account, ROOT)
    return local


def refused(local: StationCommands, name: str, args: dict, actor: Actor) -> str:
    with pytest.raises(CommandError) as error:
        local.handle(name, args, actor)
    return error.value.code


def test_each_action_is_audited_under_the_account_its_unix_user_maps_to(make_station) -> None:
    running = make_station(paused=True)
    local = staffed(running)
    new = {"name": "rina", "full_name": "Rina", "role": "operator"}
    assert refused(local, "account-add", new, BUDI) == "not_authorized"  # an operator may not
    local.handle("account-add", new, SITI)  # a supervisor may
    local.handle("resume", {}, BUDI)
    local.handle("pause", {}, ANI)  # no account: audited as the kernel names the peer
    entries = running.store.audit.entries()
    assert [(e.command, e.account, e.outcome) for e in entries] == [
        ("account-add", None, "ok"),  # root, who has no account, set the station up
        ("account-add", None, "ok"),
        ("account-add", "budi", "not_authorized"),
        ("account-add", "siti", "ok"),
        ("resume", "budi", "ok"),
        ("pause", None, "ok"),
    ]
    listed = local.handle("account-list", {})
    assert [(a["name"], a["role"]) for a in listed["accounts"]] == [
        ("budi", "operator"),
        ("rina", "operator"),
        ("siti", "supervisor"),
    ]


def test_the_review_button_acts_for_the_operator_on_duty(make_station) -> None:
    running = make_station(faults='{ at_card = 1, kind = "unplug", seconds = 0.2 }')
    local = staffed(running)
    local.handle("on-duty", {"name": "budi"}, BUDI)
    running.store.intake.submit(payload(make_job(1)))
    wait_until(lambda: running.states()["needs_review"] == 1, timeout=15)
    operations = Operations(running.station)
    running.station.call(lambda: operations.resolve_oldest_review(Resolution.PRINTED))
    [resolved] = running.events("job.resolved")
    assert resolved.data["by"] == "panel"
    assert resolved.data["operator"] == "budi (review button)"
    assert running.store.audit.entries()[-1].account == "budi"


def test_a_lot_is_countersigned_by_a_supervisor_and_used_oldest_first(make_station) -> None:
    running = make_station(paused=True)
    local = staffed(running)
    late = {"consumable": "cards", "lot": "B-2", "quantity": 10, "received_on": "2026-12-01"}
    early = {"consumable": "cards", "lot": "A-1", "quantity": 3, "received_on": "2026-11-01"}
    assert refused(local, "lot-receive", late, ANI) == "not_authorized"  # no named person
    local.handle("lot-receive", late, BUDI)
    local.handle("lot-receive", early, SITI)
    sign_early = {"consumable": "cards", "lot": "A-1"}
    assert refused(local, "lot-countersign", sign_early, BUDI) == "not_authorized"
    assert refused(local, "lot-countersign", sign_early, SITI) == "invalid_args"  # her own
    local.handle("lot-countersign", {"consumable": "cards", "lot": "B-2"}, SITI)
    for n in range(1, 3):
        running.store.intake.submit(payload(make_job(n)))
    local.handle("resume", {}, BUDI)
    wait_until(lambda: running.states()["printed"] == 2)
    books = {lot["lot"]: lot for lot in local.handle("blanks-report", {})["lots"]}
    assert "A-1" not in books  # not countersigned: not on the books
    assert books["B-2"]["printed"] == 2 and books["B-2"]["in_stock"] == 8
    local.handle("pause", {}, BUDI)
    wait_until(lambda: running.station.state == "paused")
    # A second supervisor countersigns A-1; from now it is the oldest lot in stock.
    local.handle("account-add", {"name": "dewi", "full_name": "Dewi", "role": "supervisor",
                                 "unix_user": "dewi"}, ROOT)  # fmt: skip
    dewi = Actor(ActionSource.LOCAL, "dewi (uid 1004, pid 14)", user="dewi")
    local.handle("lot-countersign", sign_early, dewi)
    for n in range(3, 8):
        running.store.intake.submit(payload(make_job(n)))
    local.handle("resume", {}, BUDI)
    wait_until(lambda: running.states()["printed"] == 7)
    books = {lot["lot"]: lot for lot in local.handle("blanks-report", {})["lots"]}
    assert (books["A-1"]["printed"], books["A-1"]["in_stock"]) == (3, 0)
    assert (books["B-2"]["printed"], books["B-2"]["in_stock"]) == (4, 6)
    assert all(lot.holds for lot in running.store.lots.books())


def test_spoiled_blanks_stay_in_custody_until_two_officials_destroy_them(make_station) -> None:
    running = make_station(faults='{ at_card = 2, kind = "jam" }', paused=True)
    local = staffed(running)
    lot = {"consumable": "cards", "lot": "L-1", "quantity": 40, "received_on": "2026-12-01"}
    local.handle("lot-receive", lot, BUDI)
    local.handle("lot-countersign", {"consumable": "cards", "lot": "L-1"}, SITI)
    for n in range(1, 3):
        running.store.intake.submit(payload(make_job(n)))
    local.handle("resume", {}, BUDI)
    wait_until(lambda: running.states()["printed"] == 2)
    report = local.handle("blanks-report", {})
    assert [(job, cause) for _, job, cause in report["in_custody"]] == [("JOB-2026-000002", "jam")]
    destroy = {"count": 1, "destroyed_on": "2026-12-07", "witness": "siti"}
    assert refused(local, "destroy-spoiled", destroy, BUDI) == "not_authorized"  # no supervisor
    assert refused(local, "destroy-spoiled", destroy, SITI) == "invalid_args"  # one person
    assert refused(local, "destroy-spoiled", {**destroy, "count": 2}, ROOT) == "not_authorized"
    assert running.store.lots.in_custody() != []  # nothing closed by a refusal
    record = local.handle("destroy-spoiled", {**destroy, "witness": "budi"}, SITI)
    assert record["job_ids"] == ["JOB-2026-000002"]
    assert running.store.lots.in_custody() == []
    [books] = running.store.lots.books()
    assert (books.printed, books.spoiled, books.destroyed, books.in_stock) == (2, 1, 1, 37)
    assert books.holds


def test_lowering_the_books_needs_a_supervisor_and_a_reason(make_station) -> None:
    running = make_station(paused=True)
    local = staffed(running)
    lot = {"consumable": "cards", "lot": "L-1", "quantity": 40, "received_on": "2026-12-01"}
    local.handle("lot-receive", lot, BUDI)
    local.handle("lot-countersign", {"consumable": "cards", "lot": "L-1"}, SITI)
    lower = {"consumable": "cards", "delta": -2, "reason": "two blanks missing at the count"}
    assert refused(local, "lot-adjust", lower, BUDI) == "not_authorized"
    assert refused(local, "lot-adjust", {**lower, "reason": ""}, SITI) == "invalid_args"
    local.handle("lot-adjust", {**lower, "delta": 1, "reason": "one found"}, BUDI)  # raising
    local.handle("lot-adjust", lower, SITI)
    # The feeder holds 50 on the books: a reload of 45 lowers them.
    fewer = {"consumable": "cards", "count": 45}
    assert refused(local, "reload", fewer, BUDI) == "not_authorized"
    assert refused(local, "reload", fewer, SITI) == "not_authorized"  # no reason
    local.handle("reload", {**fewer, "reason": "five blanks bent, set aside"}, SITI)
    [books] = running.store.lots.books()
    assert (books.adjusted, books.in_stock) == (1 - 2 - 5, 34)
    audit = [(e.command, e.account, e.outcome) for e in running.store.audit.entries()[2:]]
    assert audit == [
        ("lot-receive", "budi", "ok"),
        ("lot-countersign", "siti", "ok"),
        ("lot-adjust", "budi", "not_authorized"),
        ("lot-adjust", "siti", "invalid_args"),
        ("lot-adjust", "budi", "ok"),
        ("lot-adjust", "siti", "ok"),
        ("reload", "budi", "not_authorized"),
        ("reload", "siti", "not_authorized"),
        ("reload", "siti", "ok"),
    ]


def test_a_lot_reserved_for_new_cards_holds_replacements_back(make_station) -> None:
    """A lot of 10 with 70 % for new cards: 3 blanks for replacements, then only new jobs."""
    running = make_station(paused=True)
    local = staffed(running)
    lot = {"consumable": "cards", "lot": "Q-1", "quantity": 10, "received_on": "2026-12-01"}
    assert refused(local, "lot-receive", {**lot, "new_share": 101}, BUDI) == "invalid_args"
    local.handle("lot-receive", {**lot, "new_share": 70}, BUDI)
    local.handle("lot-countersign", {"consumable": "cards", "lot": "Q-1"}, SITI)
    for n in range(1, 6):
        running.store.intake.submit(payload(make_job(n, reason="lost")))
    running.store.intake.submit(payload(make_job(6)))  # new, and last in the queue
    local.handle("resume", {}, BUDI)
    wait_until(lambda: running.states()["printed"] == 4)
    printed = [e.job_id for e in running.events("card.printed")]
    assert printed == [f"JOB-2026-00000{n}" for n in (1, 2, 3, 6)]
    assert running.states()["queued"] == 2  # two replacements wait for the next lot
    local.handle("lot-receive", {**lot, "lot": "Q-2"}, BUDI)  # no quota
    local.handle("lot-countersign", {"consumable": "cards", "lot": "Q-2"}, SITI)
    wait_until(lambda: running.states()["printed"] == 6)
    books = {lot.lot: lot for lot in running.store.lots.books()}
    assert (books["Q-1"].printed, books["Q-2"].printed) == (4, 2)  # Q-1's 70 % kept for new
