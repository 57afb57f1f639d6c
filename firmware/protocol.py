"""Printer-side framing of the Evolis command language.

A command is `ESC name[;param]... CR`. `Db;{panel};{levels};` is followed by exactly
`panel_size(levels)` bytes of bitmap (which may contain CR or ESC) and then CR. Bytes before an
ESC (e.g. NUL padding) are skipped. The parser is incremental: bytes may arrive in any split.
"""

from __future__ import annotations

from dataclasses import dataclass

from evolis_wire.panels import PANEL_LEVELS, panel_size

ESC = 0x1B
CR = 0x0D
MAX_HEADER = 256


@dataclass(frozen=True)
class Command:
    name: str
    params: tuple[str, ...] = ()
    payload: bytes | None = None


@dataclass(frozen=True)
class FramingError:
    """Bytes that could not be read as a command; the printer answers `ERR PARAM`."""

    reason: str


class CommandParser:
    """Turns a byte stream into `Command`s and `FramingError`s."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._header: Command | None = None
        self._payload_size = 0
        self._in_frame = False

    def reset(self) -> None:
        """Forget any partial command (the USB link was reset)."""
        self._buffer.clear()
        self._header = None
        self._payload_size = 0
        self._in_frame = False

    def feed(self, data: bytes) -> list[Command | FramingError]:
        self._buffer += data
        out: list[Command | FramingError] = []
        while True:
            item = self._next()
            if item is None:
                return out
            out.append(item)

    def _next(self) -> Command | FramingError | None:
        if self._header is not None:
            return self._take_payload()
        if not self._in_frame:
            start = self._buffer.find(ESC)
            if start < 0:
                self._buffer.clear()
                return None
            del self._buffer[: start + 1]
            self._in_frame = True
        return self._take_header()

    def _take_header(self) -> Command | FramingError | None:
        end = self._buffer.find(CR)
        if self._buffer.startswith(b"Db;"):
            fields_end = _nth(self._buffer, ord(";"), 3)
            if fields_end >= 0 and (end < 0 or fields_end < end):
                return self._start_payload(fields_end)
        if end < 0:
            if len(self._buffer) > MAX_HEADER:
                self._in_frame = False
                self._buffer.clear()
                return FramingError("command too long")
            return None
        text = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        self._in_frame = False
        try:
            name, *params = text.decode("ascii").split(";")
        except UnicodeDecodeError:
            return FramingError("command is not ASCII")
        return Command(name, tuple(params))

    def _start_payload(self, fields_end: int) -> Command | FramingError | None:
        header = bytes(self._buffer[:fields_end]).decode("ascii", "replace").split(";")
        del self._buffer[: fields_end + 1]
        self._in_frame = False
        levels = int(header[2]) if header[2].isdigit() else 0
        if levels not in PANEL_LEVELS:
            return FramingError(f"unsupported levels {header[2]!r}")
        self._header = Command("Db", (header[1], header[2]))
        self._payload_size = panel_size(levels)
        return self._take_payload()

    def _take_payload(self) -> Command | FramingError | None:
        if len(self._buffer) < self._payload_size + 1:
            return None
        assert self._header is not None
        header, size = self._header, self._payload_size
        self._header = None
        payload = bytes(self._buffer[:size])
        terminator = self._buffer[size]
        del self._buffer[: size + 1]
        if terminator != CR:
            return FramingError("panel data not followed by CR")
        return Command(header.name, header.params, payload)


def _nth(buffer: bytearray, byte: int, n: int) -> int:
    """Index of the `n`th occurrence of `byte` in the first MAX_HEADER bytes, or -1."""
    index = -1
    for _ in range(n):
        index = buffer.find(byte, index + 1, MAX_HEADER)
        if index < 0:
            return -1
    return index
