"""Reading what arrives: a topic is a station's only under the root, whole; an event's data is
checked field by field, and what a later station adds (a code, an event type) is kept."""

from __future__ import annotations

import pytest

from contract.commands import CommandReply, parse_reply, refused, reply_payload
from contract.events import (
    AlertRaised,
    BadEvent,
    CardPrinted,
    UnknownData,
    event_payload,
    parse_event,
)
from contract.shapes import compact
from contract.status import BadStatus, Status, parse_status
from contract.topics import (
    DEFAULT_ROOT,
    Address,
    Channel,
    event_filter,
    parse_topic,
    shared,
    status_filter,
)
from contract.vocabulary import CommandErrorCode, EventType, JobReason, Severity, StationState

STATION = "3271-bogor-timur-01"
ST = f"{DEFAULT_ROOT}/{STATION}"
EVENT = Address(STATION, Channel.EVENT, EventType.CARD_PRINTED)


def test_the_fleets_filters() -> None:
    assert event_filter(DEFAULT_ROOT) == "ektp/v1/+/event/+"
    assert status_filter(DEFAULT_ROOT) == "ektp/v1/+/status"
    assert shared("central", event_filter("x/y")) == "$share/central/x/y/+/event/+"


@pytest.mark.parametrize(
    ("topic", "address"),
    [
        (f"{ST}/status", Address(STATION, Channel.STATUS)),
        (f"{ST}/event/card.printed", EVENT),
        (f"{ST}/cmd/pause", Address(STATION, Channel.COMMAND, "pause")),
        (f"v1/{STATION}/status", None),  # the end of the root only
        (f"x/{ST}/status", None),  # the root further down
        (f"{ST}/status/more", None),
        (f"{ST}/event/", None),
        (f"{ST}/event", None),
        (f"{ST}/other", None),
        (f"{DEFAULT_ROOT}/NOT_A_STATION/status", None),
        (f"{DEFAULT_ROOT}/status", None),
    ],
)
def test_a_topic_is_a_stations_only_below_the_whole_root(
    topic: str, address: Address | None
) -> None:
    assert parse_topic(topic, DEFAULT_ROOT) == address


def printed(data: dict[str, object], kind: str = EventType.CARD_PRINTED) -> bytes:
    return event_payload(STATION, 7, kind, "2026-11-22T10:00:00Z", "JOB-1", data)


CARD = CardPrinted(JobReason.NEW, "************0002", 1, "VP0000001", 4187)


def test_an_event_reads_back_typed() -> None:
    event = parse_event(EVENT, printed(CARD.to_json()))
    assert (event.event_id, event.job_id, event.data) == (f"{STATION}:7", "JOB-1", CARD)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({**CARD.to_json(), "attempts": True}, "data.attempts must be a whole number"),
        ({**CARD.to_json(), "card_counter": "4187"}, "data.card_counter must be"),
        ({key: value for key, value in CARD.to_json().items() if key != "nik_masked"}, "missing"),
        ({**CARD.to_json(), "reason": None}, "data.reason must not be null"),
    ],
)
def test_data_that_does_not_fit_its_type_is_a_bad_event(data: dict, problem: str) -> None:
    with pytest.raises(BadEvent, match=problem):
        parse_event(EVENT, printed(data))


def test_a_later_stations_additions_are_kept() -> None:
    newer = parse_event(EVENT, printed({**CARD.to_json(), "reason": "renewal", "extra": 1}))
    assert newer.data == CardPrinted("renewal", "************0002", 1, "VP0000001", 4187)
    unknown = Address(STATION, Channel.EVENT, "card.laminated")
    other = parse_event(unknown, printed({"layers": 2}, "card.laminated"))
    assert (other.type, other.data) == ("card.laminated", UnknownData({"layers": 2}))


def test_an_event_must_come_on_its_own_topic() -> None:
    alert = AlertRaised("cover_open", Severity.ERROR, "a cover is open")
    with pytest.raises(BadEvent, match="topic"):
        parse_event(EVENT, printed(alert.to_json(), EventType.ALERT_RAISED))


def test_a_status_reads_back_typed_and_must_be_its_stations() -> None:
    will = Status(STATION, StationState.OFFLINE, "2026-11-22T10:00:00Z", "0.1.0", session=4)
    payload = compact(will.to_json())
    assert parse_status(Address(STATION, Channel.STATUS), payload) == will
    with pytest.raises(BadStatus, match="topic"):
        parse_status(Address("3271-bogor-barat-02", Channel.STATUS), payload)


def test_a_reply_reads_back() -> None:
    payload = reply_payload("c-1", refused(CommandErrorCode.UNKNOWN_JOB, "no job 'X'"))
    assert parse_reply(payload) == ("c-1", refused(CommandErrorCode.UNKNOWN_JOB, "no job 'X'"))
    assert parse_reply(reply_payload(None, CommandReply({"a": 1}))) == (
        None,
        CommandReply({"a": 1}),
    )
