"""The poison corpus against the real PostgreSQL: each message lands in `bad_messages`, and the
honest `card.printed` after it still becomes its one SMS; a batch that the database refuses is
applied message by message; a worker that dies ends the replica."""

from __future__ import annotations

import threading

import psycopg
import pytest

from central.fleet import FleetCollector, fleet_rows
from central.gateway import GammuOutbox
from central.intake import Message
from central.service import ReconnectingConnection, Service, ServiceSettings
from central.sms import ReminderSchedule, Sms
from central.store import Effects, keep_bad
from tests.central.conftest import add_citizen
from tests.central.poison import CORPUS
from tests.central.test_store import NOW, event, outbox


@pytest.fixture
def effects() -> Effects:
    return Effects(GammuOutbox(), ReminderSchedule.days())


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_poison_message_is_kept_as_bad_and_the_next_card_still_texts(
    db, effects, name: str
) -> None:
    add_citizen(db, "JOB-1", "+6281200000001")
    result = effects.apply(db, [CORPUS[name], event(1, "card.printed", "JOB-1")], NOW)
    assert (result.bad, result.new, len(result.sms)) == (1, 1, 1)
    assert db.execute("SELECT count(*) FROM bad_messages").fetchone() == (1,)
    assert len(outbox(db)) == 1


def test_the_whole_corpus_in_one_batch_then_fleet_and_metrics_still_answer(db, effects) -> None:
    add_citizen(db, "JOB-1", "+6281200000001")
    result = effects.apply(db, [*CORPUS.values(), event(1, "card.printed", "JOB-1")], NOW)
    assert (result.bad, result.new, len(result.sms)) == (len(CORPUS), 1, 1)
    assert db.execute("SELECT count(*) FROM station_status").fetchone() == (0,)
    assert fleet_rows(db) == []
    assert list(FleetCollector(lambda: psycopg.connect(db.info.dsn)).collect())


class PickyGateway(GammuOutbox):
    """Gammu's outbox, refusing (as a database error) the SMS of one job."""

    def queue(self, conn: psycopg.Connection, messages: list[Sms]) -> None:
        if any(m.job_id == "JOB-REFUSED" for m in messages):
            raise psycopg.errors.StringDataRightTruncation("value too long")
        super().queue(conn, messages)


def test_a_batch_the_database_refuses_is_applied_message_by_message(dsn, db) -> None:
    add_citizen(db, "JOB-REFUSED", "+6281200000001")
    add_citizen(db, "JOB-2", "+6281200000002")
    service = Service(ServiceSettings(dsn), gateway=PickyGateway())
    batch = [event(1, "card.printed", "JOB-REFUSED"), event(2, "card.printed", "JOB-2")]
    database = ReconnectingConnection(dsn, threading.Event())
    result = service.commit(database, batch)
    database.close()
    assert (result.new, result.bad, [m.job_id for m in result.sms]) == (1, 1, ["JOB-2"])
    [(topic, problem)] = db.execute("SELECT topic, problem FROM bad_messages").fetchall()
    assert topic == batch[0].topic and "value too long" in problem
    assert outbox(db)[0][0] == "ps:JOB-2:printed:0"


def test_a_worker_that_dies_ends_the_replica(dsn) -> None:
    service = Service(ServiceSettings(dsn, tick_s=0.01))

    def broken(database: object = None) -> None:
        raise RuntimeError("a bug in the tick")

    service.tick = broken  # type: ignore[method-assign]
    service.start()
    try:
        assert service.finished.wait(10)
        assert service.failed
    finally:
        service.stop()


def test_bad_messages_hold_any_topic_and_problem(db, effects) -> None:
    """`bad_messages` keeps what PostgreSQL's text could not hold, escaped."""
    keep_bad(db, [(Message("ektp/v1/\ud800", b"\0"), "problem \0 \udfff")])
    assert db.execute("SELECT topic, problem FROM bad_messages").fetchone() == (
        "ektp/v1/\\ud800",
        "problem \\0 \\udfff",
    )
