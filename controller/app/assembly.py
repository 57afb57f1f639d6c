"""Building a station from its config: the one assembly the daemon, the tests and the
benchmarks share (they may hand in their own printer driver or store)."""

from __future__ import annotations

from contract.clock import Clock
from contract.vocabulary import Consumable
from controller.app.config import Config
from controller.core.loop import MAX_WAIT_S, POLL_INTERVAL_S, Station
from controller.core.scheduler import Scheduler
from controller.devices.factory import configured_driver
from controller.devices.printer import PrinterDriver
from controller.devices.settings import Driver
from controller.queue.store import Store


def open_store(config: Config, clock: Clock) -> Store:
    """The station's database; a new virtual station starts with what its printer holds."""
    virtual = config.printer.virtual
    initial = (
        {Consumable.CARDS: virtual.cards, Consumable.RIBBON: virtual.ribbon}
        | {Consumable.FILM: virtual.film}
        if config.printer.driver == Driver.VIRTUAL
        else {}
    )
    return Store.open(
        config.db_path,
        config.station.id,
        clock,
        low_thresholds=config.consumables.low_thresholds,
        initial_load=initial,
        max_attempts=config.printer.max_attempts,
        timezone=config.duty.timezone,
        limits=config.queue,
    )


def build_station(
    config: Config,
    clock: Clock,
    *,
    store: Store | None = None,
    driver: PrinterDriver | None = None,
    poll_interval_s: float = POLL_INTERVAL_S,
    max_wait_s: float = MAX_WAIT_S,
) -> Station:
    """The core loop of `config`'s station, not yet running (`run` or `run_in_thread`)."""
    store = store or open_store(config, clock)
    return Station(
        store,
        driver or configured_driver(config.printer, config.state_dir, clock),
        clock,
        Scheduler(store, config.duty, config.consumables.reserve_cards),
        station_id=config.station.id,
        daily_limit=config.duty.daily_limit,
        card_timeout_s=config.printer.card_timeout_s,
        poll_interval_s=poll_interval_s,
        max_wait_s=max_wait_s,
        retention_h=config.retention.ended_job_hours,
    )
