"""The virtual printer's bulk pipes, as its pyusb backend (`usb_backend.py`) moves bytes.

What the host writes goes to `VirtualPrinter.feed`, and the reply frames it returns wait here
until the host reads them; a bulk read returns (at most) one frame, as Evolis' library reads
them. A read with no reply pending waits out its timeout and raises `USBTimeoutError` (with a
timeout of 0, meaning "forever", it raises at once: this printer only speaks when spoken to).
The printer class SOFT_RESET drops the replies not yet read.

Fault knobs for tests: `inject_short_writes`, `inject_write_timeouts`, `inject_read_timeouts`,
`inject_late_reply`; and the printer's own `misreport.drip_s` (each read then brings one byte,
that long after the one before) and `misreport.slow_take_s` (each write takes one byte).
"""

from __future__ import annotations

import errno
from collections import deque
from typing import NoReturn

import usb.core

from .virtual_printer import VirtualPrinter


class BulkPipes:
    """Bulk OUT into the printer, its replies out of bulk IN, and the faults injected on both."""

    def __init__(self, printer: VirtualPrinter) -> None:
        self.printer = printer
        self._replies: deque[bytearray] = deque()
        self._short_writes: list[int] = []
        self._write_timeouts: list[bool] = []
        self._read_timeouts: list[bool] = []
        self._late: list[bytes] | None = None  # replies held back (`inject_late_reply`)
        self._late_after_reset = False

    # Test knobs -----------------------------------------------------------------------------

    def inject_short_writes(self, count: int, max_bytes: int, skip: int = 0) -> None:
        """After `skip` bulk writes, the next `count` accept at most `max_bytes` bytes each."""
        self._short_writes = [-1] * skip + [max_bytes] * count

    def inject_write_timeouts(self, count: int, skip: int = 0) -> None:
        """After `skip` bulk writes, the next `count` time out without delivering a byte."""
        self._write_timeouts = [False] * skip + [True] * count

    def inject_read_timeouts(self, count: int, skip: int = 0) -> None:
        """After `skip` bulk reads, the next `count` time out even if a reply is ready (it stays
        pending)."""
        self._read_timeouts = [False] * skip + [True] * count

    def inject_late_reply(self) -> None:
        """The reply to the next command comes late: after the host has given up on it, reset
        the link (SOFT_RESET) and drained it, just before the reply to the host's next write.
        So the USB printer gadget behaves, whose replies wait in the gadget program, out of
        the kernel's reach (tools/rig)."""
        self._late = []

    # Transfers ------------------------------------------------------------------------------

    def write(self, data: bytes, timeout_ms: int) -> tuple[int, list[bytes]]:
        """A bulk write: how many bytes the printer took, and the reply frames now due."""
        if self._write_timeouts and self._write_timeouts.pop(0):
            self._time_out(timeout_ms)
        limit = self._short_writes.pop(0) if self._short_writes else -1
        if self.printer.misreport.slow_take_s > 0:
            self.printer.clock.sleep(self.printer.misreport.slow_take_s)
            limit = 1
        size = len(data) if limit < 0 else min(len(data), limit)
        frames = self.printer.feed(data[:size])
        if self._late_after_reset and self._late is not None:
            frames, self._late, self._late_after_reset = [*self._late, *frames], None, False
        elif self._late is not None and not self._late_after_reset:
            self._late.extend(frames)
            frames = []
        return size, frames

    def queue(self, frames: list[bytes]) -> None:
        """Reply frames for the host to read."""
        self._replies.extend(bytearray(frame) for frame in frames)

    def read(self, size: int, timeout_ms: int) -> bytes:
        """A bulk read of up to `size` bytes: the next reply frame, or what is left of it."""
        injected = bool(self._read_timeouts) and self._read_timeouts.pop(0)
        if injected or not self._replies:
            self._time_out(timeout_ms)
        drip_s = self.printer.misreport.drip_s
        if drip_s > 0:
            self.printer.clock.sleep(drip_s)
            size = 1
        frame = self._replies[0]
        data = bytes(frame[:size])
        del frame[: len(data)]
        if not frame:
            self._replies.popleft()
        return data

    def clear(self) -> None:
        """The device was enumerated again: the replies not read are gone."""
        self._replies.clear()

    def soft_reset(self) -> None:
        """The printer class SOFT_RESET: the replies not read are gone (a late one comes after
        it), and the printer drops a partial command."""
        self._replies.clear()
        self._late_after_reset = self._late is not None
        self.printer.link_reset()

    def _time_out(self, timeout_ms: int) -> NoReturn:
        self.printer.clock.sleep(timeout_ms / 1000)
        raise usb.core.USBTimeoutError("Operation timed out", errno=errno.ETIMEDOUT)
