"""A pyusb backend that presents the virtual printer as a USB printer.

Pass it as `usb.core.find(backend=VirtualBackend(printer))`: the host then goes through
pyusb's real code path (descriptors, claiming, bulk transfers, class control requests).

Simulated like a Linux host with libusb: while the printer is unplugged it is not enumerated
and every call on a handle raises `USBError` with errno ENODEV; a replugged printer is a new
device (new address), old handles stay dead. With `usblp=True` the kernel's printer driver
holds the interface after every plug-in: claiming fails with EBUSY until the host detaches it.
The printer is reached only through its byte interface, by the bulk pipes (`usb_pipes.py`,
with the fault knobs for tests: `backend.pipes.inject_…`).
"""

from __future__ import annotations

import array
import errno
from dataclasses import dataclass
from typing import Any

import structlog
import usb.backend
import usb.core

from .usb_descriptors import (
    ConfigurationDescriptor,
    DeviceDescriptor,
    EndpointDescriptor,
    InterfaceDescriptor,
    PrinterDescriptors,
)
from .usb_pipes import BulkPipes
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
    """The virtual printer behind a `usb.backend.IBackend`. `usblp`: the kernel's printer
    driver holds the interface at each plug-in; `configured`: the device comes up in its
    configuration (else unconfigured); `descriptors`: `PrinterDescriptors`' fields (`vendor_id`,
    `product_id`, `ep_out`, `ep_in`, `device_id`, `device_id_little_endian`)."""

    def __init__(
        self,
        printer: VirtualPrinter,
        *,
        usblp: bool = False,
        configured: bool = True,
        **descriptors: Any,
    ) -> None:
        self.printer = printer
        self.descriptors = PrinterDescriptors(printer.info, **descriptors)
        self.pipes = BulkPipes(printer)
        self.usblp, self.configured = usblp, configured
        self.set_configuration_calls = 0
        self.soft_resets = 0
        self._generation = -1
        self._plug_in()

    # Presence -------------------------------------------------------------------------------

    def _plug_in(self) -> None:
        """A (re)enumeration: fresh address, default configuration, usblp bound again."""
        self._generation = self.printer.plug_generation
        self.pipes.clear()
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
        return self.descriptors.device(address=10 + dev.generation % 100)

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
        return self.descriptors.endpoint(ep)

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
        self._check_io(dev_handle, ep, self.descriptors.ep_out)
        size, frames = self.pipes.write(data.tobytes(), timeout)
        if self._present() and self._generation == dev_handle.generation:
            self.pipes.queue(frames)  # not to a device that went, nor to its next plug-in
        return size

    def bulk_read(
        self, dev_handle: Handle, ep: int, intf: int, buff: array.array, timeout: int
    ) -> int:
        self._check_io(dev_handle, ep, self.descriptors.ep_in)
        return _fill(buff, self.pipes.read(len(buff), timeout))

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
            string = self.descriptors.string(wValue & 0xFF)
            if string is None:
                raise _error(errno.EPIPE, f"Pipe error (no string {wValue & 0xFF})")
            return _fill(data, string)
        if request == (CLASS_IN, GET_DEVICE_ID) and wIndex >> 8 == 0:
            return _fill(data, self.descriptors.device_id_block())
        if request == (CLASS_IN, GET_PORT_STATUS) and wIndex == 0:
            return _fill(data, bytes([self.printer.port_status()]))
        if bRequest == SOFT_RESET and bmRequestType in (CLASS_OUT_INTERFACE, CLASS_OUT_OTHER):
            self.soft_resets += 1
            self.pipes.soft_reset()
            return 0
        raise _error(errno.EPIPE, "Pipe error (request not supported)")


def _fill(buffer: array.array, data: bytes) -> int:
    """Copy an IN transfer's data into pyusb's buffer; the number of bytes copied."""
    count = min(len(buffer), len(data))
    buffer[:count] = array.array("B", data[:count])
    return count
