"""Persistence across re-instantiation, reloads, and status as a real printer gives it (without
the virtual printer's own commands)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from controller.devices.factory import virtual_driver, virtual_printer
from controller.devices.printer import Level, NotSupported, Printed, Spoiled


def test_counter_consumables_and_log_survive_a_new_printer_instance(
    make_printer, make_rig, make_panels
):
    first = make_rig(cards=10, ribbon=20, faults=[{"at_card": 2, "kind": "jam"}])
    outcomes = [first.driver.print_card(make_panels(n)) for n in range(3)]
    assert outcomes == [Printed(1), Spoiled("jam", 2), Printed(3)]
    first.driver.close()

    # The constructor's loads apply only on a first start.
    again = make_rig(make_printer(cards=500, ribbon=500, film=500))
    assert again.driver.card_counter() == 3
    status = again.driver.status()
    assert status.consumables == {
        "cards": Level(7, 10),
        "ribbon": Level(17, 20),
    }
    records = [json.loads(line) for line in again.log_lines]
    assert [r["counter"] for r in records] == [1, 2, 3]
    assert records[-1]["counter"] == again.printer.state.card_counter
    assert again.printer.state.reject_box == 1
    assert again.driver.print_card(make_panels(9)) == Printed(4)


def test_a_real_printer_is_told_nothing_of_reloads(make_rig):
    rig = make_rig(extensions=False)
    before = rig.printer.state
    with pytest.raises(NotSupported):
        rig.driver.set_level("cards", 100)
    assert rig.printer.state == before


def test_status_from_the_status_block_and_ribbon_info_without_the_extension(
    make_rig, make_panels, clock
):
    rig = make_rig(
        extensions=False,
        cards=1,
        ribbon=40,
        faults=[{"at_card": 2, "kind": "cover_open", "seconds": 10}],
    )
    driver = rig.driver
    assert driver.print_card(make_panels()) == Printed(1)
    driver.print_card(make_panels())  # opens the cover before card 2
    status = driver.status()
    assert status.flags == frozenset({"WAR_COVER_OPEN", "WAR_FEEDER_EMPTY"})
    assert status.consumables == {"ribbon": Level(39, 40)}
    assert status.card_counter == 1
    assert status.head_temp_c is None
    clock.advance(10)
    assert driver.status().flags == frozenset({"WAR_FEEDER_EMPTY"})


def test_status_block_reports_a_jammed_card(make_rig, make_panels):
    faults = [{"at_card": 1, "kind": "jam"}, {"at_card": 1, "kind": "unplug", "seconds": 1}]
    rig = make_rig(extensions=False, faults=faults)
    rig.driver.print_card(make_panels())
    assert "ERR_MECHANICAL" in rig.driver.status().flags
    rig.driver.reject()
    assert rig.driver.status().flags == frozenset()


def test_status_block_reports_an_empty_ribbon(make_rig, make_panels):
    rig = make_rig(extensions=False, ribbon=1)
    assert rig.driver.print_card(make_panels()) == Printed(1)
    status = rig.driver.status()
    assert status.flags == frozenset({"WAR_RIBBON_ENDED"})
    assert status.consumables == {"ribbon": Level(0, 1)}


@pytest.mark.parametrize("extensions", [True, False])
def test_a_card_still_running_after_a_replug_shows_busy(make_rig, make_panels, clock, extensions):
    faults = [{"at_card": 1, "kind": "unplug", "seconds": 1}]
    rig = make_rig(extensions=extensions, seconds_per_card=20, faults=faults)
    rig.driver.print_card(make_panels())
    assert "INF_BUSY" in rig.driver.status().flags
    clock.advance(20)
    assert "INF_BUSY" not in rig.driver.status().flags


@dataclass(frozen=True)
class ConfigFault:
    """Shaped like the station config's `[printer.virtual] faults` entries."""

    at_card: int
    kind: str
    seconds: float = 0.0
    stage: str = ""


def test_factories_build_the_printer_from_config_values(state_dir, clock, make_panels):
    printer = virtual_printer(
        state_dir,
        clock=clock,
        seconds_per_card=0,
        cards=5,
        ribbon=6,
        film=7,
        faults=(ConfigFault(2, "jam"),),
        save_cards=True,
    )
    driver = virtual_driver(printer, card_timeout_s=30)
    try:
        assert driver.print_card(make_panels()) == Printed(1)
        assert driver.print_card(make_panels()) == Spoiled("jam", 2)
        assert driver.status().consumables["ribbon"] == Level(4, 6)
    finally:
        driver.close()
    saved = sorted(path.name for path in (state_dir / "virtual-printer" / "cards").iterdir())
    assert saved == ["000001-back.png", "000001-front.png", "000002-back.png", "000002-front.png"]
