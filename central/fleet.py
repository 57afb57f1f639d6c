"""The fleet view for technicians: every station's retained status, as a terminal table and as
Prometheus gauges (a collector that reads `station_status` at each scrape)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import psycopg
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from contract.vocabulary import Consumable, StationState

COLUMNS = ("station", "state", "queue", "blanks", "last seen", "link", "alerts")


def fleet_rows(conn: psycopg.Connection) -> list[tuple[str, dict[str, Any], datetime]]:
    return conn.execute(
        "SELECT station, status, last_seen FROM station_status ORDER BY station"
    ).fetchall()


def table(rows: list[tuple[str, dict[str, Any], datetime]], now: datetime) -> str:
    """The fleet as a fixed-width text table, one line per station."""
    lines = [COLUMNS]
    for station, status, last_seen in rows:
        queue = status.get("queue") or {}
        cards = (status.get("consumables") or {}).get(Consumable.CARDS) or {}
        alerts = ",".join(a.get("code", "?") for a in status.get("alerts") or []) or "-"
        lines.append(
            (
                station,
                str(status.get("state", "?")),
                "/".join(str(queue.get(k, 0)) for k in ("queued", "printing", "needs_review")),
                str(cards.get("remaining", "?")),
                f"{int((now - last_seen).total_seconds())} s ago",
                "down" if status.get("state") == StationState.OFFLINE else "up",
                alerts,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


class FleetCollector(Collector):
    """Gauges per station from the latest retained status, read at scrape time."""

    def __init__(
        self, connect: Callable[[], psycopg.Connection], now: Callable[[], datetime]
    ) -> None:
        self._connect, self._now = connect, now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._connect() as conn:
            rows = fleet_rows(conn)
        up = GaugeMetricFamily(
            "ektp_station_up", "1 if the station's link is up", labels=["station"]
        )
        state = GaugeMetricFamily(
            "ektp_station_state", "1 for the station's current state", labels=["station", "state"]
        )
        queue = GaugeMetricFamily(
            "ektp_station_queue", "Jobs by queue state", labels=["station", "kind"]
        )
        left = GaugeMetricFamily(
            "ektp_station_consumable_remaining",
            "Consumables left",
            labels=["station", "consumable"],
        )
        alerts = GaugeMetricFamily("ektp_station_alerts", "Alerts in force", labels=["station"])
        seen = GaugeMetricFamily(
            "ektp_station_last_seen_seconds", "Seconds since the last status", labels=["station"]
        )
        now = self._now()
        for station, status, last_seen in rows:
            up.add_metric([station], 0.0 if status.get("state") == StationState.OFFLINE else 1.0)
            state.add_metric([station, str(status.get("state"))], 1.0)
            for kind, count in (status.get("queue") or {}).items():
                queue.add_metric([station, kind], float(count))
            for consumable, ledger in (status.get("consumables") or {}).items():
                left.add_metric([station, consumable], float(ledger.get("remaining", 0)))
            alerts.add_metric([station], float(len(status.get("alerts") or [])))
            seen.add_metric([station], (now - last_seen).total_seconds())
        yield from (up, state, queue, left, alerts, seen)
