"""The replica's own Prometheus metrics (the fleet's, read from the database at each scrape,
are in central.fleet), named and shaped per Prometheus' naming and instrumentation guides: one
application prefix (`printstation_`), base units, `_total` counters, times as Unix timestamps
(`_timestamp_seconds`, not "seconds since"), every label value a series from the start (zero,
not absent), and `printstation_central_info` carrying the version.

Counters count what this replica did; the office's totals are `sum` over replicas."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter, Gauge, Info

from central import __version__
from central.failures import GatewayFailure
from central.gaps import Plan
from central.sms import SmsKind
from central.store import BatchResult
from contract.events import Event
from contract.vocabulary import AttemptOutcome, EventType

PREFIX = "printstation_central"


class EventResult(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    BAD = "bad"


# A card's outcome, by the event that tells it (the label `outcome` of `_cards_total`).
CARD_EVENTS = {
    EventType.CARD_PRINTED: AttemptOutcome.PRINTED,
    EventType.CARD_SPOILED: AttemptOutcome.SPOILED,
}


class CentralMetrics:
    def __init__(self, registry: CollectorRegistry | None = None, replica: str = "") -> None:
        self.registry = registry or CollectorRegistry()
        Info(PREFIX, "The replica's version", registry=self.registry).info(
            {"version": __version__, "replica": replica}
        )
        self.events = Counter(
            f"{PREFIX}_events", "Station events received, by result", ["result"],
            registry=self.registry,
        )  # fmt: skip
        self.sms = Counter(
            f"{PREFIX}_sms_queued", "SMS handed to the gateway", ["kind"], registry=self.registry
        )
        self.sms_failed = Counter(
            f"{PREFIX}_sms_failed",
            "SMS the gateway reported failed (Gammu's SendingError, DeliveryFailed)",
            ["gateway_status"],
            registry=self.registry,
        )
        self.cards = Counter(
            f"{PREFIX}_cards",
            "Cards printed or spoiled, per station (new events this replica committed)",
            ["station", "outcome"],
            registry=self.registry,
        )
        self.last_batch = Gauge(
            f"{PREFIX}_last_batch_timestamp_seconds",
            "When this replica last committed a batch (Unix time; 0: not yet)",
            registry=self.registry,
        )
        self.last_tick = Gauge(
            f"{PREFIX}_last_tick_timestamp_seconds",
            "When this replica last finished its tick (gaps, reminders, failed SMS)",
            registry=self.registry,
        )
        self.open_gaps = Gauge(
            f"{PREFIX}_gaps_open", "Gaps in seq not filled yet (as last swept)",
            registry=self.registry,
        )  # fmt: skip
        self.persistent_gaps = Gauge(
            f"{PREFIX}_gaps_persistent", "Gaps reported after every replay (as last swept)",
            registry=self.registry,
        )  # fmt: skip
        self._stations: set[str] = set()  # those whose `cards` series exist
        for result in EventResult:
            self.events.labels(result=result)
        for kind in SmsKind:
            self.sms.labels(kind=kind)
        for status in GatewayFailure:
            self.sms_failed.labels(gateway_status=status)

    def batch(self, result: BatchResult, now: datetime) -> None:
        self.events.labels(result=EventResult.NEW).inc(result.new)
        self.events.labels(result=EventResult.DUPLICATE).inc(result.duplicates)
        self.events.labels(result=EventResult.BAD).inc(result.bad)
        self.sms.labels(kind=SmsKind.PRINTED).inc(len(result.sms))
        self.count_cards(result.events)
        self.last_batch.set(now.timestamp())

    def count_cards(self, events: Iterable[Event]) -> None:
        """Per station, both outcomes from the station's first event on (zero, not absent).
        A batch's cards are counted per station and outcome first: one series looked up and
        incremented for each, not one per card."""
        counted: dict[tuple[str, AttemptOutcome], int] = {}
        for event in events:
            if event.station not in self._stations:
                self._stations.add(event.station)
                for outcome in CARD_EVENTS.values():
                    self.cards.labels(station=event.station, outcome=outcome)
            if outcome := CARD_EVENTS.get(event.type):
                counted[event.station, outcome] = counted.get((event.station, outcome), 0) + 1
        for (station, outcome), count in counted.items():
            self.cards.labels(station=station, outcome=outcome).inc(count)

    def tick(
        self, plan: Plan | None, reminders: int, failures: list[GatewayFailure], now: datetime
    ) -> None:
        if plan is not None:
            self.open_gaps.set(len(plan.gaps))
            self.persistent_gaps.set(sum(1 for g in plan.gaps if g.reported_at is not None))
        self.sms.labels(kind=SmsKind.REMINDER).inc(reminders)
        for status in failures:
            self.sms_failed.labels(gateway_status=status).inc()
        self.last_tick.set(now.timestamp())
