"""Building a station from its config: the one assembly the daemon, the tests and the
benchmarks share (they may hand in their own printer driver or store)."""

from __future__ import annotations

from contract.clock import Clock
from contract.vocabulary import Consumable
from controller.app.config import Config
from controller.core.loop import Station
from controller.core.scheduler import Scheduler
from controller.devices.factory import network_driver, usb_driver, virtual_driver, virtual_printer
from controller.devices.printer import PrinterDriver
from controller.queue.store import Store
from firmware.virtual_printer import VirtualPrinter

VIRTUAL = "virtual"  # [printer] driver: the built-in virtual printer
NETWORK = "network"  # [printer] driver: a printer at socket://host:port


def open_store(config: Config, clock: Clock) -> Store:
    """The station's database; a new virtual station starts with what its printer holds."""
    consumables = config.consumables
    virtual = config.printer.virtual
    initial = (
        {Consumable.CARDS: virtual.cards, Consumable.RIBBON: virtual.ribbon}
        | {Consumable.FILM: virtual.film}
        if config.printer.driver == VIRTUAL
        else {}
    )
    return Store.open(
        config.db_path,
        config.station.id,
        clock,
        low_thresholds={
            Consumable.CARDS: consumables.low_cards,
            Consumable.RIBBON: consumables.low_ribbon,
            Consumable.FILM: consumables.low_film,
        },
        initial_load=initial,
        max_attempts=config.printer.max_attempts,
        timezone=config.duty.timezone,
    )


def configured_virtual_printer(config: Config, clock: Clock) -> VirtualPrinter:
    virtual = config.printer.virtual
    return virtual_printer(
        config.state_dir,
        clock=clock,
        seconds_per_card=virtual.seconds_per_card,
        cards=virtual.cards,
        ribbon=virtual.ribbon,
        film=virtual.film,
        faults=virtual.faults,
        save_cards=virtual.save_cards,
        keep_cards_hours=virtual.keep_cards_hours,
    )


def build_driver(config: Config, clock: Clock) -> PrinterDriver:
    printer = config.printer
    if printer.driver == NETWORK:
        return network_driver(
            printer.host,
            printer.port,
            clock=clock,
            card_timeout_s=printer.card_timeout_s,
            command_timeout_s=printer.command_timeout_s,
            virtual_extensions=printer.virtual_extensions,
        )
    if printer.driver != VIRTUAL:
        return usb_driver(
            clock=clock,
            vendor_id=printer.vendor_id,
            product_id=printer.product_id,
            card_timeout_s=printer.card_timeout_s,
            command_timeout_s=printer.command_timeout_s,
        )
    machine = configured_virtual_printer(config, clock)
    return virtual_driver(machine, card_timeout_s=printer.card_timeout_s)


def build_station(
    config: Config,
    clock: Clock,
    *,
    store: Store | None = None,
    driver: PrinterDriver | None = None,
    poll_interval_s: float = 2.0,
    max_wait_s: float = 1.0,
) -> Station:
    """The core loop of `config`'s station, not yet running (`run` or `run_in_thread`)."""
    store = store or open_store(config, clock)
    return Station(
        store,
        driver or build_driver(config, clock),
        clock,
        Scheduler(store, config.duty.policy(), config.consumables.reserve_cards),
        station_id=config.station.id,
        daily_limit=config.duty.daily_limit,
        card_timeout_s=config.printer.card_timeout_s,
        poll_interval_s=poll_interval_s,
        max_wait_s=max_wait_s,
        retention_h=config.retention.ended_job_hours,
    )
