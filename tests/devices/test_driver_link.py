"""The USB link under the driver: unplug and replug, short writes, timeouts, usblp, descriptors."""

from __future__ import annotations

import json

import pytest

from controller.devices.factory import usb_driver
from controller.devices.printer import (
    Fault,
    Printed,
    PrinterUnavailable,
    Unknown,
)
from controller.devices.usb_finder import UsbTarget, parse_device_id


def _events(logs, name):
    return [entry for entry in logs if entry["event"] == name]


def test_unplug_mid_card_gives_unknown_then_the_advanced_counter(
    make_rig, make_panels, clock, logs
):
    rig = make_rig(faults=[{"at_card": 1, "kind": "unplug", "seconds": 4}])  # a re-enumeration
    driver = rig.driver
    panels = make_panels(3)
    start = clock.monotonic()

    outcome = driver.print_card(panels)

    assert isinstance(outcome, Unknown) and outcome.counter_before == 0
    assert not driver.connected
    # The printer finished the card on its own and logged it before the link went.
    (line,) = rig.log_lines
    assert json.loads(line)["result"] == "printed"
    assert json.loads(line)["front_sha256"] == panels.front_sha256()

    assert driver.card_counter() == 1
    assert driver.connected
    assert clock.monotonic() - start >= 4
    waits = _events(logs, "printer.reconnect_wait")
    assert waits, "the reconnect waited silently"
    assert all(entry["log_level"] == "warning" and entry["wait_s"] > 0 for entry in waits)
    assert driver.print_card(make_panels(4)) == Printed(2)


def test_a_long_unplug_makes_the_printer_unavailable_until_it_is_back(make_rig, make_panels, clock):
    rig = make_rig(faults=[{"at_card": 1, "kind": "unplug", "seconds": 600}])
    assert isinstance(rig.driver.print_card(make_panels()), Unknown)
    with pytest.raises(PrinterUnavailable):
        rig.driver.card_counter()
    assert not rig.driver.connected
    outcome = rig.driver.print_card(make_panels())
    assert isinstance(outcome, Fault) and outcome.kind == "disconnected"

    clock.advance(600)
    assert rig.driver.card_counter() == 1
    assert rig.driver.connected


def test_usblp_is_detached_again_after_a_replug(make_rig, make_panels):
    rig = make_rig(backend={"usblp": True}, faults=[{"at_card": 1, "kind": "unplug", "seconds": 5}])
    assert rig.driver.card_counter() == 0
    assert not rig.backend.kernel_driver_active
    assert isinstance(rig.driver.print_card(make_panels()), Unknown)
    assert rig.driver.card_counter() == 1
    assert not rig.backend.kernel_driver_active


def test_short_writes_are_completed_and_the_data_arrives_whole(make_rig, make_panels, logs):
    rig = make_rig()
    rig.backend.pipes.inject_short_writes(40, max_bytes=1000, skip=5)  # from the first panel
    panels = make_panels(5)
    assert rig.driver.print_card(panels) == Printed(1)
    assert json.loads(rig.log_lines[0])["front_sha256"] == panels.front_sha256()
    assert len(_events(logs, "usb.short_write")) == 40


def test_writes_that_accept_nothing_lose_the_link_and_the_query_is_retried(make_rig):
    rig = make_rig()
    assert rig.driver.card_counter() == 0
    rig.backend.pipes.inject_short_writes(3, max_bytes=0)
    assert rig.driver.card_counter() == 0
    assert rig.backend.soft_resets == 1


def test_a_write_timeout_mid_panel_is_unknown_and_the_printer_is_resynchronised(
    make_rig, make_panels
):
    rig = make_rig()
    assert rig.driver.card_counter() == 0
    rig.backend.pipes.inject_write_timeouts(1, skip=6)  # in the middle of the first colour panel
    outcome = rig.driver.print_card(make_panels())
    assert isinstance(outcome, Unknown) and outcome.counter_before == 0

    assert rig.driver.card_counter() == 0
    assert rig.backend.soft_resets == 1
    assert rig.log_lines == []
    assert rig.driver.print_card(make_panels()) == Printed(1)


def test_read_timeouts_within_the_deadline_are_waited_out(make_rig):
    rig = make_rig()
    assert rig.driver.card_counter() == 0
    rig.backend.pipes.inject_read_timeouts(3)
    assert rig.driver.card_counter() == 0
    assert rig.backend.soft_resets == 0


def test_no_reply_by_the_deadline_resets_the_link_and_asks_again(make_rig, clock):
    rig = make_rig()
    assert rig.driver.card_counter() == 0
    rig.backend.pipes.inject_read_timeouts(15)  # 10 one-second polls, then the retry's drain and 4
    start = clock.monotonic()
    assert rig.driver.card_counter() == 0
    assert rig.backend.soft_resets == 1
    assert clock.monotonic() - start >= 10


def test_a_reply_later_than_the_reset_does_not_put_the_replies_out_of_step(make_rig):
    """Seen in the USB rig: the reply to a command the driver had given up on came after the
    reconnect's soft reset and drain, and from then on every command got the answer to the one
    before (`Rrt;all` answered "1")."""
    rig = make_rig()
    assert rig.driver.card_counter() == 0
    rig.backend.pipes.inject_late_reply()
    assert rig.driver.card_counter() == 0
    assert rig.driver.identity().serial == "VP0000001"
    assert rig.driver.card_counter() == 0
    assert rig.backend.soft_resets == 2


def test_a_late_ok_to_the_setup_does_not_put_the_replies_out_of_step(make_rig):
    """A late reply that is itself `OK` (to `Pps;1`, the printer busy just after a reconnect)
    would pass a setup that checks for `OK` alone; the serial asked after it shows the shift."""
    rig = make_rig()
    assert rig.driver.card_counter() == 0
    transport = rig.driver.transport
    transport.resync("a test: a new session")
    transport.connect()  # the soft reset is done: the late reply comes after the next one
    resets = rig.backend.soft_resets
    rig.backend.pipes.inject_late_reply()  # to the setup's Pps;1
    assert rig.driver.card_counter() == 0
    assert rig.driver.identity().serial == "VP0000001"
    assert rig.driver.card_counter() == 0
    assert rig.backend.soft_resets == resets + 2  # the timeout's, then the one for the shift


def test_a_card_slower_than_the_card_timeout_is_unknown(make_rig, make_panels, clock):
    rig = make_rig(seconds_per_card=200)
    outcome = rig.driver.print_card(make_panels())
    assert isinstance(outcome, Unknown) and outcome.counter_before == 0
    clock.advance(200)
    assert rig.driver.card_counter() == 1


def test_usblp_holding_the_interface_is_detached(make_rig):
    rig = make_rig(backend={"usblp": True})
    assert rig.backend.kernel_driver_active
    assert rig.driver.card_counter() == 0
    assert not rig.backend.kernel_driver_active


def test_unusual_endpoint_addresses_come_from_the_descriptors(make_rig, make_panels):
    rig = make_rig(backend={"ep_out": 0x07, "ep_in": 0x8B})
    assert rig.driver.print_card(make_panels()) == Printed(1)


def test_an_active_configuration_is_not_set_again(make_rig):
    rig = make_rig(backend={"usblp": True})
    assert rig.driver.card_counter() == 0
    assert rig.backend.set_configuration_calls == 0


def test_an_unconfigured_device_is_configured(make_rig):
    rig = make_rig(backend={"configured": False})
    assert rig.driver.card_counter() == 0
    assert rig.backend.set_configuration_calls == 1


def test_found_by_printer_class_and_1284_id_whatever_its_ids(make_rig):
    rig = make_rig(backend={"vendor_id": 0x1234, "product_id": 0x0001})
    assert rig.driver.card_counter() == 0
    assert rig.driver.transport.device_id["MFG"] == "Evolis"


def test_a_little_endian_1284_length_is_understood(make_rig):
    rig = make_rig(backend={"device_id_little_endian": True})
    assert rig.driver.card_counter() == 0
    assert rig.driver.transport.device_id["CMD"] == "EVOLIS"


def test_another_makers_printer_is_not_used_unless_its_ids_are_configured(
    make_printer, make_rig, logs
):
    printer = make_printer()
    zebra = {"device_id": "MFG:Zebra;CMD:ZPL;MDL:ZC300;", "vendor_id": 0x0A5F}
    rig = make_rig(printer, backend=zebra)
    with pytest.raises(PrinterUnavailable):
        rig.driver.card_counter()
    assert _events(logs, "usb.other_printer")

    chosen = make_rig(printer, backend=zebra, target=UsbTarget(vendor_id=0x0A5F))
    assert chosen.driver.card_counter() == 0


def test_ids_that_match_nothing_leave_the_printer_unavailable(make_rig):
    rig = make_rig(target=UsbTarget(vendor_id=0x0F49, product_id=0x9999))
    with pytest.raises(PrinterUnavailable):
        rig.driver.identity()
    assert not rig.driver.connected


def test_device_id_parsing():
    body = b"MANUFACTURER:Evolis;COMMAND SET:PCL,EVOLIS;MODEL:Primacy;"
    assert parse_device_id((len(body) + 2).to_bytes(2, "big") + body) == {
        "MANUFACTURER": "Evolis",
        "COMMAND SET": "PCL,EVOLIS",
        "MODEL": "Primacy",
    }
    # A length that fits neither byte order: take what came.
    assert parse_device_id(b"\xff\xffMFG:X;") == {"MFG": "X"}
    assert parse_device_id(b"\x00") == {}


def test_long_1284_keys_and_a_command_set_list_match(make_rig):
    device_id = "MANUFACTURER:EVOLIS;COMMAND SET:PCL, EVOLIS;MODEL:Primacy;"
    rig = make_rig(backend={"device_id": device_id})
    assert rig.driver.card_counter() == 0


def test_the_usb_driver_without_a_printer_or_libusb_is_unavailable(clock, make_panels):
    driver = usb_driver(clock=clock, vendor_id=0, product_id=0)
    with pytest.raises(PrinterUnavailable):
        driver.card_counter()
    assert not driver.connected
    outcome = driver.print_card(make_panels())
    assert isinstance(outcome, Fault) and outcome.kind == "disconnected"
