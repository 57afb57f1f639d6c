"""Numbers and replies from the printer are not trusted: a card counter of 10^20, a ribbon
count no ribbon holds and a printer that drips its replies each end in a clear error, and the
printer is used again once it is sane (issue 23)."""

from __future__ import annotations

import pytest

from controller.devices.evolis import EvolisDriver, EvolisSettings
from controller.devices.factory import network_driver
from controller.devices.printer import (
    BadAnswer,
    Fault,
    Level,
    Printed,
    PrinterUnavailable,
    Unknown,
)
from evolis_wire.frames import FrameError, FrameReader, read_count
from firmware.net_server import serve_in_thread


@pytest.fixture
def served(make_printer):
    servers = []

    def serve(**options):
        printer = make_printer(**options)
        servers.append(serve_in_thread(printer))
        return printer, servers[-1].port

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_card_counter_of_ten_to_the_twentieth_is_a_clear_error(make_rig, make_panels):
    rig = make_rig()
    rig.printer.misreport.card_counter = 10**20
    with pytest.raises(BadAnswer, match=r"Rco;c answered '100000000000000000000'"):
        rig.driver.card_counter()
    with pytest.raises(BadAnswer):
        rig.driver.status()
    outcome = rig.driver.print_card(make_panels())
    assert isinstance(outcome, Fault) and outcome.kind == "printer_error"
    assert rig.log_lines == []  # nothing was printed on a counter that cannot be true

    rig.printer.misreport.card_counter = None  # sane again
    assert rig.driver.print_card(make_panels()) == Printed(1)


def test_a_ribbon_count_no_ribbon_holds_is_a_clear_error(make_rig):
    rig = make_rig(extensions=False, ribbon=40)
    rig.printer.misreport.ribbon_count = 10**20
    with pytest.raises(BadAnswer, match="Rrt;all count answered '1000000000000000"):
        rig.driver.status()
    rig.printer.misreport.ribbon_count = None
    assert rig.driver.status().consumables == {"ribbon": Level(40, 40)}


@pytest.mark.parametrize("text", ["100001", "-1", "+5", " 5", "5 ", "1_000", "٥", "", "0x10"])
def test_a_count_is_plain_digits_within_its_bound(text):
    with pytest.raises(FrameError, match=r"not a whole number 0\.\.100000"):
        read_count(text, 100_000, "Rrt;count")
    assert read_count("100000", 100_000, "Rrt;count") == 100_000


def test_a_reply_text_without_end_is_not_buffered_for_ever():
    reader = FrameReader()
    reader.feed(b"A" * 60_000)
    with pytest.raises(FrameError, match="longer than 65536 bytes"):
        reader.feed(b"A" * 10_000)


def test_a_printer_dripping_its_reply_over_the_network_is_lost(served, make_panels, clock):
    """A byte every 1.5 s: each read is in time for the socket, the whole reply is not."""
    printer, port = served()
    driver = network_driver("127.0.0.1", port, clock=clock, virtual_extensions=True)
    assert driver.card_counter() == 0
    printer.misreport.drip_s = 1.5
    with pytest.raises(PrinterUnavailable, match="no whole reply within"):
        driver.card_counter()
    outcome = driver.print_card(make_panels())
    assert isinstance(outcome, Fault) and outcome.kind == "disconnected"

    printer.misreport.drip_s = 0.0
    assert driver.print_card(make_panels()) == Printed(1)


def test_a_card_ends_by_its_deadline_however_the_printer_drips(make_rig, make_panels, clock):
    """Each reply drips under the 10 s an exchange may take (a status reply of 107 bytes in
    7.5 s, the ribbon's `Rrt;all` read before the card in under 10 s); the card still ends by
    its 20 s, not at the end of the poll under way."""
    rig = make_rig(seconds_per_card=200)
    settings = EvolisSettings(card_timeout_s=20, virtual_extensions=True)
    driver = EvolisDriver(rig.driver.transport, settings)
    assert driver.card_counter() == 0
    rig.printer.misreport.drip_s = 0.07
    start = clock.monotonic()
    outcome = driver.print_card(make_panels())
    assert isinstance(outcome, Unknown) and outcome.counter_before == 0
    assert clock.monotonic() - start <= 20 + 0.1


def test_a_printer_taking_a_command_a_byte_at_a_time_is_lost(make_rig, clock):
    """Each USB write takes one byte, 1.5 s after the one before: every write is in time, the
    whole command (8 bytes: 10.5 s) is not."""
    rig = make_rig()
    assert rig.driver.card_counter() == 0
    rig.printer.misreport.slow_take_s = 1.5
    with pytest.raises(PrinterUnavailable, match="bytes taken in time"):
        rig.driver.card_counter()
    rig.printer.misreport.slow_take_s = 0.0
    assert rig.driver.card_counter() == 0
