"""The replica's metrics follow Prometheus' naming and instrumentation guides: `_info` with the
version, every label value a zero series from the start, counters per station for printed and
spoiled cards, times as Unix timestamps."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from central import __version__
from central.gateway import GammuOutbox
from central.metrics import CentralMetrics
from central.sms import ReminderSchedule
from central.store import Effects
from tests.central.conftest import add_citizen
from tests.central.test_store import NOW, STATION, event


def samples(metrics: CentralMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(metrics.registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_fresh_replica_exports_its_info_and_every_series_at_zero() -> None:
    found = samples(CentralMetrics(replica="central-a"))
    assert (
        found[("printstation_central_info", (("replica", "central-a"), ("version", __version__)))]
        == 1.0
    )
    zero = {
        "printstation_central_events_total": ("result", ("new", "duplicate", "bad")),
        "printstation_central_sms_queued_total": ("kind", ("printed", "reminder")),
        "printstation_central_sms_failed_total": (
            "gateway_status",
            ("SendingError", "DeliveryFailed"),
        ),
    }
    for name, (label, values) in zero.items():
        assert [found[(name, ((label, value),))] for value in values] == [0.0] * len(values)
    assert found[("printstation_central_last_batch_timestamp_seconds", ())] == 0.0
    assert all(name.startswith("printstation_central_") for name, _ in found)


def test_printed_and_spoiled_cards_are_counted_per_station(db) -> None:
    metrics = CentralMetrics()
    effects = Effects(GammuOutbox(), ReminderSchedule.days())
    add_citizen(db, "JOB-1", "+6281200000001")
    batch = [event(1, "job.accepted", "JOB-1"), event(2, "card.printed", "JOB-1")]
    metrics.batch(effects.apply(db, batch, NOW), NOW)
    metrics.batch(effects.apply(db, batch, NOW), NOW)  # repeats count nothing
    add_citizen(db, "JOB-2", "+6281200000002")
    add_citizen(db, "JOB-3", "+6281200000003")
    two = [event(3, "card.printed", "JOB-2"), event(4, "card.printed", "JOB-3")]
    metrics.batch(effects.apply(db, two, NOW), NOW)  # two of one station in one batch
    found = samples(metrics)
    cards = "printstation_central_cards_total"
    assert found[(cards, (("outcome", "printed"), ("station", STATION)))] == 3.0
    assert found[(cards, (("outcome", "spoiled"), ("station", STATION)))] == 0.0
    assert found[("printstation_central_last_batch_timestamp_seconds", ())] == NOW.timestamp()
    events = "printstation_central_events_total"
    assert found[(events, (("result", "new"),))] == 4.0
    assert found[(events, (("result", "duplicate"),))] == 2.0
