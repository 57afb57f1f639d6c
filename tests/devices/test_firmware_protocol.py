"""The printer-side framing of Evolis commands."""

from __future__ import annotations

from evolis_wire.panels import panel_size
from firmware.protocol import Command, CommandParser, FramingError


def _feed_in_pieces(data: bytes, size: int) -> list[Command | FramingError]:
    parser = CommandParser()
    out: list[Command | FramingError] = []
    for start in range(0, len(data), size):
        out += parser.feed(data[start : start + size])
    return out


def test_commands_with_parameters_and_nul_padding():
    parser = CommandParser()
    assert parser.feed(b"\x00\x00\x1bRco;c\r\x1bPr;ymcko\r\x1bSs\r") == [
        Command("Rco", ("c",)),
        Command("Pr", ("ymcko",)),
        Command("Ss"),
    ]


def test_panel_data_may_contain_cr_and_esc_and_arrive_in_any_split():
    payload = (b"\r\x1bSe\r" * 30_000)[: panel_size(2)]
    stream = b"\x1bSs\r\x1bDb;k;2;" + payload + b"\r\x1bSe\r"
    expected = [Command("Ss"), Command("Db", ("k", "2"), payload), Command("Se")]
    for size in (7, 4096, 65536, len(stream)):
        assert _feed_in_pieces(stream, size) == expected


def test_commands_fed_one_byte_at_a_time():
    stream = b"\x1bPem;2\r\x1bRco;p\r"
    assert _feed_in_pieces(stream, 1) == [Command("Pem", ("2",)), Command("Rco", ("p",))]


def test_a_header_split_before_its_last_semicolon_still_waits_for_the_payload():
    parser = CommandParser()
    assert parser.feed(b"\x1bDb;y;25") == []
    assert parser.feed(b"6;") == []
    payload = bytes(panel_size(256))
    assert parser.feed(payload + b"\r") == [Command("Db", ("y", "256"), payload)]


def test_unsupported_levels_and_a_missing_terminator_are_framing_errors():
    parser = CommandParser()
    (error,) = parser.feed(b"\x1bDb;k;3;")
    assert isinstance(error, FramingError)
    payload = bytes(panel_size(2))
    (error,) = parser.feed(b"\x1bDb;k;2;" + payload + b"X")
    assert isinstance(error, FramingError)
    assert parser.feed(b"\x1bRtp\r") == [Command("Rtp")]


def test_an_endless_header_is_dropped_and_reset_forgets_partial_input():
    parser = CommandParser()
    (error,) = parser.feed(b"\x1b" + b"A" * 300)
    assert isinstance(error, FramingError)
    assert parser.feed(b"\x1bRsn") == []
    parser.reset()
    assert parser.feed(b"\r\x1bRfv\r") == [Command("Rfv")]
