"""A station's event as the central office reads it (`ektp.event/1`, docs/interface.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contract.vocabulary import Schema


class BadEvent(ValueError):
    """The message is not an event of the contract; the text says why."""


@dataclass(frozen=True)
class Event:
    event_id: str
    station: str
    seq: int
    type: str
    job_id: str | None
    time: datetime
    data: dict[str, Any]
    raw: bytes


def parse_event(topic: str, payload: bytes) -> Event:
    """The event in `payload`, checked against the contract and its topic, or `BadEvent`."""
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadEvent(f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != Schema.EVENT:
        raise BadEvent(f"schema is not {Schema.EVENT}")
    station, seq, kind = doc.get("station"), doc.get("seq"), doc.get("type")
    if not (isinstance(station, str) and station and isinstance(kind, str) and kind):
        raise BadEvent("station and type must be non-empty strings")
    if not (isinstance(seq, int) and not isinstance(seq, bool) and seq >= 1):
        raise BadEvent("seq must be a whole number from 1")
    if doc.get("event_id") != f"{station}:{seq}":
        raise BadEvent("event_id must be {station}:{seq}")
    if not topic.endswith(f"/{station}/event/{kind}"):
        raise BadEvent(f"topic {topic!r} does not match station {station!r} and type {kind!r}")
    job_id, data = doc.get("job_id"), doc.get("data", {})
    if job_id is not None and not isinstance(job_id, str):
        raise BadEvent("job_id must be a string or null")
    if not isinstance(data, dict):
        raise BadEvent("data must be an object")
    try:
        when = datetime.fromisoformat(str(doc.get("time")))
    except ValueError:
        raise BadEvent("time must be an ISO 8601 timestamp") from None
    if when.tzinfo is None:
        raise BadEvent("time must carry a time zone")
    return Event(doc["event_id"], station, seq, kind, job_id, when, data, payload)
