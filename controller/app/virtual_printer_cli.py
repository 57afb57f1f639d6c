"""`printstation virtual-printer`: the virtual printer served on the network.

The training set-up for an office without a spare printer, and a peer for Evolis' own tools
(`socket://HOST:PORT`). Its state (card counter, consumables, `cards.jsonl`, pictures with
`--save-cards`) lives in `--state-dir`/virtual-printer/, as in the station's own virtual printer.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import structlog

from contract.clock import SystemClock
from contract.vocabulary import BlockedJob, LogLevel
from controller.app.language import _
from controller.devices.factory import virtual_printer
from controller.devices.settings import VirtualPrinterSettings
from firmware.models import MODELS
from firmware.net_server import PrinterServer
from logsetup import configure_logging

log = structlog.get_logger(__name__)


def listen_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` for argparse."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(_("expected HOST:PORT, got %(text)r") % {"text": text})
    return host, int(port)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--listen",
        type=listen_address,
        required=True,
        metavar="HOST:PORT",
        help=_("where to listen"),
    )
    parser.add_argument(
        "--state-dir", type=Path, required=True, help=_("where its counter and cards are kept")
    )
    parser.add_argument(
        "--model", choices=sorted(MODELS), default="primacy", help=_("the printer it plays")
    )
    defaults = VirtualPrinterSettings  # as the station's own virtual printer
    parser.add_argument(
        "--seconds-per-card",
        type=float,
        default=defaults.seconds_per_card,
        help=_("how long a card takes"),
    )
    first = _("loaded on a first start")
    parser.add_argument("--cards", type=int, default=defaults.cards, help=first)
    parser.add_argument("--ribbon", type=int, default=defaults.ribbon, help=first)
    parser.add_argument("--film", type=int, default=defaults.film, help=first)
    parser.add_argument("--save-cards", action="store_true", help=_("save a picture of each card"))
    parser.add_argument(
        "--blocked-job",
        choices=tuple(BlockedJob),
        default=defaults.blocked_job,
        help=_("drop or keep a job the printer cannot start"),
    )


def run(args: argparse.Namespace) -> int:
    configure_logging(LogLevel.INFO, "console")
    printer = virtual_printer(
        args.state_dir,
        clock=SystemClock(),
        seconds_per_card=args.seconds_per_card,
        cards=args.cards,
        ribbon=args.ribbon,
        film=args.film,
        save_cards=args.save_cards,
        info=MODELS[args.model],
        blocked_job=BlockedJob(args.blocked_job),
    )
    host, port = args.listen
    with PrinterServer(printer, host, port) as server:
        log.info("virtual_printer.listening", host=host, port=server.port, model=args.model)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            log.info("virtual_printer.stopped")
    return 0
