"""The service's own Prometheus counters (the fleet's gauges are in central.fleet)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from central.gaps import Plan
from central.sms import SmsKind
from central.store import BatchResult


class CentralMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.events = Counter(
            "central_events", "Station events committed", ["result"], registry=self.registry
        )
        self.sms = Counter(
            "central_sms_queued", "SMS handed to the gateway", ["kind"], registry=self.registry
        )
        self.open_gaps = Gauge(
            "central_gaps_open", "Gaps in seq not filled yet", registry=self.registry
        )
        self.persistent_gaps = Gauge(
            "central_gaps_persistent", "Gaps reported after every replay", registry=self.registry
        )

    def batch(self, result: BatchResult) -> None:
        self.events.labels(result="new").inc(result.new)
        self.events.labels(result="duplicate").inc(result.duplicates)
        self.events.labels(result="bad").inc(result.bad)
        self.sms.labels(kind=SmsKind.PRINTED).inc(len(result.sms))

    def gaps(self, plan: Plan) -> None:
        self.open_gaps.set(len(plan.gaps))
        self.persistent_gaps.set(sum(1 for g in plan.gaps if g.reported_at is not None))
