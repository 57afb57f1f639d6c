"""A card printer behind a real cupsd: the virtual printer served on loopback TCP and a private
cupsd (`cups.CupsServer`) whose raw queue `card` prints on it through the `cardsim` backend.
Used by tests/ipp and by the kill run's IPP variant."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cups as pycups

from contract.clock import SystemClock
from evolis_wire.frames import decode_reply
from evolis_wire.models import PrintMethod
from firmware.head import HeadModel
from firmware.models import PrinterInfo
from firmware.net_server import PrinterServer, serve_in_thread
from firmware.virtual_printer import VirtualPrinter

from .cups import CupsServer

QUEUE = "card"
# A retransfer printer (ribbon and film, two faces), as an HDP5000 is: the virtual printer plays
# one behind the backend, as a vendor's status monitor reports one to CUPS.
RETRANSFER = PrinterInfo(model="Retransfer", method=PrintMethod.RETRANSFER)
CUPS_JOB_ATTRIBUTES = ["job-id", "job-state", "job-impressions-completed"]


@dataclass
class CupsRig:
    """The virtual printer, its network server and the cupsd whose queue `card` reaches it."""

    printer: VirtualPrinter
    server: PrinterServer
    cups: CupsServer

    def cards(self) -> list[dict[str, Any]]:
        path = self.printer.directory / "cards.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def jobs(self) -> dict[int, dict[str, Any]]:
        """Every job the cupsd holds (PreserveJobHistory), by number: state and pages."""
        pycups.setServer("127.0.0.1")
        pycups.setPort(self.cups.port)
        return dict(
            pycups.Connection().getJobs(which_jobs="all", requested_attributes=CUPS_JOB_ATTRIBUTES)
        )

    def queue_state(self) -> tuple[list[str], str]:
        """The queue's `printer-state-reasons` and `printer-state-message`."""
        pycups.setServer("127.0.0.1")
        pycups.setPort(self.cups.port)
        printer = pycups.Connection().getPrinterAttributes(
            QUEUE, requested_attributes=["printer-state-reasons", "printer-state-message"]
        )
        reasons = printer["printer-state-reasons"]
        return [reasons] if isinstance(reasons, str) else reasons, printer["printer-state-message"]

    def load(self, consumable: str, count: int, capacity: int) -> None:
        """A person loads the printer by hand (its own reload command, `Xrl`)."""
        reply = decode_reply(
            self.printer.exchange(f"\x1bXrl;{consumable};{count};{capacity}\r".encode())
        )
        if reply.text != "OK":
            raise AssertionError(f"the printer refused the load of {consumable}: {reply.text}")

    def stop(self) -> None:
        self.cups.stop()
        self.server.shutdown()
        self.server.server_close()


def start_rig(
    root: Path,
    *,
    cards: int = 50,
    ribbon: int = 200,
    film: int = 400,
    faults: tuple[dict[str, Any], ...] = (),
    seconds_per_card: float = 0.0,
    head: HeadModel | None = None,
    messages: bool = False,
) -> CupsRig:
    """The printer keeps its state in `root/printer/virtual-printer`, cupsd in `root/cups`;
    `messages`: the backend reports faults as text only, as HID's status monitor is said to."""
    printer = VirtualPrinter(
        root / "printer",
        clock=SystemClock(),
        seconds_per_card=seconds_per_card,
        cards=cards,
        ribbon=ribbon,
        film=film,
        faults=faults,
        info=RETRANSFER,
        head=head,
    )
    server = serve_in_thread(printer)
    rig = CupsRig(printer, server, CupsServer(root / "cups"))
    rig.cups.start()
    rig.cups.add_card_queue(QUEUE, server.port, messages)
    return rig
