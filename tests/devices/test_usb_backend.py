"""The virtual printer as pyusb sees it through `VirtualBackend`."""

from __future__ import annotations

import errno

import pytest
import usb.core
import usb.util

from firmware.usb_backend import VirtualBackend


@pytest.fixture
def printer(make_printer):
    return make_printer()


def _is_printer(dev: usb.core.Device) -> bool:
    return any(usb.util.find_descriptor(cfg, bInterfaceClass=7) for cfg in dev)


def test_descriptors_strings_and_device_id(printer):
    backend = VirtualBackend(printer, ep_out=0x03, ep_in=0x8E)
    dev = usb.core.find(backend=backend, custom_match=_is_printer)
    assert (dev.idVendor, dev.idProduct) == (0x0F49, 0x0B00)  # an Evolis Primacy
    assert (dev.manufacturer, dev.product, dev.serial_number) == (
        "Evolis",
        "Evolis Primacy",
        "VP0000001",
    )
    intf = dev[0][(0, 0)]
    assert (intf.bInterfaceClass, intf.bInterfaceSubClass, intf.bInterfaceProtocol) == (7, 1, 2)
    assert sorted(ep.bEndpointAddress for ep in intf) == [0x03, 0x8E]
    raw = dev.ctrl_transfer(0xA1, 0, 0, 0, 1024).tobytes()
    assert int.from_bytes(raw[:2], "big") == len(raw)
    assert raw[2:].startswith(b"MFG:Evolis;CMD:EVOLIS;MDL:Primacy;")
    assert dev.ctrl_transfer(0xA1, 1, 0, 0, 1).tobytes() == b"\x18"
    with pytest.raises(usb.core.USBError) as stalled:
        dev.ctrl_transfer(0xC0, 0x33, 0, 0, 4)
    assert stalled.value.errno == errno.EPIPE


def test_bad_endpoint_addresses_are_refused(printer):
    with pytest.raises(ValueError):
        VirtualBackend(printer, ep_out=0x81)
    with pytest.raises(ValueError):
        VirtualBackend(printer, ep_in=0x02)


def test_usblp_holds_the_interface_until_detached(printer):
    backend = VirtualBackend(printer, usblp=True)
    dev = usb.core.find(backend=backend)
    assert dev.is_kernel_driver_active(0)
    with pytest.raises(usb.core.USBError) as busy:
        usb.util.claim_interface(dev, 0)
    assert busy.value.errno == errno.EBUSY
    with pytest.raises(usb.core.USBError) as busy:
        dev.set_configuration()
    assert busy.value.errno == errno.EBUSY
    dev.detach_kernel_driver(0)
    usb.util.claim_interface(dev, 0)
    with pytest.raises(usb.core.USBError):
        dev.attach_kernel_driver(0)


def test_bulk_exchange_and_timeouts(printer):
    dev = usb.core.find(backend=VirtualBackend(printer))
    with pytest.raises(usb.core.USBTimeoutError):
        dev.read(0x82, 64, 100)
    assert dev.write(0x01, b"\x1bRco;c\r", 100) == 7
    assert dev.read(0x82, 64, 100).tobytes() == b"0\x00\x00\x00" + printer.status_block().encode()
    with pytest.raises(usb.core.USBTimeoutError):
        dev.read(0x82, 64, 0)


def test_a_read_returns_at_most_one_frame_and_frames_can_be_read_in_pieces(printer):
    dev = usb.core.find(backend=VirtualBackend(printer))
    dev.write(0x01, b"\x1bRtp\r\x1bRok\r")
    assert dev.read(0x82, 6).tobytes() == b"Evolis"
    assert dev.read(0x82, 64).tobytes()[:9] == b" Primacy\x00"
    assert dev.read(0x82, 64).tobytes()[:3] == b"OK\x00"


def test_injected_short_writes_and_timeouts(printer, clock):
    backend = VirtualBackend(printer)
    dev = usb.core.find(backend=backend)
    backend.pipes.inject_short_writes(1, max_bytes=3, skip=1)
    assert dev.write(0x01, b"\x1bRsn\r") == 5
    assert dev.write(0x01, b"\x1bRsn\r") == 3
    assert dev.write(0x01, b"n\r") == 2
    backend.pipes.inject_write_timeouts(1)
    start = clock.monotonic()
    with pytest.raises(usb.core.USBTimeoutError):
        dev.write(0x01, b"\x1bRsn\r", 2500)
    assert clock.monotonic() - start == pytest.approx(2.5)
    backend.pipes.inject_read_timeouts(1)
    with pytest.raises(usb.core.USBTimeoutError):
        dev.read(0x82, 64, 100)
    assert dev.read(0x82, 64, 100).tobytes()[:10] == b"VP0000001\x00"
    assert dev.read(0x82, 64, 100).tobytes()[:10] == b"VP0000001\x00"


def test_unplugged_the_device_is_gone_and_comes_back_as_a_new_one(printer, clock):
    backend = VirtualBackend(printer, usblp=True)
    old = usb.core.find(backend=backend)
    old.detach_kernel_driver(0)
    assert old.write(0x01, b"\x1bRtp\r") == 5
    printer.disconnect(10)
    assert usb.core.find(backend=backend) is None
    with pytest.raises(usb.core.USBError) as gone:
        old.read(0x82, 64, 100)
    assert gone.value.errno == errno.ENODEV

    clock.advance(10)
    new = usb.core.find(backend=backend)
    assert new.address != old.address
    assert new.is_kernel_driver_active(0)  # usblp bound again
    with pytest.raises(usb.core.USBError) as gone:
        old.write(0x01, b"\x1bRtp\r")
    assert gone.value.errno == errno.ENODEV
    usb.util.dispose_resources(old)


def test_soft_reset_drops_unread_replies(printer):
    backend = VirtualBackend(printer)
    dev = usb.core.find(backend=backend)
    dev.write(0x01, b"\x1bRtp\r\x1bRsn")
    dev.ctrl_transfer(0x21, 2, 0, 0, None)
    assert backend.soft_resets == 1
    with pytest.raises(usb.core.USBTimeoutError):
        dev.read(0x82, 64, 10)
    dev.write(0x01, b"\r\x1bRfv\r")
    assert dev.read(0x82, 64, 10).tobytes()[:9] == b"VP-1.0.0\x00"
