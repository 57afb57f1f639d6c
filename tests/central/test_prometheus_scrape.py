"""A real Prometheus (Debian's package) scrapes the demo's central service (`make
demo-central`'s parts: mosquitto, a replica, PostgreSQL with gammu-smsd's dummy phone, and the
station printing on its virtual printer) with the shipped rules loaded: every recording rule
and every dashboard query returns data, every rule evaluates without error, and a failed SMS
and a message that is no event fire their alerts."""

from __future__ import annotations

from pathlib import Path

import pytest

from central.consumer import ConsumerSettings
from testkit.broker import Broker, free_port
from testkit.central import CentralReplica
from testkit.jobs import make_job, payload
from testkit.prometheus import PROMETHEUS, Prometheus
from testkit.station_process import STATION, StationProcess, StationSettings
from testkit.waiting import wait_until
from tests.central.conftest import add_citizen, wait_sent, wait_station_subscribed
from tests.central.test_end_to_end import publish
from tests.central.test_prometheus import RULES, dashboard_queries, recorded, rules

pytestmark = pytest.mark.slow
JOBS = 3


def test_prometheus_scrapes_the_service_and_every_rule_and_panel_has_data(
    tmp_path: Path, dsn, db, gammu
) -> None:
    if not Path(PROMETHEUS).exists():
        pytest.fail("prometheus is not installed (apt-get install prometheus; .ci/run does)")
    broker = Broker.plain(tmp_path / "broker")
    broker.start()
    port = free_port()
    replica = CentralReplica(
        tmp_path / "central", dsn, broker.port, "central-a", "--metrics-port", str(port)
    )
    station = StationProcess(tmp_path / "station", StationSettings(mqtt_port=broker.port))
    prometheus: Prometheus | None = None
    try:
        for n in range(1, JOBS + 1):
            add_citizen(db, f"JOB-2026-{n:06d}", f"+62812000000{n:02d}")
        replica.start()
        wait_until(lambda: broker.subscribed("central-a", ConsumerSettings().event_filter))
        prometheus = Prometheus(tmp_path / "prometheus", [f"127.0.0.1:{port}"], [RULES])
        # Scraped before anything happens: the zero series are what a counter's first
        # increase is measured from.
        wait_until(lambda: prometheus.query("printstation_central_sms_failed_total"), timeout=30)
        station.start()
        station.wait_ready()
        wait_station_subscribed(broker)
        for n in range(1, JOBS + 1):
            publish(broker.port, f"ektp/v1/{STATION}/job", payload(make_job(n)))
        wait_sent(db, JOBS, timeout=90)
        db.execute(
            """UPDATE sentitems SET "Status" = 'DeliveryFailed'
                WHERE "CreatorID" = 'ps:JOB-2026-000001:printed:0'"""
        )  # what gammu-smsd writes on a failed delivery report (the dummy phone has none)
        publish(broker.port, f"ektp/v1/{STATION}/event/card.printed", b"\xff not json")
        queries = dashboard_queries() + list(recorded())
        for query in queries:
            wait_until(lambda q=query: prometheus.query(q), timeout=60, what=f"data for {query}")
        firing = {"PrintstationCentralSmsFailed", "PrintstationCentralBadMessages"}
        wait_until(
            lambda: (
                firing <= {a["labels"]["alertname"] for a in prometheus.api("alerts")["alerts"]}
            ),
            timeout=60,
            what=f"{firing} firing",
        )
        loaded = [rule for group in prometheus.api("rules")["groups"] for rule in group["rules"]]
        assert len(loaded) == len(rules())
        assert [(r["name"], r.get("lastError")) for r in loaded if r["health"] != "ok"] == []
    finally:
        if prometheus is not None:
            prometheus.stop()
        station.stop()
        replica.stop()
        broker.terminate()
