"""Finding the card printer on USB and making it ready for a link (pyusb).

Finding: by vendor/product id when configured (the IEEE 1284 id is then only logged), else any
device with a bidirectional printer-class interface (class 7, protocol 2 or 3) whose IEEE 1284
device id names an accepted manufacturer (MFG) and command set (CMD). The kernel's `usblp` is
detached when it holds the interface; the configuration is set only when it is not already the
active one; bulk endpoints come from the interface's descriptors.

Ready: after a lost sync (`resync_next`) the printer class SOFT_RESET is sent first, so that
half a command or a late reply cannot be taken for the next one; then whatever the printer
still had to say is read and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
import usb.core
import usb.util

from .printer import PrinterError

log = structlog.get_logger(__name__)

PRINTER_CLASS = 7
BIDIRECTIONAL = (2, 3)
GET_DEVICE_ID, SOFT_RESET = 0, 2
CLASS_IN, CLASS_OUT = 0xA1, 0x21
SOFT_RESET_TIMEOUT_MS = 1000


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
class UsbLink:
    """A claimed printer interface and its bulk pipes."""

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


class PrinterFinder:
    """One attempt at a time to find, claim and ready the printer."""

    def __init__(
        self, backend: Any, target: UsbTarget, *, control_timeout_s: float, drain_timeout_s: float
    ) -> None:
        self._backend = backend
        self._target = target
        self._control_timeout_ms = int(control_timeout_s * 1000)
        self._drain_timeout_ms = max(1, int(drain_timeout_s * 1000))
        self.resync_next = False  # the last link lost sync: soft-reset the printer first

    def open(self) -> tuple[UsbLink, dict[str, str]]:
        """The printer's link and its 1284 id; `NotFound` or `usb.core.USBError` if not."""
        target = self._target
        ids = {
            key: value
            for key, value in (("idVendor", target.vendor_id), ("idProduct", target.product_id))
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
                log.warning("usb.open_failed", device=describe(dev), error=str(error))
                dispose(dev)
                continue
            if not ids and not self._matches(device_id):
                log.info("usb.other_printer", device=describe(dev), device_id=device_id)
                dispose(dev)
                continue
            try:
                if self.resync_next:
                    self._soft_reset(link)
                self._drain(link)
            except usb.core.USBError:
                dispose(dev)
                raise
            return link, device_id
        raise NotFound("no matching printer attached")

    def _claim(self, link: UsbLink) -> None:
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

    def _read_device_id(self, link: UsbLink) -> dict[str, str]:
        raw = link.dev.ctrl_transfer(
            CLASS_IN, GET_DEVICE_ID, 0, link.interface << 8, 1024, self._control_timeout_ms
        )
        return parse_device_id(raw.tobytes())

    def _matches(self, device_id: dict[str, str]) -> bool:
        maker = device_id.get("MFG", device_id.get("MANUFACTURER", "")).upper()
        commands = device_id.get("CMD", device_id.get("COMMAND SET", "")).upper().split(",")
        target = self._target
        return maker in target.manufacturers and any(
            command.strip() in target.command_sets for command in commands
        )

    def _soft_reset(self, link: UsbLink) -> None:
        try:
            link.dev.ctrl_transfer(
                CLASS_OUT, SOFT_RESET, 0, link.interface << 8, None, SOFT_RESET_TIMEOUT_MS
            )
            log.info("usb.soft_reset")
        except usb.core.USBError as error:
            log.warning("usb.soft_reset_failed", error=str(error))
        self.resync_next = False

    def _drain(self, link: UsbLink) -> None:
        """Read and drop whatever the printer still had to say."""
        while True:
            try:
                stale = link.dev.read(link.ep_in, 4096, self._drain_timeout_ms).tobytes()
            except usb.core.USBTimeoutError:
                return
            if not stale:
                return
            log.warning("usb.stale_input_dropped", data=stale[:64])


def _printer_link(dev: usb.core.Device) -> UsbLink | None:
    """The bidirectional printer interface of the first configuration, with its bulk pipes."""
    for intf in dev[0]:
        if intf.bInterfaceClass != PRINTER_CLASS or intf.bInterfaceProtocol not in BIDIRECTIONAL:
            continue
        pipes = {}
        for ep in intf:
            if usb.util.endpoint_type(ep.bmAttributes) == usb.util.ENDPOINT_TYPE_BULK:
                pipes[usb.util.endpoint_direction(ep.bEndpointAddress)] = ep
        if usb.util.ENDPOINT_OUT in pipes and usb.util.ENDPOINT_IN in pipes:
            return UsbLink(
                dev,
                intf.bInterfaceNumber,
                pipes[usb.util.ENDPOINT_OUT],
                pipes[usb.util.ENDPOINT_IN],
            )
    return None


def dispose(dev: usb.core.Device) -> None:
    """Release what pyusb holds of `dev` (its interface, its handle)."""
    try:
        usb.util.dispose_resources(dev)
    except usb.core.USBError as error:
        log.debug("usb.dispose_failed", error=str(error))


def describe(dev: usb.core.Device) -> str:
    return f"{dev.idVendor:04x}:{dev.idProduct:04x} bus {dev.bus} address {dev.address}"
