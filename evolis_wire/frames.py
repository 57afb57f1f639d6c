"""The bytes of the Evolis protocol that both ends share: reply frames and the status block.

A reply is ASCII text ended by NUL. When the printer's status is on (`Pps;1`, the power-on
default), two bytes follow the NUL (ignored by the host) and then the 40-byte status block, so
that a bare status reply (empty text) is 43 bytes and an `OK` 45:

    0x10 | CFG u32 | INF u32 | WAR u32 | ERR u32 | 0x02 | SESSION u16 | 4 × (0x04 | EXT u32)

(integers big-endian). `Rpst` answers the same eight words as 64 hex digits. Each flag is one
bit of one word; the bit map is Evolis' own library's (libevolis 9.4.1, `evolis_status_is_on`).
Errors are replies that begin `ERROR ` or `OPT NOT ` (or are empty), as libevolis tests them.

Bounds: nothing a printer says is trusted to be sane. A reply's text is at most
`MAX_TEXT_BYTES` long (a reader holding more with no NUL raises `FrameError`), and a number in
a reply is read with `read_count`: plain decimal digits, no sign or space, at most a bound
(`MAX_CARD_COUNTER` for the card counter, `MAX_CONSUMABLE_COUNT` for a consumable's count).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

NUL = b"\x00"
BLOCK_SIZE = 40
FILLER = b"\x00\x00"  # the two bytes between the NUL and the status block
WORDS = ("CFG", "INF", "WAR", "ERR", "EXT1", "EXT2", "EXT3", "EXT4")
_LAYOUT = struct.Struct(">B4IBH" + "BI" * 4)

# flag name -> (word index in WORDS, bit)
FLAG_BITS: dict[str, tuple[int, int]] = {
    "CFG_X01": (0, 0x8000_0000),
    "INF_CLAIM": (1, 0x8000_0000),
    "INF_CARD_FEEDER": (1, 0x2000_0000),
    "INF_CARD_PRINT": (1, 0x0200_0000),
    "INF_CARD_EJECT": (1, 0x0100_0000),
    "INF_RIBBON_LOW": (1, 0x0008_0000),
    "INF_PRINTING_RUNNING": (1, 0x0000_0080),
    "INF_BUSY": (1, 0x0000_0001),
    "WAR_FEEDER_EMPTY": (2, 0x0100_0000),
    "WAR_COOLING": (2, 0x0020_0000),
    "WAR_RIBBON_ENDED": (2, 0x0008_0000),
    "WAR_COVER_OPEN": (2, 0x0002_0000),
    "WAR_NO_RIBBON": (2, 0x0001_0000),
    "WAR_CLEAR_END": (2, 0x0000_1000),
    "ERR_HEAD_TEMP": (3, 0x2000_0000),
    "ERR_FEEDER_ERROR": (3, 0x0800_0000),
    "ERR_RIBBON_ERROR": (3, 0x0400_0000),
    "ERR_COVER_OPEN": (3, 0x0200_0000),
    "ERR_MECHANICAL": (3, 0x0100_0000),
    "ERR_RIBBON_ENDED": (3, 0x0020_0000),
    "INF_FEEDER_NEAR_EMPTY": (4, 0x0000_0100),
}
ERROR_PREFIXES = ("ERROR ", "OPT NOT ")
MAX_TEXT_BYTES = 1 << 16  # the longest reply text taken (`Rrt;all` is a few hundred bytes)
MAX_CARD_COUNTER = 10**9  # a printer's life is under a million cards
MAX_CONSUMABLE_COUNT = 100_000  # the most of a consumable a load holds (the `reload` limit)
_MAX_DIGITS = 12


class FrameError(ValueError):
    """Bytes that are not a reply frame, or a reply's value out of its bounds."""


def read_count(text: str, limit: int, what: str) -> int:
    """The whole number 0..`limit` that `text` is (decimal digits only), else FrameError
    naming `what` and the text."""
    digits = text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS
    if not digits or int(text) > limit:
        raise FrameError(f"{what} answered {text[:40]!r}: not a whole number 0..{limit}")
    return int(text)


@dataclass(frozen=True)
class StatusBlock:
    """The printer's eight status words and its reserved session id (0: none)."""

    words: tuple[int, ...] = (0,) * 8
    session: int = 0

    @classmethod
    def of(cls, flags: frozenset[str] | set[str] | list[str], session: int = 0) -> StatusBlock:
        words = [0] * 8
        for flag in flags:
            index, bit = FLAG_BITS[flag]
            words[index] |= bit
        return cls(tuple(words), session)

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(
            name for name, (index, bit) in FLAG_BITS.items() if self.words[index] & bit
        )

    def encode(self) -> bytes:
        w = self.words
        return _LAYOUT.pack(0x10, *w[:4], 0x02, self.session, *_extensions(w[4:]))

    @classmethod
    def decode(cls, data: bytes) -> StatusBlock:
        if len(data) != BLOCK_SIZE:
            raise FrameError(f"status block of {len(data)} bytes, not {BLOCK_SIZE}")
        fields = _LAYOUT.unpack(data)
        if fields[0] != 0x10 or fields[5] != 0x02 or set(fields[7:15:2]) != {0x04}:
            raise FrameError("status block markers are not 0x10, 0x02, 0x04")
        return cls((*fields[1:5], *fields[8:15:2]), fields[6])

    def hex(self) -> str:
        """The `Rpst` reply: the eight words as 64 hex digits."""
        return "".join(f"{word:08X}" for word in self.words)

    @classmethod
    def from_hex(cls, text: str) -> StatusBlock:
        if len(text) != 64:
            raise FrameError(f"Rpst answered {len(text)} characters, not 64")
        try:
            return cls(tuple(int(text[i : i + 8], 16) for i in range(0, 64, 8)))
        except ValueError as error:
            raise FrameError(f"Rpst answered {text!r}") from error


def _extensions(words: tuple[int, ...]) -> list[int]:
    out = []
    for word in words:
        out += [0x04, word]
    return out


@dataclass(frozen=True)
class Frame:
    """One reply frame: its text, and its status block while the status is on."""

    text: str
    status: StatusBlock | None = None

    @property
    def error(self) -> bool:
        return is_error(self.text)


def is_error(text: str) -> bool:
    """An error reply as libevolis counts one: empty, `ERROR …` or `OPT NOT …`."""
    return not text or text.startswith(ERROR_PREFIXES)


def encode_reply(text: str, status: StatusBlock | None) -> bytes:
    """One reply frame: text, NUL, and (status on) two filler bytes and the status block."""
    frame = text.encode("ascii") + NUL
    return frame if status is None else frame + FILLER + status.encode()


def decode_reply(data: bytes) -> Frame:
    """A whole reply frame (as a network exchange returns it), with or without its block."""
    end = data.find(NUL)
    if end >= 0 and len(data) == end + 1:
        return Frame(data[:end].decode("ascii", "replace"))
    reader = FrameReader()
    replies = reader.feed(data)
    if len(replies) != 1 or reader.pending:
        raise FrameError(f"not one reply frame: {data[:80]!r}")
    return replies[0]


class FrameReader:
    """Reply frames out of a byte stream, each with its status block (status on)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def clear(self) -> None:
        self._buffer.clear()

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        replies = []
        while (reply := self._next()) is not None:
            replies.append(reply)
        return replies

    def _next(self) -> Frame | None:
        end = self._buffer.find(NUL)
        if end < 0:
            if len(self._buffer) > MAX_TEXT_BYTES:
                raise FrameError(f"a reply text longer than {MAX_TEXT_BYTES} bytes")
            return None
        start = end + 1 + len(FILLER)
        if len(self._buffer) < start + BLOCK_SIZE:
            return None
        text = bytes(self._buffer[:end]).decode("ascii", "replace")
        status = StatusBlock.decode(bytes(self._buffer[start : start + BLOCK_SIZE]))
        del self._buffer[: start + BLOCK_SIZE]
        return Frame(text, status)
