"""Building a printer driver from the station's printer settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from contract.clock import Clock
from contract.vocabulary import BlockedJob
from firmware.faults import FaultLike, FaultSpec
from firmware.models import PrinterInfo
from firmware.usb_backend import VirtualBackend
from firmware.virtual_printer import VirtualPrinter, pictures_directory

from .evolis import EvolisDriver, EvolisSettings
from .net_transport import NetworkSettings, NetworkTransport
from .printer import PrinterDriver
from .settings import Driver, PrinterSettings, VirtualPrinterSettings
from .usb_finder import UsbTarget
from .usb_transport import TransportSettings, UsbTransport


def usb_driver(
    *,
    clock: Clock,
    vendor_id: int | None = None,
    product_id: int | None = None,
    card_timeout_s: float = EvolisSettings.card_timeout_s,
    command_timeout_s: float = EvolisSettings.command_timeout_s,
    settings: TransportSettings | None = None,
) -> EvolisDriver:
    """The driver for a real Evolis printer on USB (ids of 0 or None: match by 1284 id)."""
    target = UsbTarget(vendor_id=vendor_id or None, product_id=product_id or None)
    transport = UsbTransport(target=target, clock=clock, settings=settings)
    options = EvolisSettings(card_timeout_s=card_timeout_s, command_timeout_s=command_timeout_s)
    return EvolisDriver(transport, options)


def network_driver(
    host: str,
    port: int,
    *,
    clock: Clock,
    card_timeout_s: float = EvolisSettings.card_timeout_s,
    command_timeout_s: float = EvolisSettings.command_timeout_s,
    virtual_extensions: bool = False,
    settings: NetworkSettings | None = None,
) -> EvolisDriver:
    """The driver for an Evolis printer on the network (`socket://host:port`); with
    `virtual_extensions`, the peer is the virtual printer served on the network."""
    transport = NetworkTransport(host, port, clock=clock, settings=settings)
    options = EvolisSettings(
        card_timeout_s=card_timeout_s,
        command_timeout_s=command_timeout_s,
        virtual_extensions=virtual_extensions,
    )
    return EvolisDriver(transport, options)


def virtual_printer(
    state_dir: Path | str,
    *,
    clock: Clock,
    seconds_per_card: float,
    cards: int,
    ribbon: int,
    film: int,
    faults: Iterable[FaultSpec | FaultLike | Mapping[str, Any]] = (),
    save_cards: bool = False,
    info: PrinterInfo | None = None,
    keep_cards_hours: float = VirtualPrinterSettings.keep_cards_hours,
    extensions: bool = True,
    blocked_job: BlockedJob = BlockedJob.DROP,
) -> VirtualPrinter:
    """The virtual printer keeping its state in `{state_dir}/virtual-printer/`; with
    `save_cards`, card pictures go to `{state_dir}/virtual-printer/cards/` and are deleted
    `keep_cards_hours` later; without `extensions` it answers as an Evolis printer does, with
    no count of its blanks or film; `blocked_job` says whether it keeps a job it cannot start."""
    return VirtualPrinter(
        state_dir,
        clock=clock,
        seconds_per_card=seconds_per_card,
        cards=cards,
        ribbon=ribbon,
        film=film,
        faults=faults,
        save_cards=pictures_directory(state_dir) if save_cards else None,
        info=info,
        keep_cards_s=keep_cards_hours * 3600.0,
        extensions=extensions,
        blocked_job=blocked_job,
    )


def virtual_driver(
    printer: VirtualPrinter,
    *,
    card_timeout_s: float = EvolisSettings.card_timeout_s,
    settings: TransportSettings | None = None,
    **backend_options: Any,
) -> EvolisDriver:
    """The Evolis driver talking to `printer` through pyusb and a `VirtualBackend`."""
    backend = VirtualBackend(printer, **backend_options)
    transport = UsbTransport(backend=backend, clock=printer.clock, settings=settings)
    options = EvolisSettings(card_timeout_s=card_timeout_s, virtual_extensions=printer.extensions)
    return EvolisDriver(transport, options)


def _configured_virtual_printer(
    settings: VirtualPrinterSettings, state_dir: Path | str, clock: Clock
) -> VirtualPrinter:
    """The virtual printer of `[printer.virtual]`."""
    return virtual_printer(
        state_dir,
        clock=clock,
        seconds_per_card=settings.seconds_per_card,
        cards=settings.cards,
        ribbon=settings.ribbon,
        film=settings.film,
        faults=settings.faults,
        blocked_job=BlockedJob(settings.blocked_job),
        save_cards=settings.save_cards,
        keep_cards_hours=settings.keep_cards_hours,
    )


def configured_driver(
    settings: PrinterSettings, state_dir: Path | str, clock: Clock
) -> PrinterDriver:
    """The driver `[printer]` names; the virtual printer keeps its state in `state_dir`."""
    if settings.driver == Driver.IPP:
        # pycups and libcups (about 5 MB resident) only in a station that prints through CUPS
        from .ipp import IppDriver

        return IppDriver(settings.ipp, clock)
    if settings.driver == Driver.NETWORK:
        return network_driver(
            settings.host,
            settings.port,
            clock=clock,
            card_timeout_s=settings.card_timeout_s,
            command_timeout_s=settings.command_timeout_s,
            virtual_extensions=settings.virtual_extensions,
        )
    if settings.driver != Driver.VIRTUAL:
        return usb_driver(
            clock=clock,
            vendor_id=settings.vendor_id,
            product_id=settings.product_id,
            card_timeout_s=settings.card_timeout_s,
            command_timeout_s=settings.command_timeout_s,
        )
    machine = _configured_virtual_printer(settings.virtual, state_dir, clock)
    return virtual_driver(machine, card_timeout_s=settings.card_timeout_s)
