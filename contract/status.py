"""The station's status (`ektp.status/1` on `{st}/status`, retained; docs/interface.md), typed.

The station builds a `Status` each tick; the MQTT link stamps it with what the link owns
(`status_payload`): the schema, the station, the session and the time, so the Last Will
(`offline_payload`) and the status of a connection carry the same session. A `starting` or `offline`
status has only the identity fields; the sections are None there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from contract import strict_json
from contract.shapes import OPTIONAL, BadMessage, compact, from_json, to_json
from contract.topics import Address, Channel
from contract.vocabulary import (
    AlertCode,
    Consumable,
    JobState,
    Reason,
    Schema,
    Severity,
    StationState,
)


class BadStatus(BadMessage):
    """The message is not a status of the contract; the text says why."""


@dataclass(frozen=True)
class PrinterInfo:
    """`model`, `serial` and `firmware` are None until the printer has answered once."""

    connected: bool
    model: str | None
    serial: str | None
    firmware: str | None
    flags: tuple[str, ...]  # named as in the Evolis SDK; none while not connected


@dataclass(frozen=True)
class QueueCounts:
    queued: int
    printing: int
    needs_review: int

    def by_state(self) -> dict[JobState, int]:
        return {
            JobState.QUEUED: self.queued,
            JobState.PRINTING: self.printing,
            JobState.NEEDS_REVIEW: self.needs_review,
        }


@dataclass(frozen=True)
class Duty:
    printed_today: int
    daily_limit: int
    next_print_at: str | None  # RFC 3339; None when a card may start now
    head_temp_c: float


@dataclass(frozen=True)
class Stock:
    """A consumable as the ledger counts it: what remains of how much a full load holds."""

    remaining: int
    capacity: int


@dataclass(frozen=True)
class AlertInForce:
    code: Reason | AlertCode
    severity: Severity
    since: str  # RFC 3339


@dataclass(frozen=True)
class LinkState:
    """The MQTT link as the local status shows it (an addition of the control socket)."""

    connected: bool
    session: int | None
    unsent_events: int | None  # None: the store could not tell


@dataclass(frozen=True)
class Status:
    """The status document; a section left None is not written."""

    SCHEMA: ClassVar[Schema] = Schema.STATUS
    station: str
    state: StationState
    time: str | None = field(default=None, metadata=OPTIONAL)  # RFC 3339; the link stamps it
    version: str | None = field(default=None, metadata=OPTIONAL)
    printer: PrinterInfo | None = field(default=None, metadata=OPTIONAL)
    queue: QueueCounts | None = field(default=None, metadata=OPTIONAL)
    duty: Duty | None = field(default=None, metadata=OPTIONAL)
    consumables: Mapping[Consumable, Stock] | None = field(default=None, metadata=OPTIONAL)
    alerts: tuple[AlertInForce, ...] | None = field(default=None, metadata=OPTIONAL)
    reasons: tuple[Reason, ...] | None = field(default=None, metadata=OPTIONAL)
    session: int | None = field(default=None, metadata=OPTIONAL)  # added by the MQTT link
    link: LinkState | None = field(default=None, metadata=OPTIONAL)  # the control socket's

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = to_json(self)
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Status:
        """The typed status of a document (`schema` aside), or BadStatus naming the first field
        that does not fit."""
        return from_json(cls, document, "status", BadStatus)


def status_payload(
    body: Mapping[str, Any], *, station: str, session: int, time: str, version: str
) -> bytes:
    """The status as the MQTT link publishes it: `body` (the station's document, or part of it)
    with the fields the link owns, `schema`, `station`, `session` and `time`, and `version`
    when the body has none."""
    document = dict(body)
    document.update(schema=Schema.STATUS, station=station, session=session, time=time)
    document.setdefault("version", version)
    return compact(document)


def offline_payload(station: str, *, session: int, time: str, version: str) -> bytes:
    """The Last Will, and what a clean stop publishes."""
    body = Status(station, StationState.OFFLINE).to_json()
    return status_payload(body, station=station, session=session, time=time, version=version)


def parse_status(address: Address, payload: bytes) -> Status:
    """The status in `payload`, checked against the contract and the topic it came on
    (`address`, from `parse_topic`), or BadStatus."""
    try:
        document = strict_json.loads_storable(payload.decode("utf-8"))
    except ValueError as exc:  # not UTF-8, not JSON, or JSON no store can hold (strict_json)
        raise BadStatus(f"status is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("schema") != Schema.STATUS:
        raise BadStatus(f"status schema is not {Schema.STATUS}")
    station = document.get("station")
    if not isinstance(station, str) or address != Address(station, Channel.STATUS):
        raise BadStatus("status station does not match its topic")
    return Status.from_json(document)
