"""A pyusb backend that presents the virtual printer as a USB printer.

Pass it as `usb.core.find(backend=VirtualBackend(printer))`: the host then goes through
pyusb's real code path (descriptors, claiming, bulk transfers, class control requests).

Simulated like a Linux host with libusb: while the printer is unplugged it is not enumerated
and every call on a handle raises `USBError` with errno ENODEV; a replugged printer is a new
device (new address), old handles stay dead. With `usblp=True` the kernel's printer driver
holds the interface after every plug-in: claiming fails with EBUSY until the host detaches it.
The printer is reached only through its byte interface: what the host writes goes to
`VirtualPrinter.feed`, and the reply frames it returns are queued here; a bulk read returns (at
most) one frame, as Evolis' library reads them. A read with no reply pending waits out its
timeout and raises `USBTimeoutError` (with a timeout of 0, meaning "forever", it raises at
once: this printer only speaks when spoken to).

Fault knobs for tests: `inject_short_writes`, `inject_write_timeouts`, `inject_read_timeouts`.
"""

from __future__ import annotations

import array
import errno
from collections import deque
from dataclasses import dataclass

import structlog
import usb.backend
import usb.core

from .models import EVOLIS_VENDOR_ID
from .usb_descriptors import (
    ConfigurationDescriptor,
    DeviceDescriptor,
    EndpointDescriptor,
    InterfaceDescriptor,
    device_id_block,
    device_id_string,
    langid_descriptor,
    string_descriptor,
)
from .virtual_printer import VirtualPrinter

log = structlog.get_logger(__name__)

GET_DESCRIPTOR, DESC_STRING = 6, 3
GET_DEVICE_ID, GET_PORT_STATUS, SOFT_RESET = 0, 1, 2
CLASS_IN, CLASS_OUT_INTERFACE, CLASS_OUT_OTHER, STANDARD_IN = 0xA1, 0x21, 0x23, 0x80


@dataclass(frozen=True)
class DeviceRef:
    """What `enumerate_devices` yields: the device as seen at one plug-in."""

    generation: int


@dataclass(frozen=True)
class Handle:
    generation: int


def _error(code: int, text: str) -> usb.core.USBError:
    return usb.core.USBError(text, errno=code)


class VirtualBackend(usb.backend.IBackend):
    """The virtual printer behind a `usb.backend.IBackend`."""

    def __init__(
        self,
        printer: VirtualPrinter,
        *,
        vendor_id: int = EVOLIS_VENDOR_ID,
        product_id: int | None = None,
        ep_out: int = 0x01,
        ep_in: int = 0x82,
        usblp: bool = False,
        configured: bool = True,
        device_id: str | None = None,
        device_id_little_endian: bool = False,
    ) -> None:
        if ep_out & 0x80 or not ep_in & 0x80 or not (ep_out & 0x0F and ep_in & 0x0F):
            raise ValueError("ep_out must be an OUT and ep_in an IN endpoint, neither 0")
        self.printer = printer
        self.vendor_id = vendor_id
        self.product_id = printer.info.product_id if product_id is None else product_id
        self.ep_out, self.ep_in = ep_out, ep_in
        self.device_id = device_id_string(printer.info) if device_id is None else device_id
        self.device_id_little_endian = device_id_little_endian
        self._outbox: deque[bytearray] = deque()
        self.usblp, self.configured = usblp, configured
        self.set_configuration_calls = 0
        self.soft_resets = 0
        self._generation = -1
        self._plug_in()
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

    # Presence -------------------------------------------------------------------------------

    def _plug_in(self) -> None:
        """A (re)enumeration: fresh address, default configuration, usblp bound again."""
        self._generation = self.printer.plug_generation
        self._outbox.clear()
        self.kernel_driver_active = self.usblp
        self._active_config = 1 if self.configured else 0
        self._claimed: set[int] = set()

    def _present(self) -> bool:
        if not self.printer.attached:
            return False
        if self._generation != self.printer.plug_generation:
            self._plug_in()
        return True

    def _check(self, ref: DeviceRef | Handle) -> None:
        if not self._present() or ref.generation != self._generation:
            raise _error(errno.ENODEV, "No such device (it may have been disconnected)")

    def _check_io(self, handle: Handle, ep: int, expected: int) -> None:
        self._check(handle)
        if 0 not in self._claimed:
            raise _error(errno.EBUSY, "Resource busy (interface not claimed)")
        if ep != expected:
            raise _error(errno.EINVAL, f"Invalid endpoint {ep:#04x}")

    # Descriptors ----------------------------------------------------------------------------

    def enumerate_devices(self) -> list[DeviceRef]:
        return [DeviceRef(self._generation)] if self._present() else []

    def get_parent(self, dev: DeviceRef) -> None:
        return None

    def get_device_descriptor(self, dev: DeviceRef) -> DeviceDescriptor:
        self._check(dev)
        address = 10 + dev.generation % 100
        return DeviceDescriptor(self.vendor_id, self.product_id, bus=1, address=address)

    def get_configuration_descriptor(self, dev: DeviceRef, config: int) -> ConfigurationDescriptor:
        self._check(dev)
        if config != 0:
            raise IndexError(f"no configuration {config}")
        return ConfigurationDescriptor()

    def get_interface_descriptor(
        self, dev: DeviceRef, intf: int, alt: int, config: int
    ) -> InterfaceDescriptor:
        self._check(dev)
        if (intf, alt, config) != (0, 0, 0):
            raise IndexError(f"no interface {intf} alt {alt}")
        return InterfaceDescriptor()

    def get_endpoint_descriptor(
        self, dev: DeviceRef, ep: int, intf: int, alt: int, config: int
    ) -> EndpointDescriptor:
        self._check(dev)
        if (intf, alt, config) != (0, 0, 0) or ep not in (0, 1):
            raise IndexError(f"no endpoint {ep}")
        return EndpointDescriptor(self.ep_in if ep == 0 else self.ep_out)

    # Device handle --------------------------------------------------------------------------

    def open_device(self, dev: DeviceRef) -> Handle:
        self._check(dev)
        return Handle(dev.generation)

    def close_device(self, dev_handle: Handle) -> None:
        if dev_handle.generation == self._generation:
            self._claimed.clear()

    def set_configuration(self, dev_handle: Handle, config_value: int) -> None:
        self._check(dev_handle)
        self.set_configuration_calls += 1
        if config_value not in (0, 1):
            raise _error(errno.EINVAL, f"Invalid configuration {config_value}")
        if self._claimed or self.kernel_driver_active:
            raise _error(errno.EBUSY, "Resource busy (interface in use)")
        self._active_config = config_value

    def get_configuration(self, dev_handle: Handle) -> int:
        self._check(dev_handle)
        return self._active_config

    def set_interface_altsetting(self, dev_handle: Handle, intf: int, altsetting: int) -> None:
        self._check(dev_handle)
        if (intf, altsetting) != (0, 0):
            raise _error(errno.EINVAL, "Invalid interface or alternate setting")

    def claim_interface(self, dev_handle: Handle, intf: int) -> None:
        self._check(dev_handle)
        if intf != 0 or self._active_config == 0:
            raise _error(errno.ENOENT, f"Entity not found (interface {intf})")
        if self.kernel_driver_active:
            raise _error(errno.EBUSY, "Resource busy (usblp holds the interface)")
        self._claimed.add(intf)

    def release_interface(self, dev_handle: Handle, intf: int) -> None:
        self._check(dev_handle)
        self._claimed.discard(intf)

    def is_kernel_driver_active(self, dev_handle: Handle, intf: int) -> bool:
        self._check(dev_handle)
        return self.kernel_driver_active

    def detach_kernel_driver(self, dev_handle: Handle, intf: int) -> None:
        self._check(dev_handle)
        if not self.kernel_driver_active:
            raise _error(errno.ENOENT, "Entity not found (no kernel driver)")
        self.kernel_driver_active = False
        log.info("virtual_usb.usblp_detached")

    def attach_kernel_driver(self, dev_handle: Handle, intf: int) -> None:
        self._check(dev_handle)
        if self._claimed:
            raise _error(errno.EBUSY, "Resource busy (interface claimed)")
        self.kernel_driver_active = True

    def clear_halt(self, dev_handle: Handle, ep: int) -> None:
        self._check(dev_handle)

    # Transfers ------------------------------------------------------------------------------

    def bulk_write(
        self, dev_handle: Handle, ep: int, intf: int, data: array.array, timeout: int
    ) -> int:
        self._check_io(dev_handle, ep, self.ep_out)
        if self._write_timeouts and self._write_timeouts.pop(0):
            self.printer.clock.sleep(timeout / 1000)
            raise usb.core.USBTimeoutError("Operation timed out", errno=errno.ETIMEDOUT)
        size = len(data)
        limit = self._short_writes.pop(0) if self._short_writes else -1
        if limit >= 0:
            size = min(size, limit)
        frames = self.printer.feed(data[:size].tobytes())
        if self._late_after_reset and self._late is not None:
            frames, self._late, self._late_after_reset = [*self._late, *frames], None, False
        elif self._late is not None and not self._late_after_reset:
            self._late.extend(frames)
            frames = []
        if self._present() and self._generation == dev_handle.generation:
            self._outbox.extend(bytearray(frame) for frame in frames)
        return size

    def bulk_read(
        self, dev_handle: Handle, ep: int, intf: int, buff: array.array, timeout: int
    ) -> int:
        self._check_io(dev_handle, ep, self.ep_in)
        injected = bool(self._read_timeouts) and self._read_timeouts.pop(0)
        if injected or not self._outbox:
            self.printer.clock.sleep(timeout / 1000)
            raise usb.core.USBTimeoutError("Operation timed out", errno=errno.ETIMEDOUT)
        frame = self._outbox[0]
        data = bytes(frame[: len(buff)])
        del frame[: len(data)]
        if not frame:
            self._outbox.popleft()
        buff[: len(data)] = array.array("B", data)
        return len(data)

    def ctrl_transfer(
        self,
        dev_handle: Handle,
        bmRequestType: int,
        bRequest: int,
        wValue: int,
        wIndex: int,
        data: array.array,
        timeout: int,
    ) -> int:
        self._check(dev_handle)
        request = (bmRequestType, bRequest)
        if request == (STANDARD_IN, GET_DESCRIPTOR) and wValue >> 8 == DESC_STRING:
            return _fill(data, self._string(wValue & 0xFF))
        if request == (CLASS_IN, GET_DEVICE_ID) and wIndex >> 8 == 0:
            block = device_id_block(self.device_id, self.device_id_little_endian)
            return _fill(data, block)
        if request == (CLASS_IN, GET_PORT_STATUS) and wIndex == 0:
            return _fill(data, bytes([self.printer.port_status()]))
        if bRequest == SOFT_RESET and bmRequestType in (CLASS_OUT_INTERFACE, CLASS_OUT_OTHER):
            self.soft_resets += 1
            self._outbox.clear()
            self._late_after_reset = self._late is not None
            self.printer.link_reset()
            return 0
        raise _error(errno.EPIPE, "Pipe error (request not supported)")

    def _string(self, index: int) -> bytes:
        if index == 0:
            return langid_descriptor()
        info = self.printer.info
        strings = {1: info.maker, 2: info.full_name, 3: info.serial}
        if index not in strings:
            raise _error(errno.EPIPE, f"Pipe error (no string {index})")
        return string_descriptor(strings[index])


def _fill(buffer: array.array, data: bytes) -> int:
    """Copy a control IN answer into pyusb's buffer; the number of bytes copied."""
    count = min(len(buffer), len(data))
    buffer[:count] = array.array("B", data[:count])
    return count
