"""`make demo PRINTER=ipp`: the demo's printer behind a real CUPS queue.

The virtual printer (saving each card as PNG in the demo's state directory) is served on
loopback TCP; a private cupsd (testkit.cups, under demo-out/cups, on a free port) has a queue
`card` whose `cardsim` backend prints on it. The station runs with `driver = "ipp"` and, as
for any real printer, starts with nothing on its books: the demo records a load of blanks,
ribbon and film with `printstation reload`. cupsd runs the backend as root: run it as root.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from contract.clock import SystemClock
from contract.vocabulary import CommandName, Consumable
from controller.devices.factory import virtual_printer
from firmware.net_server import PrinterServer, serve_in_thread
from testkit.cups import CupsServer

QUEUE = "card"
LOAD = {Consumable.CARDS: 100, Consumable.RIBBON: 250, Consumable.FILM: 500}


class CupsPrinter:
    """The virtual printer and the cupsd whose queue `card` reaches it."""

    def __init__(self, out: Path) -> None:
        printer = virtual_printer(
            out / "state",
            clock=SystemClock(),
            seconds_per_card=1.5,
            save_cards=True,
            cards=LOAD[Consumable.CARDS],
            ribbon=LOAD[Consumable.RIBBON],
            film=LOAD[Consumable.FILM],
        )
        self.server: PrinterServer = serve_in_thread(printer)
        self.cups = CupsServer(out / "cups")

    def start(self) -> None:
        self.cups.start()
        self.cups.add_card_queue(QUEUE, self.server.port)

    def config(self) -> str:
        """The `[printer]` section of the station's config."""
        return (
            f'[printer]\ndriver = "ipp"\n[printer.ipp]\nserver = "127.0.0.1"\n'
            f'port = {self.cups.port}\nqueue = "{QUEUE}"\n'
            f'reasons = [{{ keyword = "cardsim-film-empty", fault = "film_out" }}]\n'
        )

    def stop(self) -> None:
        self.cups.stop()
        self.server.shutdown()
        self.server.server_close()


def record_load(config: Path) -> None:
    """What a person does at a new printer: `printstation reload` of each consumable."""
    for consumable, count in LOAD.items():
        command = [sys.executable, "-m", "controller", "--config", str(config)]
        amount = [str(count), "--capacity", str(count)]
        subprocess.run(
            [*command, CommandName.RELOAD, consumable, *amount],
            check=True,
            stdout=subprocess.DEVNULL,
        )
