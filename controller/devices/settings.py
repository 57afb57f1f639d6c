"""The `[printer]` section: which driver reaches the printer, and the virtual printer's own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from contract.vocabulary import BlockedJob, FaultKind, FaultStage
from controller.field_checks import OneOf, Range, RuleProblem, Rules, checked, positive
from controller.policy.retry import MAX_ATTEMPTS
from controller.said import said
from firmware.faults import STAGE_KINDS

from .evolis_settings import EvolisSettings
from .ipp_settings import IppSettings


class Driver(StrEnum):
    USB = "usb"
    NETWORK = "network"  # the printer at socket://host:port
    VIRTUAL = "virtual"  # the built-in virtual printer
    IPP = "ipp"  # a CUPS queue, on the Pi or a print server (`[printer.ipp]`)


@dataclass(frozen=True)
class VirtualFault:
    """A fault the virtual printer plays at a card (firmware/faults.py)."""

    at_card: int = checked(Range(1))
    kind: str = checked(OneOf(tuple(FaultKind)))
    seconds: float = checked(Range(0), default=0.0)
    stage: str = checked(OneOf(("", *FaultStage)), default="")  # "": the kind's default

    def _kind_at_its_stage(self) -> Iterator[RuleProblem]:
        if self.stage and self.kind not in STAGE_KINDS[FaultStage(self.stage)]:
            yield (
                "stage",
                said(
                    "a %(kind)s fault cannot strike at stage %(stage)s",
                    kind=self.kind,
                    stage=self.stage,
                ),
            )

    RULES: ClassVar[Rules] = (_kind_at_its_stage,)


@dataclass(frozen=True)
class VirtualPrinterSettings:
    """`[printer.virtual]`: what the virtual printer holds on a first start, and how it prints."""

    seconds_per_card: float = checked(Range(0), default=20.0)
    cards: int = checked(Range(0), default=100)
    ribbon: int = checked(Range(0), default=250)
    film: int = checked(Range(0), default=500)
    faults: tuple[VirtualFault, ...] = ()
    blocked_job: str = checked(OneOf(tuple(BlockedJob)), default=BlockedJob.DROP)
    save_cards: bool = False
    keep_cards_hours: float = checked(Range(0, 24 * 90), default=24.0)  # then deleted


@dataclass(frozen=True)
class PrinterSettings:
    driver: str = checked(OneOf(tuple(Driver)), default=Driver.USB)
    vendor_id: int = checked(Range(0, 0xFFFF), default=0)
    product_id: int = checked(Range(0, 0xFFFF), default=0)
    max_attempts: int = checked(Range(1, 10), default=MAX_ATTEMPTS)
    card_timeout_s: float = checked(positive, default=EvolisSettings.card_timeout_s)
    command_timeout_s: float = checked(Range(0.5, 120), default=EvolisSettings.command_timeout_s)
    # driver = "network": the printer at socket://host:port
    host: str = ""
    port: int = checked(Range(1, 65535), default=9100)
    # driver = "network" and the peer is `printstation virtual-printer`: tell it reloads
    virtual_extensions: bool = False
    virtual: VirtualPrinterSettings = field(default_factory=VirtualPrinterSettings)
    ipp: IppSettings = field(default_factory=IppSettings)

    def _network_needs_a_host(self) -> Iterator[RuleProblem]:
        if self.driver == Driver.NETWORK and not self.host:
            yield "host", said('must name the printer with driver = "network"')

    def _extensions_only_over_the_network(self) -> Iterator[RuleProblem]:
        if self.virtual_extensions and self.driver != Driver.NETWORK:
            yield "virtual_extensions", said('applies only with driver = "network"')

    def _ipp_needs_a_queue(self) -> Iterator[RuleProblem]:
        if self.driver == Driver.IPP and not self.ipp.queue:
            yield "ipp.queue", said('must name the CUPS queue with driver = "ipp"')

    RULES: ClassVar[Rules] = (
        _network_needs_a_host,
        _extensions_only_over_the_network,
        _ipp_needs_a_queue,
    )
