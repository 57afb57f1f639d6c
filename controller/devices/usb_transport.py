"""The USB link to a card printer, over pyusb: find, claim, send commands, read replies.

Finding: by vendor/product id when configured (the IEEE 1284 id is then only logged), else any
device with a bidirectional printer-class interface (class 7, protocol 2 or 3) whose IEEE 1284
device id names an accepted manufacturer (MFG) and command set (CMD). The kernel's `usblp` is
detached when it holds the interface; the configuration is set only when it is not already the
active one; bulk endpoints come from the interface's descriptors.

Writing: every write is checked. A short write (fewer bytes accepted than sent) is logged and the
remainder is sent again, from where the printer stopped; `max_stalled_writes` writes in a row
that accept nothing, or a write that times out (pyusb cannot say how much of it went), lose the
link. Reading: a reply is a frame (`evolis_wire.frames`: text, NUL, two bytes, the status block),
read whole, so no part of its status block is left to be taken for the next reply; reads poll until
the request's deadline. A streamed card job is written without waiting for any reply.

Losing the link: ENODEV (unplugged) or any other USB error, a write timeout, or no reply by the
deadline. The transport disposes the device, reports `connected=False` and raises `LinkLost`;
the next request reconnects: `find()` again with jittered exponential back-off (tenacity), every
wait logged, giving up with `PrinterUnavailable` after `reconnect_timeout_s`. After a lost sync
(anything but ENODEV) the reconnect sends the printer class SOFT_RESET, so that half a command or
a late reply cannot be taken for the next one, and drains what is left to read.
"""

from __future__ import annotations

import errno
import threading
from dataclasses import dataclass
from typing import Any

import structlog
import usb.core
import usb.util

from contract.clock import Clock, SystemClock
from evolis_wire.frames import FrameError, FrameReader, Reply

from .printer import PrinterError, PrinterUnavailable
from .reconnect import BACKOFF_MAX_S, RECONNECT_WINDOW_S, reconnecting

log = structlog.get_logger(__name__)

PRINTER_CLASS = 7
BIDIRECTIONAL = (2, 3)
GET_DEVICE_ID, SOFT_RESET = 0, 2
CLASS_IN, CLASS_OUT = 0xA1, 0x21


class LinkLost(PrinterError):
    """The link dropped or lost sync during an exchange; its effect on the printer is unknown."""


class NotFound(PrinterError):
    """No matching printer is attached."""


@dataclass(frozen=True)
class UsbTarget:
    """Which printer to use: ids from the config, or printers whose 1284 id matches."""

    vendor_id: int | None = None
    product_id: int | None = None
    manufacturers: tuple[str, ...] = ("EVOLIS",)
    command_sets: tuple[str, ...] = ("EVOLIS",)


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


@dataclass
class _Link:
    dev: usb.core.Device
    interface: int
    ep_out: usb.core.Endpoint
    ep_in: usb.core.Endpoint


def parse_device_id(raw: bytes) -> dict[str, str]:
    """An IEEE 1284 device id (2-byte length, big- or little-endian, then `KEY:value;`...)."""
    if len(raw) < 2:
        return {}
    length = int.from_bytes(raw[:2], "big")
    if not 2 <= length <= len(raw):
        length = int.from_bytes(raw[:2], "little")
    if not 2 <= length <= len(raw):
        length = len(raw)
    fields = {}
    for item in raw[2:length].decode("ascii", "replace").split(";"):
        key, sep, value = item.partition(":")
        if sep:
            fields[key.strip().upper()] = value.strip()
    return fields


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
        self._backend = backend
        self._target = target or UsbTarget()
        self._clock = clock or SystemClock()
        self._settings = settings or TransportSettings()
        self._lock = threading.RLock()
        self._link: _Link | None = None
        self._reader = FrameReader()
        self._desynced = False
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

    def request(self, command: bytes, timeout_s: float) -> Reply:
        """Send one command and return its reply frame."""
        with self._lock:
            self.connect()
            self._write(command)
            return self._read_reply(timeout_s)

    def stream(self, data: bytes, timeout_s: float) -> Reply | None:
        """Write a streamed job whole; on USB no reply is awaited (None)."""
        with self._lock:
            self.connect()
            self._write(data)
            return None

    def _write(self, data: bytes) -> None:
        """Send all of `data`, resuming after short writes."""
        link = self._require()
        settings, offset, stalled = self._settings, 0, 0
        timeout_ms = int(settings.write_timeout_s * 1000)
        while offset < len(data):
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

    def _read_reply(self, timeout_s: float) -> Reply:
        """The next reply frame, waiting up to `timeout_s` on the clock."""
        link = self._require()
        deadline = self._clock.monotonic() + timeout_s
        replies: list[Reply] = []
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
                _dispose(link.dev)
                log.info("printer.closed")

    # Connecting -----------------------------------------------------------------------------

    def _open(self) -> None:
        """One attempt to find and claim the printer."""
        ids = {
            key: value
            for key, value in (
                ("idVendor", self._target.vendor_id),
                ("idProduct", self._target.product_id),
            )
            if value is not None
        }
        for dev in usb.core.find(find_all=True, backend=self._backend, **ids):
            link = _printer_link(dev)
            if link is None:
                continue
            try:
                self._claim(link)
                device_id = self._read_device_id(link)
            except usb.core.USBError as error:
                log.warning("usb.open_failed", device=_name(dev), error=str(error))
                _dispose(dev)
                continue
            if not ids and not self._matches(device_id):
                log.info("usb.other_printer", device=_name(dev), device_id=device_id)
                _dispose(dev)
                continue
            self._reader.clear()
            try:
                if self._desynced:
                    self._soft_reset(link)
                self._drain(link)
            except usb.core.USBError:
                _dispose(dev)
                raise
            self._link, self.device_id = link, device_id
            self.session += 1
            log.info("printer.connected", device=_name(dev), device_id=device_id)
            return
        raise NotFound("no matching printer attached")

    def _claim(self, link: _Link) -> None:
        dev, number = link.dev, link.interface
        try:
            if dev.is_kernel_driver_active(number):
                dev.detach_kernel_driver(number)
                log.info("usb.kernel_driver_detached", interface=number)
        except NotImplementedError:
            log.debug("usb.kernel_driver_check_unsupported")
        config = dev[0].bConfigurationValue
        try:
            active = dev.get_active_configuration().bConfigurationValue
        except usb.core.USBError:
            active = None
        if active != config:
            log.info("usb.set_configuration", configuration=config, was=active)
            dev.set_configuration(config)
        usb.util.claim_interface(dev, number)

    def _read_device_id(self, link: _Link) -> dict[str, str]:
        timeout_ms = int(self._settings.write_timeout_s * 1000)
        raw = link.dev.ctrl_transfer(
            CLASS_IN, GET_DEVICE_ID, 0, link.interface << 8, 1024, timeout_ms
        )
        return parse_device_id(raw.tobytes())

    def _matches(self, device_id: dict[str, str]) -> bool:
        maker = device_id.get("MFG", device_id.get("MANUFACTURER", "")).upper()
        commands = device_id.get("CMD", device_id.get("COMMAND SET", "")).upper().split(",")
        target = self._target
        return maker in target.manufacturers and any(
            command.strip() in target.command_sets for command in commands
        )

    def _soft_reset(self, link: _Link) -> None:
        try:
            link.dev.ctrl_transfer(CLASS_OUT, SOFT_RESET, 0, link.interface << 8, None, 1000)
            log.info("usb.soft_reset")
        except usb.core.USBError as error:
            log.warning("usb.soft_reset_failed", error=str(error))
        self._desynced = False

    def _drain(self, link: _Link) -> None:
        """Read and drop whatever the printer still had to say."""
        timeout_ms = max(1, int(self._settings.drain_timeout_s * 1000))
        while True:
            try:
                stale = link.dev.read(link.ep_in, 4096, timeout_ms).tobytes()
            except usb.core.USBTimeoutError:
                return
            if not stale:
                return
            log.warning("usb.stale_input_dropped", data=stale[:64])

    # Losing the link --------------------------------------------------------------------------

    def _require(self) -> _Link:
        if self._link is None:
            raise LinkLost("not connected")
        return self._link

    def _lose_on(self, error: usb.core.USBError) -> LinkLost:
        gone = error.errno == errno.ENODEV
        return self._lose(f"USB error: {error}", desync=not gone)

    def _lose(self, reason: str, *, desync: bool) -> LinkLost:
        link, self._link = self._link, None
        self._desynced = self._desynced or desync
        self._reader.clear()
        if link is not None:
            _dispose(link.dev)
        log.warning("printer.disconnected", reason=reason, resync=self._desynced)
        return LinkLost(reason)


def _printer_link(dev: usb.core.Device) -> _Link | None:
    """The bidirectional printer interface of the first configuration, with its bulk pipes."""
    for intf in dev[0]:
        if intf.bInterfaceClass != PRINTER_CLASS or intf.bInterfaceProtocol not in BIDIRECTIONAL:
            continue
        pipes = {}
        for ep in intf:
            if usb.util.endpoint_type(ep.bmAttributes) == usb.util.ENDPOINT_TYPE_BULK:
                pipes[usb.util.endpoint_direction(ep.bEndpointAddress)] = ep
        if usb.util.ENDPOINT_OUT in pipes and usb.util.ENDPOINT_IN in pipes:
            return _Link(
                dev,
                intf.bInterfaceNumber,
                pipes[usb.util.ENDPOINT_OUT],
                pipes[usb.util.ENDPOINT_IN],
            )
    return None


def _dispose(dev: usb.core.Device) -> None:
    try:
        usb.util.dispose_resources(dev)
    except usb.core.USBError as error:
        log.debug("usb.dispose_failed", error=str(error))


def _name(dev: usb.core.Device) -> str:
    return f"{dev.idVendor:04x}:{dev.idProduct:04x} bus {dev.bus} address {dev.address}"
