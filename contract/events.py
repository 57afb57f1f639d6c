"""The station's events (`ektp.event/1` on `{st}/event/{type}`, docs/interface.md): one typed
`data` per event type, the envelope around it, and the reading of a received event.

The station writes an event's `data` once, as `data_json` makes it, and publishes that text
inside the envelope (`event_payload`) as often as it must: every copy is byte-identical. The
central office reads it back with `parse_event`. A code this version does not know (a later
station's addition) is kept as its text, and an event of a type it does not know keeps its data
as `UnknownData`: the interface's additions never break a consumer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Self

from contract import strict_json
from contract.clock import parse_rfc3339
from contract.jobspec import JOB_ID
from contract.shapes import OPTIONAL, BadMessage, compact, from_json, to_json
from contract.topics import Address, Channel
from contract.vocabulary import (
    ActionSource,
    AlertCode,
    Consumable,
    EventType,
    FailCode,
    JobReason,
    Reason,
    RejectCode,
    Requester,
    Resolution,
    Schema,
    Severity,
)


class BadEvent(BadMessage):
    """The message is not an event of the contract; the text says why."""


@dataclass(frozen=True)
class EventData:
    """The `data` of one event type (`TYPE`), its fields in the order the station writes them."""

    TYPE: ClassVar[EventType]

    def to_json(self) -> dict[str, Any]:
        """The `data` object."""
        written: dict[str, Any] = to_json(self)
        return written

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The typed data of a received `data` object, or BadEvent naming the first field that
        does not fit."""
        return from_json(cls, data, "data", BadEvent)


@dataclass(frozen=True)
class JobAccepted(EventData):
    """`source` is set only for a job handed in at the kiosk (`local`)."""

    TYPE = EventType.JOB_ACCEPTED
    reason: JobReason
    queued: int  # jobs queued, this one included
    source: Requester | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class JobRejected(EventData):
    TYPE = EventType.JOB_REJECTED
    code: RejectCode
    message: str


@dataclass(frozen=True)
class CardPrinted(EventData):
    TYPE = EventType.CARD_PRINTED
    reason: JobReason
    nik_masked: str
    attempts: int  # blanks this job used, the good one included
    printer_serial: str
    card_counter: int | None


@dataclass(frozen=True)
class CardSpoiled(EventData):
    """`cause`: a `SpoilCause`, or what the printer reported."""

    TYPE = EventType.CARD_SPOILED
    cause: str
    attempt: int  # blanks this job used so far, this one included


@dataclass(frozen=True)
class JobNeedsReview(EventData):
    """`cause`: text for a person (a `ReviewCause`, a printer fault kind, the driver's words)."""

    TYPE = EventType.JOB_NEEDS_REVIEW
    cause: str
    card_counter: int | None


@dataclass(frozen=True)
class JobFailed(EventData):
    TYPE = EventType.JOB_FAILED
    code: FailCode
    message: str


@dataclass(frozen=True)
class JobCancelled(EventData):
    TYPE = EventType.JOB_CANCELLED
    by: Requester


@dataclass(frozen=True)
class JobExpired(EventData):
    TYPE = EventType.JOB_EXPIRED
    not_after: str  # as stored: RFC 3339, UTC


@dataclass(frozen=True)
class JobResolved(EventData):
    """`reason` is left out when the person gave none."""

    TYPE = EventType.JOB_RESOLVED
    outcome: Resolution
    by: ActionSource
    operator: str
    reason: str | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class CardsUnaccounted(EventData):
    """The printer's card counter moved between two of the station's cards by more than the
    station printed: `cards` were fed by something else (`counter_before`: the counter after
    the station's last card; `card_counter`: the counter now)."""

    TYPE = EventType.CARDS_UNACCOUNTED
    cards: int
    counter_before: int
    card_counter: int


@dataclass(frozen=True)
class ConsumableLow(EventData):
    TYPE = EventType.CONSUMABLE_LOW
    consumable: Consumable
    remaining: int
    threshold: int


@dataclass(frozen=True)
class ConsumableEmpty(EventData):
    TYPE = EventType.CONSUMABLE_EMPTY
    consumable: Consumable


@dataclass(frozen=True)
class ConsumableReloaded(EventData):
    """`operator` is left out when the reload names no one."""

    TYPE = EventType.CONSUMABLE_RELOADED
    consumable: Consumable
    count: int
    capacity: int
    lot: str | None
    operator: str | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class LotReceived(EventData):
    """An addition: a lot received by `received_by` and countersigned by a supervisor; in
    stock from now (`quantity` in cards' worth; `received_on`: the delivery's date)."""

    TYPE = EventType.LOT_RECEIVED
    consumable: Consumable
    lot: str
    quantity: int
    received_on: str  # YYYY-MM-DD
    received_by: str
    countersigned_by: str


@dataclass(frozen=True)
class LedgerAdjusted(EventData):
    """An addition: a lot's stock corrected by `delta` (negative: missing), by a named person
    (a supervisor when it lowers the books) with a reason."""

    TYPE = EventType.LEDGER_ADJUSTED
    consumable: Consumable
    lot: str
    delta: int
    reason: str
    by: str


@dataclass(frozen=True)
class BlanksDestroyed(EventData):
    """An addition: spoiled blanks destroyed under destruction record `record`: the jobs whose
    blanks they were, and the two officials."""

    TYPE = EventType.BLANKS_DESTROYED
    record: int
    count: int
    destroyed_on: str  # YYYY-MM-DD
    supervisor: str
    witness: str
    job_ids: tuple[str, ...]


@dataclass(frozen=True)
class CardCollected(EventData):
    """An addition: the printed card handed to the citizen at the kiosk (no more reminders)."""

    TYPE = EventType.CARD_COLLECTED
    by: str


@dataclass(frozen=True)
class AlertRaised(EventData):
    TYPE = EventType.ALERT_RAISED
    code: Reason | AlertCode
    severity: Severity
    message: str


@dataclass(frozen=True)
class AlertCleared(EventData):
    TYPE = EventType.ALERT_CLEARED
    code: Reason | AlertCode


DATA_TYPES: dict[EventType, type[EventData]] = {
    kind.TYPE: kind
    for kind in (
        JobAccepted,
        JobRejected,
        CardPrinted,
        CardSpoiled,
        JobNeedsReview,
        JobFailed,
        JobCancelled,
        JobExpired,
        JobResolved,
        CardsUnaccounted,
        ConsumableLow,
        ConsumableEmpty,
        ConsumableReloaded,
        LotReceived,
        LedgerAdjusted,
        BlanksDestroyed,
        CardCollected,
        AlertRaised,
        AlertCleared,
    )
}
assert set(DATA_TYPES) == set(EventType)


@dataclass(frozen=True)
class UnknownData:
    """The `data` of an event type this version does not know, as received."""

    values: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return dict(self.values)


@dataclass(frozen=True)
class Event:
    """A received event: its envelope, its typed `data` and the bytes it came as."""

    station: str
    seq: int
    type: EventType | str
    job_id: str | None
    time: datetime
    data: EventData | UnknownData
    raw: bytes

    @property
    def event_id(self) -> str:
        return event_id(self.station, self.seq)


def event_id(station: str, seq: int) -> str:
    """`{station}:{seq}`, the key to de-duplicate on."""
    return f"{station}:{seq}"


def data_json(data: EventData) -> str:
    """The `data` object as the station stores it, and publishes it in every copy."""
    return compact(data.to_json()).decode()


def event_document(
    station: str, seq: int, event_type: str, time: str, job_id: str | None, data: Any
) -> dict[str, Any]:
    """The event as the contract publishes it; `time` and `data` as stored (RFC 3339 text, the
    decoded `data_json`)."""
    return {
        "schema": Schema.EVENT,
        "event_id": event_id(station, seq),
        "seq": seq,
        "station": station,
        "type": event_type,
        "time": time,
        "job_id": job_id,
        "data": data,
    }


def event_payload(
    station: str, seq: int, event_type: str, time: str, job_id: str | None, data: Any
) -> bytes:
    """The published bytes of `event_document`."""
    return compact(event_document(station, seq, event_type, time, job_id, data))


def parse_event(address: Address, payload: bytes) -> Event:
    """The event in `payload`, checked against the contract and the topic it came on
    (`address`, from `parse_topic`), or BadEvent."""
    try:
        doc = strict_json.loads_storable(payload.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadEvent("not UTF-8") from None
    except ValueError as exc:  # not JSON, or JSON no store can hold (strict_json)
        raise BadEvent(f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != Schema.EVENT:
        raise BadEvent(f"schema is not {Schema.EVENT}")
    station, seq, kind = doc.get("station"), doc.get("seq"), doc.get("type")
    if not (isinstance(station, str) and station and isinstance(kind, str) and kind):
        raise BadEvent("station and type must be non-empty strings")
    if not (isinstance(seq, int) and not isinstance(seq, bool) and seq >= 1):
        raise BadEvent("seq must be a whole number from 1")
    if doc.get("event_id") != event_id(station, seq):
        raise BadEvent("event_id must be {station}:{seq}")
    if (address.station, address.channel, address.name) != (station, Channel.EVENT, kind):
        raise BadEvent(f"the topic does not match station {station!r} and type {kind!r}")
    job_id, data = doc.get("job_id"), doc.get("data", {})
    if job_id is not None and not (isinstance(job_id, str) and JOB_ID.fullmatch(job_id)):
        raise BadEvent("job_id must be a job id of the contract or null")
    if not isinstance(data, dict):
        raise BadEvent("data must be an object")
    try:
        when = parse_rfc3339(doc.get("time"))  # type: ignore[arg-type] - checked there
    except ValueError as exc:
        raise BadEvent(f"time: {exc}") from None
    data_type = DATA_TYPES.get(kind)  # type: ignore[call-overload] - a type's text is its key
    if data_type is None:
        return Event(station, seq, kind, job_id, when, UnknownData(data), payload)
    return Event(station, seq, data_type.TYPE, job_id, when, data_type.from_json(data), payload)
