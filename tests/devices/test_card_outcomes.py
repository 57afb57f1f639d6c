"""Issue 23: a card's outcome from the printer's evidence at the card's end, against a virtual
printer that drops a job it cannot start and one that keeps it, with every fault at every stage."""

from __future__ import annotations

import json

import pytest

from controller.app.config import ConfigError, load_config
from controller.devices.evolis_job import card_job
from controller.devices.printer import Fault, Printed, Spoiled, Unknown

BEHAVIOURS = ("drop", "keep")
# Before the card: the fault's kind, the driver's fault, the flag that shows.
BEFORE_CARD = [
    ("cover_open", "cover_open", "WAR_COVER_OPEN"),
    ("feeder_empty", "feeder_empty", "WAR_FEEDER_EMPTY"),
    ("ribbon_end", "ribbon_out", "WAR_RIBBON_ENDED"),
    ("overheat", "cooling", "WAR_COOLING"),
]
# On a fed card: the fault's kind, the spoiled card's cause.
SPOILING = [
    ("jam", "jam"),
    ("ribbon_break", "ribbon_break"),
    ("ribbon_end", "ribbon_out"),
    ("cover_open", "cover_open"),
]


def _logged(rig) -> list[dict]:
    return [json.loads(line) for line in rig.log_lines]


@pytest.mark.parametrize("blocked_job", BEHAVIOURS)
@pytest.mark.parametrize(("kind", "fault", "flag"), BEFORE_CARD)
def test_a_job_the_printer_cannot_start_is_abandoned_and_never_printed_later(
    make_rig, make_panels, clock, blocked_job, kind, fault, flag
):
    rig = make_rig(blocked_job=blocked_job, faults=[{"at_card": 1, "kind": kind, "seconds": 30}])
    assert rig.driver.print_card(make_panels(1)) == Fault(fault, flag)
    clock.advance(31)  # the fault clears: a printer that kept the job would print it now
    assert flag not in rig.driver.status().flags
    assert rig.driver.card_counter() == 0 and _logged(rig) == []
    assert rig.driver.print_card(make_panels(2)) == Printed(1)
    assert [card["front_sha256"] for card in _logged(rig)] == [make_panels(2).front_sha256()]


@pytest.mark.parametrize("blocked_job", BEHAVIOURS)
@pytest.mark.parametrize("seconds_per_card", [0.0, 20.0])
@pytest.mark.parametrize("stage", ["on_card", "after_release"])
@pytest.mark.parametrize(("kind", "cause"), SPOILING)
def test_a_card_spoiled_on_its_way_is_spoiled_never_printed(
    make_rig, make_panels, blocked_job, seconds_per_card, stage, kind, cause
):
    rig = make_rig(
        blocked_job=blocked_job,
        seconds_per_card=seconds_per_card,
        faults=[{"at_card": 2, "kind": kind, "stage": stage}],
    )
    assert rig.driver.print_card(make_panels(1)) == Printed(1)
    assert rig.driver.print_card(make_panels(2)) == Spoiled(cause, 2)
    assert [card["result"] for card in _logged(rig)] == ["printed", "spoiled"]
    assert rig.driver.card_counter() == 2


@pytest.mark.parametrize("blocked_job", BEHAVIOURS)
def test_a_job_fed_while_the_refused_one_is_abandoned_is_left_to_the_counter(
    make_rig, make_panels, clock, blocked_job, monkeypatch
):
    """The fault clears between the refusal and the abandon, and a printer that kept the job
    feeds it: the counter moved, so the outcome is unknown (a person decides), never a refusal
    that would queue the job for a second card."""
    rig = make_rig(
        blocked_job=blocked_job, faults=[{"at_card": 1, "kind": "cover_open", "seconds": 1}]
    )
    asked = rig.driver._query

    def late(*fields: str):
        if fields == ("Srs",):
            clock.advance(1)
            asked("Rpst")  # the printer feeds a kept job here
        return asked(*fields)

    monkeypatch.setattr(rig.driver, "_query", late)
    outcome = rig.driver.print_card(make_panels())
    if blocked_job == "keep":
        assert isinstance(outcome, Unknown) and outcome.counter_before == 0
    else:
        assert outcome == Fault("cover_open", "WAR_COVER_OPEN")


@pytest.mark.parametrize("blocked_job", BEHAVIOURS)
def test_a_kept_job_waits_behind_a_held_card_and_a_reset_abandons_both(
    make_printer, make_panels, blocked_job
):
    printer = make_printer(blocked_job=blocked_job)
    printer.feed(card_job(make_panels(1), "ymcko", 0))
    assert "INF_CLAIM" in printer.flags()
    printer.feed(card_job(make_panels(2), "ymcko", 0))
    assert printer.state.card_counter == (1 if blocked_job == "keep" else 2)
    printer.feed(b"\x1bSrs\r")
    printer.feed(b"\x1bRpst\r")
    assert "INF_CLAIM" not in printer.flags()
    assert printer.state.card_counter == (1 if blocked_job == "keep" else 2)


def test_a_fault_at_a_stage_it_cannot_strike_is_a_config_error(tmp_path):
    path = tmp_path / "station.toml"
    path.write_text(
        '[station]\nid = "3271-bogor-timur-01"\n[printer]\ndriver = "virtual"\n'
        '[printer.virtual]\nfaults = [{ at_card = 1, kind = "unplug", stage = "after_release" }]\n'
    )
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    message = str(refused.value)
    assert "station.toml" in message and "stage" in message and "unplug" in message
