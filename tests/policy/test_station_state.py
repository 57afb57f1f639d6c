"""The status state, its reasons and precedence, and the gate before every card."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from controller.policy.duty import DutyDecision
from controller.policy.station_state import StationInputs, derive_state, may_start_card

LATER = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
FREE = DutyDecision(True, None, None, 25.0, 0)
HOT = DutyDecision(False, LATER, "head_cooling", 85.0, 10, ("head_cooling",))
FULL = {"cards": 80, "ribbon": 180, "film": 400}
OK = StationInputs(
    paused=False,
    printing=False,
    printer_connected=True,
    cover_open=False,
    printer_error=False,
    remaining=FULL,
    needs_review=0,
    duty=FREE,
)


def test_all_clear_is_ready_and_may_print() -> None:
    assert derive_state(OK).state == "ready"
    assert derive_state(OK).reasons == ()
    assert may_start_card(OK) == (True, None)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"printer_connected": False}, "printer_missing"),
        ({"cover_open": True}, "cover_open"),
        ({"remaining": {**FULL, "cards": 0}}, "cards_empty"),
        ({"remaining": {**FULL, "ribbon": 0}}, "ribbon_empty"),
        ({"remaining": {**FULL, "film": 0}}, "film_empty"),
        ({"needs_review": 1}, "review_pending"),
    ],
)
def test_each_blocking_reason(change: dict, code: str) -> None:
    inputs = replace(OK, **change)
    assert derive_state(inputs).state == "blocked"
    assert derive_state(inputs).reasons == (code,)
    assert may_start_card(inputs) == (False, code)


def test_a_printer_fault_is_an_error() -> None:
    inputs = replace(OK, printer_error=True)
    assert derive_state(inputs).state == "error"
    assert may_start_card(inputs) == (False, "printer_error")


@pytest.mark.parametrize("code", ["daily_limit", "hourly_limit", "head_cooling", "printer_cooling"])
def test_each_duty_reason_is_cooling(code: str) -> None:
    inputs = replace(OK, duty=DutyDecision(False, LATER, code, 60.0, 3, (code,)))
    derived = derive_state(inputs)
    assert (derived.state, derived.reasons, derived.next_print_at) == ("cooling", (code,), LATER)
    assert may_start_card(inputs) == (False, code)


def test_precedence_printing_paused_blocked_error_cooling() -> None:
    everything = replace(
        OK, printing=True, paused=True, cover_open=True, printer_error=True, duty=HOT
    )
    expected = ["printing", "paused", "blocked", "error", "cooling", "ready"]
    steps = [
        {"printing": False},
        {"paused": False},
        {"cover_open": False},
        {"printer_error": False},
        {"duty": FREE},
    ]
    seen = [derive_state(everything).state]
    for step in steps:
        everything = replace(everything, **step)
        seen.append(derive_state(everything).state)
    assert seen == expected


def test_reasons_list_everything_in_force_whatever_the_state() -> None:
    inputs = replace(OK, paused=True, remaining={**FULL, "film": 0}, printer_error=True, duty=HOT)
    derived = derive_state(inputs)
    assert derived.state == "paused"
    assert derived.reasons == ("film_empty", "printer_error", "head_cooling")
    assert may_start_card(inputs) == (False, "paused")
    assert may_start_card(replace(inputs, printing=True)) == (False, "printing")


def test_a_missing_printer_hides_its_stale_flags() -> None:
    inputs = replace(OK, printer_connected=False, cover_open=True, printer_error=True)
    assert derive_state(inputs).reasons == ("printer_missing",)
