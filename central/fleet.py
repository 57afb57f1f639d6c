"""The fleet view for technicians: every station's retained status, as a terminal table and as
Prometheus gauges (a collector that reads `station_status` at each scrape)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import psycopg
import structlog
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from contract.status import BadStatus, QueueCounts, Status
from contract.vocabulary import Consumable, StationState

log = structlog.get_logger("central.fleet")
PREFIX = "printstation_station"  # the fleet's gauges (the replica's own: central.metrics)
COLUMNS = ("station", "state", "version", "queue", "blanks", "last seen", "link", "alerts")
EMPTY_QUEUE = QueueCounts(0, 0, 0)  # what a status without its queue (`offline`) shows


def fleet_rows(conn: psycopg.Connection) -> list[tuple[str, Status, datetime]]:
    """Every station's last status, by station name. A status is stored only once it was read
    as one; a row an earlier version stored that does not read is left out, and logged."""
    rows = []
    for station, document, last_seen in conn.execute(
        "SELECT station, status, last_seen FROM station_status ORDER BY station"
    ):
        try:
            rows.append((station, Status.from_json(document), last_seen))
        except BadStatus as problem:
            log.warning("stored status unreadable", station=station, problem=str(problem))
    return rows


def table(rows: list[tuple[str, Status, datetime]], now: datetime) -> str:
    """The fleet as a fixed-width text table, one line per station."""
    lines = [COLUMNS]
    for station, status, last_seen in rows:
        queue = (status.queue or EMPTY_QUEUE).by_state()
        cards = (status.consumables or {}).get(Consumable.CARDS)
        alerts = ",".join(alert.code for alert in status.alerts or ()) or "-"
        lines.append(
            (
                station,
                str(status.state),
                status.version or "?",  # a status from before the station sent its version
                "/".join(str(count) for count in queue.values()),
                "?" if cards is None else str(cards.remaining),
                f"{int((now - last_seen).total_seconds())} s ago",
                "down" if status.state == StationState.OFFLINE else "up",
                alerts,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


class FleetCollector(Collector):
    """Gauges per station from the latest retained status, read at scrape time (every replica
    exports the same: aggregate with `max by (station)`). A state is an enum: every state a
    series, 1 for the current one."""

    def __init__(self, connect: Callable[[], psycopg.Connection]) -> None:
        self._connect = connect

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._connect() as conn:
            rows = fleet_rows(conn)
        up = GaugeMetricFamily(f"{PREFIX}_up", "1 if the station's link is up", labels=["station"])
        state = GaugeMetricFamily(
            f"{PREFIX}_state", "1 for the station's current state", labels=["station", "state"]
        )
        queue = GaugeMetricFamily(
            f"{PREFIX}_queue_jobs", "Jobs by queue state", labels=["station", "kind"]
        )
        left = GaugeMetricFamily(
            f"{PREFIX}_consumable_remaining",
            "Consumables left (cards, prints)",
            labels=["station", "consumable"],
        )
        alerts = GaugeMetricFamily(f"{PREFIX}_alerts", "Alerts in force", labels=["station"])
        info = GaugeMetricFamily(
            f"{PREFIX}_info",
            "1, labelled with the station's software version",
            labels=["station", "version"],
        )
        seen = GaugeMetricFamily(
            f"{PREFIX}_last_seen_timestamp_seconds",
            "When the station's last status arrived (Unix time)",
            labels=["station"],
        )
        for station, status, last_seen in rows:
            up.add_metric([station], 0.0 if status.state == StationState.OFFLINE else 1.0)
            for each in StationState:
                state.add_metric([station, str(each)], float(status.state == each))
            for kind, count in (status.queue or EMPTY_QUEUE).by_state().items():
                queue.add_metric([station, kind], float(count))
            for consumable, level in (status.consumables or {}).items():
                left.add_metric([station, consumable], float(level.remaining))
            alerts.add_metric([station], float(len(status.alerts or ())))
            if status.version is not None:
                info.add_metric([station, status.version], 1.0)
            seen.add_metric([station], last_seen.timestamp())
        yield from (up, state, queue, left, alerts, info, seen)
