"""The USB link to a card printer, over pyusb: send commands, read replies, reconnect.
Finding and claiming the printer is `usb_finder.py`'s.

Writing: every write is checked. A short write (fewer bytes accepted than sent) is logged and the
remainder is sent again, from where the printer stopped; `max_stalled_writes` writes in a row
that accept nothing, or a write that times out (pyusb cannot say how much of it went), lose the
link. Reading: a reply is a frame (`evolis_wire.frames`: text, NUL, two bytes, the status block),
read whole, so no part of its status block is left to be taken for the next reply; reads poll until
the request's deadline. A streamed card job is written without waiting for any reply. One
deadline holds for the whole exchange, its writes and its reads: a printer that takes or gives
its bytes a few at a time, each in time, is lost all the same once the deadline passes.

Losing the link: ENODEV (unplugged) or any other USB error, a write timeout, or no reply by the
deadline. The transport disposes the device, reports `connected=False` and raises `LinkLost`;
the next request reconnects: `find()` again with jittered exponential back-off (tenacity), every
wait logged, giving up with `PrinterUnavailable` after `reconnect_timeout_s`. After a lost sync
(anything but ENODEV) the reconnect soft-resets the printer first (`usb_finder.py`).
"""

from __future__ import annotations

import errno
import threading
from dataclasses import dataclass
from typing import Any

import structlog
import usb.core

from contract.clock import Clock, SystemClock
from evolis_wire.frames import Frame, FrameError, FrameReader

from .printer import PrinterError, PrinterUnavailable
from .reconnect import BACKOFF_MAX_S, RECONNECT_WINDOW_S, reconnecting
from .usb_finder import NotFound, PrinterFinder, UsbLink, UsbTarget, describe, dispose

log = structlog.get_logger(__name__)


class LinkLost(PrinterError):
    """The link dropped or lost sync during an exchange; its effect on the printer is unknown."""


@dataclass(frozen=True)
class TransportSettings:
    write_timeout_s: float = 5.0
    chunk_bytes: int = 64 * 1024
    read_poll_s: float = 1.0
    drain_timeout_s: float = 0.02
    max_stalled_writes: int = 3
    reconnect_timeout_s: float = RECONNECT_WINDOW_S
    backoff_max_s: float = BACKOFF_MAX_S
    backoff_jitter_s: float = 0.5


class UsbTransport:
    """One printer over USB; calls are serialised."""

    def __init__(
        self,
        *,
        backend: Any = None,
        target: UsbTarget | None = None,
        clock: Clock | None = None,
        settings: TransportSettings | None = None,
    ) -> None:
        self._clock = clock or SystemClock()
        self._settings = settings or TransportSettings()
        self._finder = PrinterFinder(
            backend,
            target or UsbTarget(),
            control_timeout_s=self._settings.write_timeout_s,
            drain_timeout_s=self._settings.drain_timeout_s,
        )
        self._lock = threading.RLock()
        self._link: UsbLink | None = None
        self._reader = FrameReader()
        self.session = 0
        self.device_id: dict[str, str] = {}

    @property
    def connected(self) -> bool:
        return self._link is not None

    def connect(self) -> None:
        """Make sure the printer is open, retrying with back-off; else `PrinterUnavailable`."""
        with self._lock:
            if self._link is not None:
                return
            retrying = reconnecting(
                self._clock,
                timeout_s=self._settings.reconnect_timeout_s,
                backoff_max_s=self._settings.backoff_max_s,
                jitter_s=self._settings.backoff_jitter_s,
                errors=(NotFound, usb.core.USBError),
            )
            try:
                retrying(self._open)
            except usb.core.NoBackendError as error:
                log.error("usb.no_backend", error=str(error))
                raise PrinterUnavailable("no USB backend: is libusb-1.0 installed?") from error
            except (NotFound, usb.core.USBError) as error:
                log.error("printer.unavailable", error=str(error))
                raise PrinterUnavailable(f"printer not reachable: {error}") from error

    @property
    def clock(self) -> Clock:
        return self._clock

    def request(self, command: bytes, timeout_s: float) -> Frame:
        """Send one command and return its reply frame."""
        with self._lock:
            self.connect()
            deadline = self._clock.monotonic() + timeout_s
            self._write(command, deadline)
            return self._read_reply(timeout_s, deadline)

    def stream(self, data: bytes, timeout_s: float) -> Frame | None:
        """Write a streamed job whole; on USB no reply is awaited (None)."""
        with self._lock:
            self.connect()
            self._write(data, self._clock.monotonic() + timeout_s)
            return None

    def _write(self, data: bytes, deadline: float) -> None:
        """Send all of `data` by `deadline`, resuming after short writes."""
        link = self._require()
        settings, offset, stalled = self._settings, 0, 0
        timeout_ms = int(settings.write_timeout_s * 1000)
        while offset < len(data):
            if self._clock.monotonic() >= deadline:
                raise self._lose(f"only {offset} of {len(data)} bytes taken in time", desync=True)
            chunk = data[offset : offset + settings.chunk_bytes]
            try:
                sent = link.dev.write(link.ep_out, chunk, timeout_ms)
            except usb.core.USBTimeoutError as error:
                raise self._lose(f"write timed out after {offset} bytes", desync=True) from error
            except usb.core.USBError as error:
                raise self._lose_on(error) from error
            if sent < len(chunk):
                log.warning("usb.short_write", sent=sent, asked=len(chunk), offset=offset)
            stalled = stalled + 1 if sent == 0 else 0
            if stalled >= settings.max_stalled_writes:
                raise self._lose(f"printer accepted nothing {stalled} times", desync=True)
            offset += sent

    def _read_reply(self, timeout_s: float, deadline: float) -> Frame:
        """The next reply frame, waiting until `deadline` (`timeout_s` after the request)."""
        link = self._require()
        replies: list[Frame] = []
        while True:
            if replies:
                if len(replies) > 1 or self._reader.pending:
                    raise self._lose("more than one reply to one command", desync=True)
                return replies[0]
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0:
                raise self._lose(f"no reply within {timeout_s} s", desync=True)
            poll_ms = max(1, int(min(remaining, self._settings.read_poll_s) * 1000))
            try:
                replies = self._reader.feed(link.dev.read(link.ep_in, 4096, poll_ms).tobytes())
            except FrameError as error:
                raise self._lose(f"not a reply frame: {error}", desync=True) from error
            except usb.core.USBTimeoutError:
                log.debug("usb.read_poll_timeout", remaining_s=round(remaining, 3))
            except usb.core.USBError as error:
                raise self._lose_on(error) from error

    def resync(self, reason: str) -> None:
        """The replies are out of step with the commands: drop the link; the next request
        reconnects with a soft reset and drains what the printer still had to say."""
        with self._lock:
            self._lose(reason, desync=True)

    def close(self) -> None:
        """Release the interface and the device."""
        with self._lock:
            link, self._link = self._link, None
            if link is not None:
                dispose(link.dev)
                log.info("printer.closed")

    # Connecting -----------------------------------------------------------------------------

    def _open(self) -> None:
        """One attempt to find, claim and ready the printer."""
        link, device_id = self._finder.open()
        self._reader.clear()
        self._link, self.device_id = link, device_id
        self.session += 1
        log.info("printer.connected", device=describe(link.dev), device_id=device_id)

    # Losing the link --------------------------------------------------------------------------

    def _require(self) -> UsbLink:
        if self._link is None:
            raise LinkLost("not connected")
        return self._link

    def _lose_on(self, error: usb.core.USBError) -> LinkLost:
        gone = error.errno == errno.ENODEV
        return self._lose(f"USB error: {error}", desync=not gone)

    def _lose(self, reason: str, *, desync: bool) -> LinkLost:
        link, self._link = self._link, None
        self._finder.resync_next = self._finder.resync_next or desync
        self._reader.clear()
        if link is not None:
            dispose(link.dev)
        log.warning("printer.disconnected", reason=reason, resync=self._finder.resync_next)
        return LinkLost(reason)
