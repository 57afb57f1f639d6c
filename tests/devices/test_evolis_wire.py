"""Reply frames and the status block: NUL-terminated text, two bytes, the 40-byte block."""

from __future__ import annotations

import pytest

from evolis_wire.frames import (
    Frame,
    FrameError,
    FrameReader,
    StatusBlock,
    decode_reply,
    encode_reply,
    is_error,
)


def test_a_block_is_laid_out_as_libevolis_reads_it():
    block = StatusBlock.of({"CFG_X01", "INF_BUSY", "WAR_FEEDER_EMPTY"}, session=886)
    data = block.encode()
    assert len(data) == 40 and data[0] == 0x10 and data[17] == 0x02
    assert data[1:5] == b"\x80\x00\x00\x00" and data[5:9] == b"\x00\x00\x00\x01"
    assert data[18:20] == (886).to_bytes(2, "big")
    assert [data[i] for i in (20, 25, 30, 35)] == [0x04] * 4
    assert StatusBlock.decode(data) == block
    assert block.hex() == "80000000" + "00000001" + "01000000" + "0" * 40
    assert StatusBlock.from_hex(block.hex()).flags == block.flags


def test_frames_split_anywhere_are_read_whole_and_nothing_is_left_over():
    block = StatusBlock.of({"CFG_X01"})
    stream = encode_reply("OK", block) + encode_reply("12", block) + encode_reply("", block)
    for cut in range(1, len(stream)):
        reader = FrameReader()
        replies = reader.feed(stream[:cut]) + reader.feed(stream[cut:])
        assert replies == [Frame("OK", block), Frame("12", block), Frame("", block)], cut
        assert reader.pending == 0


def test_a_reply_without_its_block_and_bad_bytes():
    assert decode_reply(b"OK\x00") == Frame("OK")
    with pytest.raises(FrameError):
        decode_reply(b"")
    bad = bytearray(encode_reply("OK", StatusBlock()))
    bad[5] = 0x11
    with pytest.raises(FrameError):
        FrameReader().feed(bytes(bad))
    with pytest.raises(FrameError):
        StatusBlock.from_hex("XYZ")


def test_errors_as_libevolis_counts_them():
    assert [is_error(t) for t in ("", "ERROR CMD", "OPT NOT AVAILABLE", "OK", "0")] == [
        True,
        True,
        True,
        False,
        False,
    ]
