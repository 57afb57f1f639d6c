"""The Evolis driver printing through pyusb and the virtual printer: outcomes of every fault."""

from __future__ import annotations

import json

import pytest

import firmware.commands
from controller.devices.printer import (
    Fault,
    Identity,
    Level,
    Printed,
    PrinterDriver,
    Spoiled,
    Unknown,
)
from firmware.head import HeadModel


def test_happy_path_prints_and_logs_the_front_hash(make_rig, make_panels):
    rig = make_rig(cards=10, ribbon=20)
    driver = rig.driver
    assert isinstance(driver, PrinterDriver)
    assert driver.identity() == Identity("Evolis Primacy", "VP0000001", "VP-1.0.0")
    assert driver.card_counter() == 0

    panels = make_panels(seed=7)
    assert driver.print_card(panels) == Printed(1)

    assert driver.card_counter() == 1
    status = driver.status()
    assert status.ready and status.flags == frozenset()
    assert status.consumables == {
        "cards": Level(9, 10),
        "ribbon": Level(19, 20),
    }  # no film: a Primacy prints direct to the card
    (line,) = rig.log_lines
    record = json.loads(line)
    assert record["counter"] == 1 and record["result"] == "printed"
    assert record["front_sha256"] == panels.front_sha256()
    assert record["time"] == "2026-11-22T01:00:00Z"
    assert record["panels"] == 6


def test_front_only_card_and_many_cards_count_up(make_rig, make_panels):
    rig = make_rig()
    outcomes = [rig.driver.print_card(make_panels(seed=n, back=False)) for n in range(5)]
    assert outcomes == [Printed(n) for n in range(1, 6)]
    assert [json.loads(line)["counter"] for line in rig.log_lines] == [1, 2, 3, 4, 5]
    assert rig.printer.state.panels_printed == 25


def test_jam_spoils_the_blank_and_the_driver_clears_it(make_rig, make_panels):
    rig = make_rig(faults=[{"at_card": 2, "kind": "jam"}])
    driver = rig.driver
    assert driver.print_card(make_panels(1)) == Printed(1)
    assert driver.print_card(make_panels(2)) == Spoiled("jam", 2)
    assert "ERR_MECHANICAL" not in driver.status().flags
    assert rig.printer.state.reject_box == 1
    assert driver.print_card(make_panels(2)) == Printed(3)
    results = [json.loads(line)["result"] for line in rig.log_lines]
    assert results == ["printed", "spoiled", "printed"]


def test_ribbon_break_spoils_and_stops_until_a_ribbon_reload(make_rig, make_panels):
    rig = make_rig(ribbon=100, faults=[{"at_card": 1, "kind": "ribbon_break"}])
    driver = rig.driver
    assert driver.print_card(make_panels()) == Spoiled("ribbon_break", 1)
    assert "ERR_RIBBON_ERROR" in driver.status().flags
    assert driver.print_card(make_panels()) == Fault("ribbon_out", "ERR_RIBBON_ERROR")
    assert driver.card_counter() == 1

    driver.set_level("ribbon", 200)
    status = driver.status()
    assert "ERR_RIBBON_ERROR" not in status.flags
    assert status.consumables["ribbon"] == Level(200, 200)
    assert driver.print_card(make_panels()) == Printed(2)


def test_cover_opens_before_the_card_and_closes_after_its_seconds(make_rig, make_panels, clock):
    rig = make_rig(faults=[{"at_card": 2, "kind": "cover_open", "seconds": 30}])
    driver = rig.driver
    assert driver.print_card(make_panels()) == Printed(1)
    assert driver.print_card(make_panels()) == Fault("cover_open", "WAR_COVER_OPEN")
    assert "WAR_COVER_OPEN" in driver.status().flags
    assert driver.card_counter() == 1 and len(rig.log_lines) == 1

    clock.advance(29)
    assert driver.print_card(make_panels()) == Fault("cover_open", "WAR_COVER_OPEN")
    clock.advance(1)
    assert "WAR_COVER_OPEN" not in driver.status().flags
    assert driver.print_card(make_panels()) == Printed(2)


def test_overheat_reports_cooling_for_its_seconds(make_rig, make_panels, clock):
    rig = make_rig(faults=[{"at_card": 1, "kind": "overheat", "seconds": 60}])
    driver = rig.driver
    assert driver.print_card(make_panels()) == Fault("cooling", "WAR_COOLING")
    assert "WAR_COOLING" in driver.status().flags
    clock.advance(60)
    assert driver.status().flags == frozenset()
    assert driver.print_card(make_panels()) == Printed(1)


def test_the_head_heats_per_card_and_cools_with_time(make_rig, make_panels, clock):
    head = HeadModel(ambient_c=25, heat_per_card_c=20, tau_s=100, hot_c=80, resume_c=50)
    rig = make_rig(head=head)
    driver = rig.driver
    outcomes = [driver.print_card(make_panels()) for _ in range(4)]
    assert outcomes == [Printed(1), Printed(2), Printed(3), Fault("cooling", "WAR_COOLING")]
    assert driver.status().head_temp_c == pytest.approx(85.0)

    clock.advance(100)  # 25 + 60/e = 47.1 °C: below resume
    assert "WAR_COOLING" not in driver.status().flags
    assert driver.print_card(make_panels()) == Printed(4)


def test_mechanical_time_per_card_passes_on_the_clock(make_rig, make_panels, clock):
    rig = make_rig(seconds_per_card=25)
    start = clock.monotonic()
    assert rig.driver.print_card(make_panels()) == Printed(1)
    assert clock.monotonic() - start == pytest.approx(25, abs=0.5)


@pytest.mark.parametrize(
    ("loaded", "kind", "flag"),
    [
        ({"cards": 1}, "feeder_empty", "WAR_FEEDER_EMPTY"),
        ({"ribbon": 1}, "ribbon_out", "WAR_RIBBON_ENDED"),
    ],
)
def test_an_empty_consumable_refuses_the_next_card(make_rig, make_panels, loaded, kind, flag):
    rig = make_rig(**loaded)
    driver = rig.driver
    assert driver.print_card(make_panels()) == Printed(1)
    outcome = driver.print_card(make_panels())
    assert isinstance(outcome, Fault) and outcome.kind == kind
    assert flag in driver.status().flags
    assert driver.card_counter() == 1

    consumable = next(iter(loaded))
    driver.set_level(consumable, 50, 100)
    assert driver.status().consumables[consumable] == Level(50, 100)
    assert driver.print_card(make_panels()) == Printed(2)


def test_reject_ejects_a_card_left_jammed(make_rig, make_panels, clock):
    faults = [{"at_card": 1, "kind": "jam"}, {"at_card": 1, "kind": "unplug", "seconds": 5}]
    rig = make_rig(faults=faults)
    outcome = rig.driver.print_card(make_panels())
    assert isinstance(outcome, Unknown) and outcome.counter_before == 0
    assert "ERR_MECHANICAL" in rig.driver.status().flags
    assert rig.driver.print_card(make_panels()) == Fault("jam", "ERR_MECHANICAL")

    rig.driver.reject()
    assert "ERR_MECHANICAL" not in rig.driver.status().flags
    assert rig.printer.state.reject_box == 1
    assert rig.driver.print_card(make_panels()) == Printed(2)


@pytest.mark.parametrize(("code", "printed"), [(0, True), (4, True), (1, False), (100, False)])
def test_the_ribbon_type_is_the_printers(make_rig, make_panels, monkeypatch, code, printed):
    """`Rrt;all` names the ribbon: YMCKO (0) and YMCKOK (4) print a colour card; a KO (1) or
    a black (100) ribbon cannot, and no byte of the card is sent."""
    monkeypatch.setattr(firmware.commands, "RIBBON_TYPE_YMCKO", code)
    rig = make_rig()
    outcome = rig.driver.print_card(make_panels())
    if printed:
        assert outcome == Printed(1)
    else:
        assert outcome == Fault("ribbon_out", f"ribbon type {code} prints no colour card")
        assert rig.driver.card_counter() == 0 and rig.log_lines == []
