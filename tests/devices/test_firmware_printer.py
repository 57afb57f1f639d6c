"""The virtual printer's state machine, spoken to directly in the Evolis command language."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evolis_wire.frames import FrameReader, StatusBlock, decode_reply
from evolis_wire.panels import panel_size
from firmware.faults import FaultSpec
from firmware.models import MODELS
from firmware.virtual_printer import VirtualPrinter


def ask(printer: VirtualPrinter, *commands: bytes) -> list[str]:
    """Send commands (each ended CR NUL, as libevolis ends them) and read every reply."""
    reader = FrameReader()
    replies = []
    for command in commands:
        for frame in printer.feed(b"\x1b" + command + b"\r\x00"):
            replies += reader.feed(frame)
    assert reader.pending == 0
    return [reply.text for reply in replies]


def flags(printer: VirtualPrinter) -> set[str]:
    return set(printer.flags()) - {"CFG_X01"}


def card(panel: bytes = b"\x55") -> list[bytes]:
    data = panel * panel_size(2)
    return [b"Ss", b"Sr", b"Db;k;2;" + data, b"Sv", b"Db;k;2;" + data, b"Se"]


def test_identity_as_an_evolis_primacy(make_printer):
    printer = make_printer()
    commands = [b"Rtp", b"Rtp;d", b"Roem", b"Rsn", b"Rfv", b"Rkn", b"Rzp", b"Rok"]
    assert ask(printer, *commands) == [
        "Evolis Primacy",
        "Primacy",
        "Evolis",
        "VP0000001",
        "VP-1.0.0",
        "VK-0001",
        "0",
        "OK",
    ]


def test_counters_and_ribbon_queries(make_printer):
    printer = make_printer(ribbon=80)
    assert ask(printer, b"Rco;c", b"Rco;p", b"Rrt;count") == ["0", "0", "80"]
    assert ask(printer, *card()) == []  # a card job is not answered command by command
    assert ask(printer, b"Rco;c", b"Rco;p", b"Rrt;count", b"Rrt;qty") == ["1", "2", "79", "80"]
    (info,) = ask(printer, b"Rrt;all")
    lines = dict(line.split(": ", 1) for line in info.split("\n"))
    assert (lines["qty"], lines["count"], lines["type"]) == ("80", "79", "0")
    assert ask(printer, b"Rrt;progress") == ["2"]


def test_every_reply_ends_with_nul_and_carries_the_status_block(make_printer):
    printer = make_printer(cards=0)
    (frame,) = printer.feed(b"\x1bRok\r\x00")
    assert frame[:5] == b"OK\x00\x00\x00" and len(frame) == 45
    assert decode_reply(frame).status == StatusBlock.of({"CFG_X01", "WAR_FEEDER_EMPTY"})
    assert printer.status_frame()[:3] == b"\x00\x00\x00" and len(printer.status_frame()) == 43
    assert ask(printer, b"Rpst") == [StatusBlock.of({"CFG_X01", "WAR_FEEDER_EMPTY"}).hex()]
    assert printer.feed(b"\x1bPps;0\r") == [b"OK\x00"]  # status off: text and NUL only
    assert printer.feed(b"\x1bRok\r") == [b"OK\x00"]
    assert ask(printer, b"Pps;1", b"Pps;2") == ["OK", "ERROR PARAM"]


def test_sessions_show_in_the_status_until_released_or_timed_out(make_printer, clock):
    printer = make_printer()
    assert ask(printer, b"Psid;886;45") == ["OK"]
    assert printer.status_block().session == 886
    assert ask(printer, b"Psid;0;45") == ["OK"]
    assert printer.status_block().session == 0
    ask(printer, b"Psid;7;10")
    clock.advance(10)
    assert printer.status_block().session == 0
    assert ask(printer, b"Psid;x;1", b"Psid;70000;1") == ["ERROR PARAM"] * 2


def test_refusals_in_each_error_mode(make_printer):
    printer = make_printer()
    assert ask(printer, b"Rem;1", b"Zzz", b"Rco;x", b"Pem;9") == [
        "0",
        "ERROR CMD",
        "ERROR PARAM",
        "ERROR PARAM",
    ]
    assert ask(printer, b"Pem;2", b"Rem;1", b"Pem;0") == ["OK", "2", "OK"]
    assert ask(printer, b"Pem;4", b"Zzz", b"Rco;x", b"Rok") == ["ACK", "NACK;1", "NACK;2", "OK"]


def test_a_card_is_busy_for_its_mechanical_time(make_printer, clock):
    printer = make_printer(seconds_per_card=20)
    ask(printer, *card())
    assert {"INF_BUSY", "INF_PRINTING_RUNNING", "INF_CARD_PRINT"} <= flags(printer)
    assert ask(printer, b"Rlr;p") == ["CARD"]
    clock.advance(20)
    assert ask(printer, b"Rlr;p") == ["NO CARD"]
    assert flags(printer) == set()


def test_a_claimed_job_holds_the_claim_until_released(make_printer):
    printer = make_printer()
    ask(printer, b"Pcla;1", *card())
    assert "INF_CLAIM" in flags(printer)
    ask(printer, b"Pcla;0")
    assert "INF_CLAIM" not in flags(printer)
    assert printer.state.card_counter == 1


def test_text_tags_between_commands_are_skipped(make_printer):
    printer = make_printer()
    data = b"\x1bDb;k;2;" + bytes(panel_size(2)) + b"\r"
    job = b"\x1bPsync;1;0\r<HEADER>\x1bPcla;1\r</HEADER>\x1bSs\r\x1bSr\r<BINARY Size=9>"
    job += data + b"</BINARY>\x1bSe\r\x1bPsync;4;0\r\x00"
    assert printer.feed(job) == []
    assert printer.state.card_counter == 1 and "INF_CLAIM" in flags(printer)


def test_a_network_exchange_gets_one_frame(make_printer):
    printer = make_printer()
    assert decode_reply(printer.exchange(b"")).text == ""
    assert decode_reply(printer.exchange(b"\x1bRtp\r\x00")).text == "Evolis Primacy"
    assert (
        decode_reply(printer.exchange(b"".join(b"\x1b" + c + b"\r" for c in card()))).text == "OK"
    )


def test_a_jammed_card_stays_until_cleared(make_printer):
    printer = make_printer(faults=[FaultSpec(1, "jam")])
    ask(printer, *card())
    assert flags(printer) >= {"ERR_MECHANICAL"} and "INF_CLAIM" not in flags(printer)
    assert ask(printer, b"Rlr;p", b"Sce") == ["ERR CARD", "ERROR MECHANICAL"]
    ask(printer, *card())  # refused: the printer is jammed
    assert printer.state.card_counter == 1
    assert ask(printer, b"Scs", b"Rlr;p") == ["OK", "NO CARD"]
    assert printer.state.reject_box == 1 and "ERR_MECHANICAL" not in flags(printer)


def test_a_reset_abandons_the_job_and_ejects_a_jammed_card(make_printer):
    printer = make_printer(faults=[FaultSpec(1, "jam")])
    ask(printer, *card())
    assert ask(printer, b"Srs") == ["OK"]
    assert printer.state.reject_box == 1 and not printer.state.jammed
    ask(printer, b"Ss", b"Sr", b"Db;k;2;" + bytes(panel_size(2)), b"Srs", b"Se")
    assert printer.state.card_counter == 1


def test_feeder_sensor_and_the_virtual_printers_reload_command(make_printer):
    printer = make_printer(cards=1)
    ask(printer, *card())
    assert ask(printer, b"Sk;f") == ["EMPTY"]
    assert "WAR_FEEDER_EMPTY" in flags(printer)
    assert ask(printer, b"Xrl;cards;40", b"Sk;f") == ["OK", "OK"]
    assert printer.state.cards == 40 and printer.state.cards_capacity == 40
    assert ask(printer, b"Xrl;ink;4", b"Xrl;film;9;5", b"Xrl;film") == ["ERROR PARAM"] * 3


def test_the_virtual_printers_level_line(make_printer):
    """A Primacy prints direct to the card: no film in its levels, none to run out of."""
    printer = make_printer(cards=50, film=0)
    assert ask(printer, b"Xrl;ribbon;10;100", b"Xst") == [
        "OK",
        "CARDS=50/50;RIBBON=10/100;HEAD=25.0;REJECT=0",
    ]
    assert flags(printer) == {"INF_RIBBON_LOW"}
    ask(printer, *card())
    assert printer.state.card_counter == 1


def test_a_zenius_drops_a_job_with_a_back_face(make_printer):
    """A Zenius prints one face: a job that turns to the back is not printed."""
    printer = make_printer(info=MODELS["zenius"])
    data = b"\x55" * panel_size(2)
    ask(printer, *card())
    assert printer.state.card_counter == 0
    ask(printer, b"Ss", b"Sr", b"Db;k;2;" + data, b"Se")
    assert printer.state.card_counter == 1


def test_without_extensions_the_x_commands_are_unknown(make_printer):
    printer = make_printer(extensions=False)
    assert ask(printer, b"Xst", b"Xrl;cards;4") == ["ERROR CMD"] * 2


def test_a_panel_for_an_unknown_colour_drops_the_job(make_printer):
    printer = make_printer()
    ask(printer, b"Ss", b"Sr", b"Db;x;2;" + bytes(panel_size(2)), b"Se")
    assert printer.state.card_counter == 0


def test_faults_fire_once_and_only_at_their_card(make_printer, clock):
    printer = make_printer(faults=[FaultSpec(2, "overheat", 10)])
    ask(printer, *card())
    ask(printer, *card())
    assert "WAR_COOLING" in flags(printer) and printer.state.card_counter == 1
    clock.advance(10)
    ask(printer, *card())
    assert printer.state.card_counter == 2


def test_port_status_byte(make_printer):
    printer = make_printer(cards=1)
    assert printer.port_status() == 0x18
    ask(printer, *card())
    assert printer.port_status() == 0x30


def test_bad_settings_are_refused(make_printer):
    with pytest.raises(ValueError):
        make_printer(seconds_per_card=-1)
    with pytest.raises(ValueError):
        make_printer(faults=[{"at_card": 1, "kind": "fire"}])
    with pytest.raises(ValueError):
        make_printer(faults=[{"at_card": 0, "kind": "jam"}])


WORDS = [b"\x1b", b"\r", b"\x00", b";", b"Db", b"Ss", b"Se", b"Sr", b"Psid", b"Pem", b"Pps"]
WORDS += [b"Pcla", b"1", b"0", b"y", b"k", b"256", b"2", b"Xrl", b"cards", b"Rrt", b"\xff", b"<"]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(WORDS), max_size=16).map(b"".join))
def test_any_bytes_get_frames_or_nothing_never_a_crash(make_printer, data):
    printer = make_printer()
    reader = FrameReader()
    for frame in [*printer.feed(data), printer.exchange(data)]:
        reader.feed(frame)
    assert reader.pending == 0


def test_a_panel_without_its_fields_drops_the_job(make_printer):
    printer = make_printer()
    assert printer.feed(b"\x1bSs\r\x1bSr\r\x1bDb\r\x1bSe\r") == []
    assert printer.state.card_counter == 0
