"""`printstation-central report`: a month's blanks per kecamatan, rebuilt from the stations'
events alone (docs/blanks.md): received (`lot.received`), printed (`card.printed`), spoiled
(`card.spoiled`), destroyed (`blanks.destroyed`), adjusted (`ledger.adjusted`), and what was in
stock at the month's end. No personal data: the events carry none."""

from __future__ import annotations

import csv
import io
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg

from contract.periods import period_bounds
from contract.vocabulary import Consumable, EventType

KECAMATAN = r"-[0-9]+$"  # a station id is the kecamatan's name and the kiosk's number


@dataclass(frozen=True)
class MonthRow:
    kecamatan: str
    received: int
    printed: int
    spoiled: int
    destroyed: int
    adjusted: int
    in_stock: int  # at the month's end


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """`YYYY-MM` as [first, next) instants in `zone` (ValueError if it is no month)."""
    try:
        if len(month) == len("YYYY-MM"):
            return period_bounds(month, zone)
    except ValueError:
        pass
    raise ValueError(f"month {month!r} is not YYYY-MM")


def month_rows(conn: psycopg.Connection, since: datetime, until: datetime) -> list[MonthRow]:
    """Each kecamatan's blanks in [since, until), from the events stored."""
    flows = (
        "coalesce(sum((data->>'quantity')::bigint) FILTER (WHERE type = %(lot)s"
        " AND data->>'consumable' = %(card_consumable)s), 0)",
        "count(*) FILTER (WHERE type = %(printed_type)s)",
        "count(*) FILTER (WHERE type = %(spoiled_type)s)",
        "coalesce(sum((data->>'count')::bigint) FILTER (WHERE type = %(destroyed)s), 0)",
        "coalesce(sum((data->>'delta')::bigint) FILTER (WHERE type = %(adjusted)s"
        " AND data->>'consumable' = %(card_consumable)s), 0)",
    )
    in_period = [f"{flow.replace('WHERE ', 'WHERE time >= %(since)s AND ')}" for flow in flows]
    stock = f"{flows[0]} - {flows[1]} - {flows[2]} + {flows[4]}"
    rows = conn.execute(
        f"SELECT regexp_replace(station, %(kecamatan)s, '') AS k, {', '.join(in_period)},"
        f" {stock} FROM events WHERE time < %(until)s GROUP BY k ORDER BY k",
        {
            "kecamatan": KECAMATAN,
            "since": since,
            "until": until,
            "card_consumable": Consumable.CARDS,
            "lot": EventType.LOT_RECEIVED,
            "printed_type": EventType.CARD_PRINTED,
            "spoiled_type": EventType.CARD_SPOILED,
            "destroyed": EventType.BLANKS_DESTROYED,
            "adjusted": EventType.LEDGER_ADJUSTED,
        },
    ).fetchall()
    return [MonthRow(row[0], *(int(value) for value in row[1:])) for row in rows]


def as_csv(rows: list[MonthRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(field.name for field in fields(MonthRow))
    writer.writerows(astuple(row) for row in rows)
    return out.getvalue()
