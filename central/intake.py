"""Strict intake: each message from the broker read as a station's event or status, or kept
as a bad message with the reason.

Beyond the contract's reading (`parse_event`, `parse_status`: UTF-8 JSON that a store can hold,
the topic agreeing with the message), the central office bounds time: an event's or a status's
time must lie within a window around the moment the message was received, so that no clock
gone wrong (a station's, or a forger's) reaches the reminders or the fleet's "newest wins".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from contract.clock import parse_rfc3339
from contract.events import Event, parse_event
from contract.shapes import BadMessage
from contract.status import Status, parse_status
from contract.topics import DEFAULT_ROOT, Channel, parse_topic


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes


@dataclass(frozen=True)
class ReceivedStatus:
    status: Status
    raw: bytes
    time: datetime | None  # the status's own time, parsed


@dataclass(frozen=True)
class TimeWindow:
    """How far a message's own time may lie from its receipt: a station's outbox may hold
    events for a long outage (`past`); no clock is that far ahead (`ahead`)."""

    past: timedelta = timedelta(days=1100)
    ahead: timedelta = timedelta(days=1)

    def problem(self, when: datetime, received: datetime) -> str | None:
        if when < received - self.past:
            return f"time {when.isoformat()} is more than {self.past.days} days before receipt"
        if when > received + self.ahead:
            return f"time {when.isoformat()} is more than {self.ahead} after receipt"
        return None


@dataclass
class Sorted:
    """A batch read: the events (first copy of each `event_id`), the statuses, and the bad."""

    events: dict[str, Event] = field(default_factory=dict)
    statuses: list[ReceivedStatus] = field(default_factory=list)
    bad: list[tuple[Message, str]] = field(default_factory=list)


class Intake:
    def __init__(self, root: str = DEFAULT_ROOT, window: TimeWindow | None = None) -> None:
        """`root`: the topic root the stations publish under."""
        self._root, self._window = root, window or TimeWindow()

    def sort(self, batch: list[Message], received: datetime) -> Sorted:
        """Each message of `batch` read; a second copy of an event in the batch with other
        bytes is bad (an `event_id` reused), a byte-identical one is dropped."""
        result = Sorted()
        for message in batch:
            try:
                self._read(message, received, result)
            except BadMessage as exc:
                result.bad.append((message, str(exc)))
        return result

    def _read(self, message: Message, received: datetime, into: Sorted) -> None:
        address = parse_topic(message.topic, self._root)
        if address is not None and address.channel == Channel.STATUS:
            status = parse_status(address, message.payload)
            when = self._status_time(status, received)
            into.statuses.append(ReceivedStatus(status, message.payload, when))
        elif address is not None and address.channel == Channel.EVENT:
            event = parse_event(address, message.payload)
            if problem := self._window.problem(event.time, received):
                raise BadMessage(problem)
            first = into.events.setdefault(event.event_id, event)
            if first.raw != event.raw:
                raise BadMessage(f"event_id {event.event_id} reused with other content")
        else:
            raise BadMessage("not a station's status or event topic")

    def _status_time(self, status: Status, received: datetime) -> datetime | None:
        if status.time is None:
            return None
        try:
            when = parse_rfc3339(status.time)
        except ValueError as exc:
            raise BadMessage(f"status time: {exc}") from None
        if problem := self._window.problem(when, received):
            raise BadMessage(f"status {problem}")
        return when
