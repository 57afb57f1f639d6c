"""The virtual printer's state machine, spoken to directly in the Evolis command language."""

from __future__ import annotations

import pytest

from controller.render.card_panels import panel_size
from firmware.faults import FaultSpec
from firmware.virtual_printer import VirtualPrinter


def ask(printer: VirtualPrinter, *commands: bytes) -> list[str]:
    """Send commands and read every reply that is ready."""
    for command in commands:
        printer.receive(b"\x1b" + command + b"\r")
    return printer.take_output(1 << 20).decode().split("\r")[:-1]


def card(panel: bytes = b"\x55") -> list[bytes]:
    data = panel * panel_size(2)
    return [b"Ss", b"Sr", b"Db;k;2;" + data, b"Sv", b"Db;k;2;" + data]


def test_identity_counters_and_ribbon_queries(make_printer):
    printer = make_printer(ribbon=80)
    replies = ask(printer, b"Rtp", b"Rsn", b"Rfv", b"Rkn", b"Rco;c", b"Rco;p", b"Rrt;count")
    assert replies == [
        "Evolis Avansia (virtual)",
        "VP0000001",
        "VP-1.0.0",
        "VK-0001",
        "0",
        "0",
        "80",
    ]
    ask(printer, *card(), b"Se")
    assert ask(printer, b"Rco;c", b"Rco;p", b"Rrt;count", b"Rrt;qty") == ["1", "2", "79", "80"]


def test_refusals_in_error_mode_2_and_4(make_printer):
    printer = make_printer(faults=[FaultSpec(1, "cover_open", 5)])
    assert ask(printer, b"Zzz", b"Rco;x", b"Sr", b"Se", b"Pem;9") == [
        "ERR CMD",
        "ERR PARAM",
        "ERR SEQUENCE",
        "ERR SEQUENCE",
        "ERR PARAM",
    ]
    assert ask(printer, b"Pem;4", b"Zzz", b"Rco;x", b"Ss", b"Rse;o") == [
        "ACK",
        "NACK;1",
        "NACK;2",
        "NACK;C",
        "OPEN",
    ]


def test_the_answer_to_se_waits_for_the_mechanics(make_printer, clock):
    printer = make_printer(seconds_per_card=20)
    assert ask(printer, *card()) == ["OK"] * 5
    printer.receive(b"\x1bSe\r")
    assert printer.next_output_at() == pytest.approx(clock.monotonic() + 20)
    assert printer.take_output(100) == b""
    assert "INF_BUSY" in printer.flags()
    assert ask(printer, b"Rlr;p") == []  # answered on receipt, readable after the card's answer
    clock.advance(20)
    assert ask(printer) == ["OK", "CARD"]
    assert ask(printer, b"Rlr;p") == ["NO CARD"]
    assert printer.flags() == []


def test_a_jammed_card_stays_until_rejected(make_printer):
    printer = make_printer(faults=[FaultSpec(1, "jam")])
    assert ask(printer, *card(), b"Se") == ["OK"] * 5 + ["ERR JAM"]
    assert ask(printer, b"Rlr;p", b"Ss") == ["ERR CARD", "ERR MECHANICAL"]
    assert printer.flags() == ["ERR_MECHANICAL"]
    assert ask(printer, b"Seb", b"Rlr;p") == ["OK", "NO CARD"]
    assert printer.state.reject_box == 1


def test_a_reset_abandons_the_job_and_ejects_a_jammed_card(make_printer):
    printer = make_printer(faults=[FaultSpec(1, "jam")])
    ask(printer, *card(), b"Se")
    assert ask(printer, b"Srs", b"Sr") == ["OK", "ERR SEQUENCE"]
    assert printer.state.reject_box == 1 and not printer.state.jammed


def test_feeder_sensor_and_reload_command(make_printer):
    printer = make_printer(cards=1)
    ask(printer, *card(), b"Se")
    assert ask(printer, b"Sk;f", b"Ss") == ["EMPTY", "ERR FEEDER EMPTY"]
    assert ask(printer, b"Xrl;cards;40", b"Sk;f") == ["OK", "OK"]
    assert printer.state.cards == 40 and printer.state.cards_capacity == 40
    assert ask(printer, b"Xrl;ink;4", b"Xrl;film;9;5", b"Xrl;film") == ["ERR PARAM"] * 3


def test_status_line(make_printer):
    printer = make_printer(cards=50, film=0)
    assert ask(printer, b"Xrl;ribbon;10;100", b"Xst") == [
        "OK",
        "FLAGS=INF_RIBBON_LOW,WAR_FILM_ENDED;CARDS=50/50;RIBBON=10/100;FILM=0/0;HEAD=25.0;"
        "COUNTER=0;REJECT=0",
    ]


def test_the_ribbon_type_must_be_letters_and_have_the_panels_colours(make_printer):
    printer = make_printer()
    assert ask(printer, b"Pr;12", b"Pr") == ["ERR PARAM", "ERR PARAM"]
    panel = bytes(panel_size(2))
    replies = ask(printer, b"Pr;kdo", b"Ss", b"Db;k;2;" + panel, b"Db;y;2;" + panel)
    assert replies == ["OK", "OK", "OK", "ERR PARAM"]


def test_a_panel_for_an_unknown_colour_is_refused(make_printer):
    printer = make_printer()
    replies = ask(printer, b"Ss", b"Db;x;2;" + bytes(panel_size(2)))
    assert replies == ["OK", "ERR PARAM"]


def test_faults_fire_once_and_only_at_their_card(make_printer, clock):
    printer = make_printer(faults=[FaultSpec(2, "overheat", 10)])
    assert ask(printer, b"Ss") == ["OK"]
    ask(printer, *card(), b"Se")
    assert ask(printer, b"Ss") == ["ERR COOLING"]
    clock.advance(10)
    assert ask(printer, b"Ss") == ["OK"]


def test_port_status_byte(make_printer):
    printer = make_printer(cards=1)
    assert printer.port_status() == 0x18
    ask(printer, *card(), b"Se")
    assert printer.port_status() == 0x30


def test_bad_settings_are_refused(make_printer):
    with pytest.raises(ValueError):
        make_printer(seconds_per_card=-1)
    with pytest.raises(ValueError):
        make_printer(faults=[{"at_card": 1, "kind": "fire"}])
    with pytest.raises(ValueError):
        make_printer(faults=[{"at_card": 0, "kind": "jam"}])
