"""The virtual printer as a real USB device: a Linux USB gadget on a device controller (UDC).

    python -m firmware.usb_gadget --state-dir DIR [--udc NAME] [options]

It makes a configfs gadget with the kernel's printer function (`usb_f_printer`): a printer-class
interface (class 7, subclass 1, protocol 2: bidirectional) with Evolis' vendor id, a product id
and an IEEE 1284 device id, binds it to the UDC, and then moves bytes between the gadget node
(`/dev/g_printerN`) and `VirtualPrinter`'s byte interface (`feed`, one reply frame per
read, `port_status`, `link_reset`), as `usb_backend.py` does for pyusb. It is only a
transport: the command language is the virtual printer's.

The same program runs on `dummy_hcd` in the rig (tools/rig/) and on a Raspberry Pi in device mode
(`dwc2`): docs/bench-printer.md. The kernel answers GET_DEVICE_ID (from `pnp_string`),
GET_PORT_STATUS (from the status byte this program sets) and SOFT_RESET (it flushes its queues).

Unplugging is the UDC's business (`unplug`/`plug` below, or a real cable): the node reports
POLLHUP and goes away; this program drops the partial command and unread replies, as a printer
does when its USB link resets, and reopens the node when the host configures the device again.
It notices at its next poll (within 200 ms, or once the card it is taking is done): a cable put
back sooner leaves it serving a stale session (docs/usb-rig.md).
Test knobs, each toggled by a signal so that one running gadget can play every case: SIGUSR1
stops answering (the device stays on the bus and keeps taking bytes), SIGUSR2 answers
`--reply-delay` seconds late (`--slow` starts so).
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import os
import platform
import select
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import structlog

from contract.clock import SystemClock
from firmware.faults import FaultSpec
from firmware.models import EVOLIS_VENDOR_ID
from firmware.virtual_printer import VirtualPrinter, pictures_directory
from logsetup import configure_logging

log = structlog.get_logger(__name__)

CONFIGFS = Path("/sys/kernel/config/usb_gadget")
UDC_CLASS = Path("/sys/class/udc")
PRIMACY_PRODUCT_ID = 0x0B00  # Evolis Primacy
GADGET_SET_PRINTER_STATUS = 0xC0016722  # _IOWR('g', 0x22, unsigned char), linux/usb/g_printer.h
# The node's answers once the cable is out: ENXIO from open(2) while the function is being
# unbound (CI saw it end the program with status 1 after an unplug), the rest from the function.
GONE = (errno.ENODEV, errno.ENXIO, errno.ESHUTDOWN, errno.ENOENT, errno.EIO)
READ_BYTES = 16 * 1024


def device_id(model: str) -> str:
    """The IEEE 1284 device id the printer reports (GET_DEVICE_ID)."""
    return f"MFG:Evolis;CMD:EVOLIS;MDL:{model};CLS:PRINTER;DES:Evolis {model} (virtual);"


def pnp_padding() -> int:
    """Bytes to add to `pnp_string`: Linux 6.1's f_printer counts the 2-byte length prefix in
    the string's length and so cuts the last 2 characters off (fixed in later kernels)."""
    major, minor = (int(part) for part in platform.release().split(".")[:2])
    return 2 if (major, minor) <= (6, 1) else 0


@dataclass(frozen=True)
class GadgetSpec:
    """What the host sees when it enumerates the printer."""

    name: str = "printstation"
    vendor_id: int = EVOLIS_VENDOR_ID
    product_id: int = PRIMACY_PRODUCT_ID
    manufacturer: str = "Evolis"
    product: str = "Primacy"
    serial: str = "VP0000001"
    device_id: str = device_id("Primacy")


class PrinterGadget:
    """The configfs gadget: made in the order the kernel needs, bound to and unbound from a UDC."""

    def __init__(self, spec: GadgetSpec, root: Path = CONFIGFS) -> None:
        self.spec = spec
        self.path = root / spec.name

    def create(self) -> None:
        g, s = self.path, self.spec
        if g.exists():
            self.remove()
        g.mkdir()
        _put(g / "idVendor", f"{s.vendor_id:#06x}")
        _put(g / "idProduct", f"{s.product_id:#06x}")
        _put(g / "bcdUSB", "0x0200")
        _put(g / "bcdDevice", "0x0100")
        strings = g / "strings" / "0x409"
        strings.mkdir(parents=True)
        for key, value in (
            ("manufacturer", s.manufacturer),
            ("product", s.product),
            ("serialnumber", s.serial),
        ):
            _put(strings / key, value)
        config = g / "configs" / "c.1"
        (config / "strings" / "0x409").mkdir(parents=True)
        _put(config / "strings" / "0x409" / "configuration", "printer")
        _put(config / "bmAttributes", "0xc0")
        _put(config / "MaxPower", "2")
        function = g / "functions" / "printer.0"
        function.mkdir(parents=True)
        _put(function / "pnp_string", s.device_id + "#" * pnp_padding())
        _put(function / "q_len", "10")  # before the function is linked into the configuration
        (config / "printer.0").symlink_to(function)
        log.info("gadget.created", path=str(g), device_id=s.device_id)

    def plug(self, udc: str) -> None:
        """Bind to the UDC: the host sees the printer arrive."""
        _put(self.path / "UDC", udc)
        log.info("gadget.plugged", udc=udc)

    def unplug(self) -> None:
        """Unbind from the UDC: the host sees the printer leave, as if the cable were pulled."""
        if (self.path / "UDC").read_text().strip():
            _put(self.path / "UDC", "\n")
            log.info("gadget.unplugged")

    def remove(self) -> None:
        """Take the gadget apart again (the reverse order of `create`)."""
        g = self.path
        self.unplug()
        config = g / "configs" / "c.1"
        for link in config.glob("*.*"):
            if link.is_symlink():
                link.unlink()
        for directory in (config / "strings" / "0x409", config, g / "strings" / "0x409"):
            directory.rmdir()
        for function in (g / "functions").iterdir():
            function.rmdir()
        g.rmdir()
        log.info("gadget.removed", path=str(g))

    def node(self) -> Path:
        """The character device of the printer function: the kernel numbers them from 0 in the
        order they are made, and this gadget has the only one."""
        return Path("/dev/g_printer0")


def first_udc() -> str:
    """The first USB device controller (dummy_udc.0 in the rig, a dwc2 name on a Pi)."""
    names = sorted(os.listdir(UDC_CLASS))
    if not names:
        raise SystemExit("no USB device controller in /sys/class/udc (dwc2 or dummy_hcd loaded?)")
    return names[0]


class GadgetServer:
    """Serves the virtual printer on the gadget node: moves bytes between the two.

    A session lasts from the host configuring the device to the node reporting POLLHUP (the
    link went); a printer drops its unread replies then. Replies are written without blocking,
    so a host that stops reading cannot hold the program up."""

    def __init__(self, printer: VirtualPrinter, node: Path, reply_delay_s: float = 0.0) -> None:
        self.printer = printer
        self.node = node
        self.reply_delay_s = reply_delay_s
        self.mute = False
        self.slow = False
        self.stopping = False
        self._frames: deque[tuple[float, bytes]] = deque()  # replies, and when each was ready
        self._outgoing = b""  # the rest of the reply being written

    def _feed(self, data: bytes) -> None:
        now = self.printer.clock.monotonic()
        self._frames.extend((now, frame) for frame in self.printer.feed(data))

    def _ready_at(self) -> float | None:
        return self._frames[0][0] if self._frames else None

    def serve(self) -> None:
        while not self.stopping:
            fd = self._open()
            if fd is None:
                continue
            try:
                reason = self._session(fd)
            finally:
                os.close(fd)
            self._frames.clear()  # unread replies are gone with the link, as on a printer
            self._outgoing = b""
            self.printer.host_gone()
            log.info("gadget.link_lost", reason=reason)

    def _open(self) -> int | None:
        """The node, once the host has configured the device; None after a short wait if not."""
        try:
            fd = os.open(self.node, os.O_RDWR | os.O_NONBLOCK)
        except OSError as error:
            if error.errno not in (*GONE, errno.EBUSY):
                raise
            time.sleep(0.05)
            return None
        log.info("gadget.host_connected", node=str(self.node))
        return fd

    def _session(self, fd: int) -> str:
        """Serve the host until the link goes; why it went."""
        poller = select.poll()
        status = -1
        while not self.stopping:
            if self.printer.port_status() != status:
                status = self.printer.port_status()
                if not self._set_port_status(fd, status):
                    return "the node is gone"
            poller.register(fd, select.POLLIN | (select.POLLOUT if self._outgoing else 0))
            for _, events in poller.poll(self._wait_ms()):
                if events & (select.POLLHUP | select.POLLERR):
                    return "the node hung up"
                if events & select.POLLIN and not self._take(fd):
                    return "the node is gone"
            if not self._answer(fd):
                return "the node is gone"
        return "stopping"

    def _set_port_status(self, fd: int, status: int) -> bool:
        """Show the host the printer's port status; False if the link went meanwhile (the
        function answers ENODEV once the UDC is unbound, before the node reports POLLHUP)."""
        try:
            fcntl.ioctl(fd, GADGET_SET_PRINTER_STATUS, status)
        except OSError as error:
            if error.errno in GONE:
                return False
            raise
        return True

    def _wait_ms(self) -> int:
        ready = self._ready_at()
        if ready is None or self.mute or self._outgoing:
            return 200
        delay = ready + self._delay() - self.printer.clock.monotonic()
        return max(0, min(200, int(delay * 1000) + 1))

    def _delay(self) -> float:
        return self.reply_delay_s if self.slow else 0.0

    def _take(self, fd: int) -> bool:
        try:
            data = os.read(fd, READ_BYTES)
        except BlockingIOError:
            return True
        except OSError as error:
            if error.errno in GONE:
                return False
            raise
        if not self.mute:
            self._feed(data)
        return True

    def _answer(self, fd: int) -> bool:
        """Write what the node takes of the next reply frame (one frame per host read, as the
        driver expects); the rest waits for POLLOUT."""
        if not self._outgoing:
            ready = self._ready_at()
            now = self.printer.clock.monotonic()
            if self.mute or ready is None or now < ready + self._delay():
                return True
            self._outgoing = self._frames.popleft()[1]
        try:
            self._outgoing = self._outgoing[os.write(fd, self._outgoing) :]
        except BlockingIOError:
            pass
        except OSError as error:
            if error.errno in GONE:
                return False
            raise
        return True


def _put(path: Path, value: str) -> None:
    path.write_text(value)


def _fault(text: str) -> FaultSpec:
    at_card, kind, *seconds = text.split(":")
    return FaultSpec(int(at_card), kind, float(seconds[0]) if seconds else 0.0)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m firmware.usb_gadget", description=__doc__)
    parser.add_argument("--state-dir", required=True, type=Path, help="the printer's state")
    parser.add_argument("--udc", help="device controller (default: the first one)")
    parser.add_argument("--product-id", type=lambda t: int(t, 0), default=PRIMACY_PRODUCT_ID)
    parser.add_argument("--model", default="Primacy")
    parser.add_argument("--serial", default="VP0000001")
    parser.add_argument("--seconds-per-card", type=float, default=0.0)
    parser.add_argument("--cards", type=int, default=100)
    parser.add_argument("--ribbon", type=int, default=250)
    parser.add_argument("--film", type=int, default=500)
    parser.add_argument("--save-cards", action="store_true", help="save each card as PNG")
    parser.add_argument(
        "--fault", type=_fault, action="append", default=[], help="AT_CARD:KIND[:SECONDS]"
    )
    parser.add_argument("--reply-delay", type=float, default=2.0, help="SIGUSR2's lateness, s")
    parser.add_argument("--slow", action="store_true", help="start answering late")
    parser.add_argument("--ready-file", type=Path, help="touched once the gadget is bound")
    parser.add_argument("--log-level", default="info")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.log_level)
    printer = VirtualPrinter(
        args.state_dir,
        clock=SystemClock(),
        seconds_per_card=args.seconds_per_card,
        cards=args.cards,
        ribbon=args.ribbon,
        film=args.film,
        faults=args.fault,
        save_cards=pictures_directory(args.state_dir) if args.save_cards else None,
    )
    spec = GadgetSpec(
        product_id=args.product_id,
        product=args.model,
        serial=args.serial,
        device_id=device_id(args.model),
    )
    udc = args.udc or first_udc()  # before create(): without a UDC nothing is left behind
    gadget = PrinterGadget(spec)
    gadget.create()
    server = GadgetServer(printer, gadget.node(), args.reply_delay)
    server.slow = args.slow

    def stop(*_: object) -> None:
        server.stopping = True

    def toggle_mute(*_: object) -> None:
        server.mute = not server.mute
        log.info("gadget.mute", mute=server.mute)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def toggle_slow(*_: object) -> None:
        server.slow = not server.slow
        log.info("gadget.slow", slow=server.slow, delay_s=server.reply_delay_s)

    signal.signal(signal.SIGUSR1, toggle_mute)
    signal.signal(signal.SIGUSR2, toggle_slow)
    try:
        gadget.plug(udc)
        if args.ready_file:
            args.ready_file.touch()
        server.serve()
    finally:
        gadget.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
