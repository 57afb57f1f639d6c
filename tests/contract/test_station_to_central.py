"""What the station sends is what the central office reads: every event type's data and the
status document, written by the station's own code (its outbox, its link's status) and read by
the central office's parse, come back equal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract.clock import ManualClock, rfc3339
from contract.events import (
    DATA_TYPES,
    AlertCleared,
    AlertRaised,
    BlanksDestroyed,
    CardCollected,
    CardPrinted,
    CardSpoiled,
    CardsUnaccounted,
    ConsumableEmpty,
    ConsumableLow,
    ConsumableReloaded,
    EventData,
    JobAccepted,
    JobCancelled,
    JobExpired,
    JobFailed,
    JobNeedsReview,
    JobRejected,
    JobResolved,
    LedgerAdjusted,
    LotReceived,
    parse_event,
)
from contract.jobspec import JOB_ID
from contract.status import (
    AlertInForce,
    Duty,
    PrinterInfo,
    QueueCounts,
    Status,
    Stock,
    parse_status,
)
from contract.topics import DEFAULT_ROOT, STATION_ID, Channel, Topics, parse_topic
from contract.vocabulary import (
    ActionSource,
    AlertCode,
    Consumable,
    FailCode,
    JobReason,
    Reason,
    RejectCode,
    Requester,
    Resolution,
    Severity,
    StationState,
)
from controller import __version__
from controller.mqtt.retained import StatusReport
from controller.queue.outbox import emit
from controller.queue.store import Store

STATION = "3271-bogor-timur-01"
STATIONS = st.from_regex(STATION_ID, fullmatch=True)
# The interface's text never holds NUL nor a lone surrogate (docs/interface.md): the central
# office keeps a message with either in bad_messages (strict intake), as PostgreSQL's text
# cannot hold them. (Naming characters to exclude drops Hypothesis' default exclusion of Cs.)
TEXT = st.text(st.characters(exclude_characters="\0", exclude_categories=("Cs",)), max_size=40)
COUNTS = st.integers(min_value=0, max_value=10**9)
COUNTER = st.none() | COUNTS
ALERT_CODES = st.sampled_from([*Reason, *AlertCode])
STAMPS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
)

DATA: dict[type[EventData], st.SearchStrategy[EventData]] = {
    JobAccepted: st.builds(
        JobAccepted, st.sampled_from(JobReason), COUNTS, st.sampled_from([None, Requester.LOCAL])
    ),
    JobRejected: st.builds(JobRejected, st.sampled_from(RejectCode), TEXT),
    CardPrinted: st.builds(CardPrinted, st.sampled_from(JobReason), TEXT, COUNTS, TEXT, COUNTER),
    CardSpoiled: st.builds(CardSpoiled, TEXT, COUNTS),
    JobNeedsReview: st.builds(JobNeedsReview, TEXT, COUNTER),
    JobFailed: st.builds(JobFailed, st.sampled_from(FailCode), TEXT),
    JobCancelled: st.builds(JobCancelled, st.sampled_from(Requester)),
    JobExpired: st.builds(JobExpired, STAMPS.map(rfc3339)),
    JobResolved: st.builds(
        JobResolved,
        st.sampled_from(Resolution),
        st.sampled_from(ActionSource),
        TEXT,
        st.none() | TEXT.filter(bool),
    ),
    CardsUnaccounted: st.builds(CardsUnaccounted, COUNTS, COUNTS, COUNTS),
    ConsumableLow: st.builds(ConsumableLow, st.sampled_from(Consumable), COUNTS, COUNTS),
    ConsumableEmpty: st.builds(ConsumableEmpty, st.sampled_from(Consumable)),
    ConsumableReloaded: st.builds(
        ConsumableReloaded,
        st.sampled_from(Consumable),
        COUNTS,
        COUNTS,
        st.none() | TEXT,
        st.none() | TEXT.filter(bool),
    ),
    LotReceived: st.builds(
        LotReceived, st.sampled_from(Consumable), TEXT, COUNTS, TEXT, TEXT, TEXT
    ),
    LedgerAdjusted: st.builds(
        LedgerAdjusted, st.sampled_from(Consumable), TEXT, st.integers(-(10**6), 10**6), TEXT, TEXT
    ),
    BlanksDestroyed: st.builds(
        BlanksDestroyed, COUNTS, COUNTS, TEXT, TEXT, TEXT, st.lists(TEXT, max_size=4).map(tuple)
    ),
    CardCollected: st.builds(CardCollected, TEXT),
    AlertRaised: st.builds(AlertRaised, ALERT_CODES, st.sampled_from(Severity), TEXT),
    AlertCleared: st.builds(AlertCleared, ALERT_CODES),
}

STATUSES = st.builds(
    Status,
    station=STATIONS,
    state=st.sampled_from(StationState),
    time=st.none() | STAMPS.map(rfc3339),
    version=st.none() | TEXT,
    printer=st.none()
    | st.builds(
        PrinterInfo,
        st.booleans(),
        st.none() | TEXT,
        st.none() | TEXT,
        st.none() | TEXT,
        st.lists(TEXT, max_size=4).map(tuple),
    ),
    queue=st.none() | st.builds(QueueCounts, COUNTS, COUNTS, COUNTS),
    duty=st.none()
    | st.builds(
        Duty,
        COUNTS,
        COUNTS,
        st.none() | STAMPS.map(rfc3339),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    consumables=st.none()
    | st.dictionaries(st.sampled_from(Consumable), st.builds(Stock, COUNTS, COUNTS)),
    alerts=st.none()
    | st.lists(
        st.builds(AlertInForce, ALERT_CODES, st.sampled_from(Severity), STAMPS.map(rfc3339)),
        max_size=3,
    ).map(tuple),
    reasons=st.none() | st.lists(st.sampled_from(Reason), max_size=4).map(tuple),
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("station") / "station.db"
    thresholds = dict.fromkeys(Consumable, 0)
    opened = Store.open(path, STATION, ManualClock(), low_thresholds=thresholds, initial_load={})
    yield opened
    opened.close()


def test_every_event_type_has_its_strategy() -> None:
    assert set(DATA) == set(DATA_TYPES.values())


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(*DATA.values()),
    job_id=st.none() | st.from_regex(JOB_ID, fullmatch=True),
    at=STAMPS,
)
def test_an_event_the_station_writes_is_the_event_the_central_office_reads(
    store: Store, data: EventData, job_id: str | None, at: datetime
) -> None:
    with store.db.transaction() as tx:
        seq = emit(tx, job_id, data, at)
    (written,) = store.outbox.pending(after_seq=seq - 1, limit=1)
    topic = Topics(DEFAULT_ROOT, STATION).event(written.type)

    address = parse_topic(topic, DEFAULT_ROOT)
    assert address is not None and address.channel == Channel.EVENT
    event = parse_event(address, written.payload(STATION))

    assert event.data == data and type(event.data) is type(data)
    assert (event.station, event.seq, event.type, event.job_id) == (STATION, seq, data.TYPE, job_id)
    assert event.time == at.replace(microsecond=0)


@settings(max_examples=300, deadline=None)
@given(status=STATUSES, session=st.integers(min_value=1, max_value=2**31), at=STAMPS)
def test_the_status_the_station_publishes_is_the_status_the_central_office_reads(
    status: Status, session: int, at: datetime
) -> None:
    clock = ManualClock(at)
    report = StatusReport(status.station, status.to_json, clock, coalesce_s=1.0, heartbeat_s=60.0)
    address = parse_topic(Topics(DEFAULT_ROOT, status.station).status, DEFAULT_ROOT)
    assert address is not None and address.channel == Channel.STATUS

    published = report.online(session)
    will = report.offline(session)

    assert published is not None
    stamped = replace(status, time=rfc3339(at), session=session)
    version = __version__ if status.version is None else status.version  # the body's, if any
    assert parse_status(address, published) == replace(stamped, version=version)
    assert parse_status(address, will) == Status(
        status.station, StationState.OFFLINE, rfc3339(at), __version__, session=session
    )
