"""A vendor-style CUPS backend (backend(7)) for the virtual printer: `cardsim://HOST:PORT`.

cupsd runs it for each job of a queue whose device URI is `cardsim://HOST:PORT`, the virtual
printer served on the network (`printstation virtual-printer`, or `serve_in_thread`). It does
what a card printer vendor's backend and status monitor do: reads the job's document (the
station's card pages, `ipp_document`), prints it in the printer's own language (the Evolis
driver) and reports to cupsd on stderr:

- `ATTR: marker-names/-types/-levels`: the ribbon and the film, in percent;
- `STATE: +<reason>-error` for a fault (`REASONS`), `STATE: -...` once it has cleared;
- `PAGE: 1 1` for a blank fed (printed, or spoiled by a jam or a broken ribbon);
- exit 0 when the card is printed, 1 (the queue's error policy, abort-job) when it is not.

A device URI with `?report=messages` reports faults as HID's status monitor is said to, as text
only (`ERROR: Ribbon out: replace the ribbon`, which cupsd sets as `printer-state-message`) with
no keyword: the station maps the text in `[printer.ipp] messages`.

Called with no arguments, it lists its device, as CUPS asks of every backend.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

from PIL import Image, ImageOps

from contract.clock import SystemClock
from contract.vocabulary import Consumable, PrinterFault, SpoilCause
from controller.devices.evolis import EvolisDriver
from controller.devices.evolis_outcome import BLOCKING
from controller.devices.factory import network_driver
from controller.devices.ipp_document import document_pages
from controller.devices.printer import Fault, Printed, PrinterStatus, Spoiled
from controller.render.card import CardImages
from controller.render.panels import encode_panels

# The reasons this backend reports, as HID's and Zebra's do: the standard keywords, and a
# vendor one for the film (the station maps it in `[printer.ipp] reasons`).
REASONS: dict[PrinterFault, str] = {
    PrinterFault.FEEDER_EMPTY: "media-empty",
    PrinterFault.COVER_OPEN: "door-open",
    PrinterFault.RIBBON_OUT: "marker-supply-empty",
    PrinterFault.FILM_OUT: "cardsim-film-empty",
    PrinterFault.JAM: "media-jam",
    PrinterFault.COOLING: "cardsim-cooling",
    PrinterFault.HEAD_TEMP: "cardsim-head-temp",
}
# The text each fault is said with when the backend reports faults as messages.
MESSAGES: dict[PrinterFault, str] = {
    PrinterFault.FEEDER_EMPTY: "Card hopper empty: load cards",
    PrinterFault.COVER_OPEN: "Printer cover open",
    PrinterFault.RIBBON_OUT: "Ribbon out: replace the ribbon",
    PrinterFault.FILM_OUT: "Film out: replace the film",
    PrinterFault.JAM: "Card jam: clear the card path",
    PrinterFault.COOLING: "Printer cooling",
    PrinterFault.HEAD_TEMP: "Printhead too hot",
}
SPOIL_FAULTS = {
    SpoilCause.JAM: PrinterFault.JAM,
    SpoilCause.RIBBON_BREAK: PrinterFault.RIBBON_OUT,
    SpoilCause.RIBBON_OUT: PrinterFault.RIBBON_OUT,
    SpoilCause.COVER_OPEN: PrinterFault.COVER_OPEN,
}
EXIT_OK, EXIT_FAILED = 0, 1
CARD_SIZE = (1016, 648)  # the station's rendering, 300 dpi


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def report_markers(status: PrinterStatus) -> None:
    levels = []
    for consumable in (Consumable.RIBBON, Consumable.FILM):
        level = status.consumables.get(consumable)
        levels.append(
            -1 if level is None or not level.capacity else 100 * level.remaining // level.capacity
        )
    say(
        "ATTR: marker-names=Ribbon,Film marker-types=ribbon-wax,other "
        f"marker-colors=none,none marker-levels={levels[0]},{levels[1]}"
    )


def card_images(document: bytes) -> CardImages:
    """The document's pages as the card the Evolis driver encodes (text black from the
    front's darkest pixels)."""
    pages = [page.convert("RGB").resize(CARD_SIZE) for page in document_pages(document)]
    front = pages[0]
    back = pages[1].convert("L") if len(pages) > 1 else Image.new("L", CARD_SIZE, 255)
    black = ImageOps.invert(front.convert("L")).point(lambda v: 255 if v > 200 else 0)
    return CardImages(front, black, back)


def report_fault(fault: PrinterFault, messages: bool, error: str) -> None:
    """The fault as a keyword (`STATE: +...-error`) and `error` said as an `ERROR:` line; or as
    text only, the fault's own message as the `ERROR:` line. cupsd sets `printer-state-message`
    (and the job's `job-printer-state-message`) from either line, but keeps an `INFO:` one only
    while the job runs, so a message the backend leaves with its exit is an `ERROR:` one."""
    if messages:
        say(f"ERROR: {MESSAGES[fault]}")
    else:
        say(f"STATE: +{REASONS[fault]}-error")
        say(f"ERROR: {error}")


def faults_of(status: PrinterStatus) -> list[PrinterFault]:
    return [BLOCKING[flag] for flag in sorted(status.flags) if flag in BLOCKING]


def print_document(driver: EvolisDriver, document: bytes, messages: bool = False) -> int:
    status = driver.status()
    report_markers(status)
    if faults := [fault for fault in faults_of(status) if fault in REASONS]:
        report_fault(faults[0], messages, f"printer reports {faults[0]}")
        return EXIT_FAILED
    say("STATE: -" + ",".join(f"{reason}-error" for reason in REASONS.values()))
    outcome = driver.print_card(encode_panels(card_images(document)))
    report_markers(driver.status())
    if isinstance(outcome, Printed):
        say("PAGE: 1 1")
        say(f"INFO: card printed, counter {outcome.card_counter}")
        return EXIT_OK
    error = f"card not printed: {outcome}"
    if isinstance(outcome, Spoiled):
        say("PAGE: 1 1")
        report_fault(SPOIL_FAULTS[outcome.cause], messages, error)
    elif isinstance(outcome, Fault) and outcome.kind in REASONS:
        report_fault(outcome.kind, messages, error)
    else:
        say("PAGE: 1 1")  # the outcome is unknown: a blank may have been used
        say(f"ERROR: {error}")
    return EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    args = sys.argv if argv is None else argv
    if len(args) == 1:
        print('direct cardsim "Card Simulator" "virtual card printer (retransfer)"')
        return EXIT_OK
    uri = urlsplit(os.environ.get("DEVICE_URI", ""))
    path = args[6] if len(args) > 6 else None
    with open(path, "rb") if path else sys.stdin.buffer as source:
        document = source.read()
    driver = network_driver(
        uri.hostname or "127.0.0.1", uri.port or 9100, clock=SystemClock(), virtual_extensions=True
    )
    try:
        return print_document(driver, document, messages="report=messages" in uri.query)
    finally:
        driver.close()


if __name__ == "__main__":
    sys.exit(main())
