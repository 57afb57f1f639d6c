"""Jobs in: stored, then acknowledged, answered by job.accepted or job.rejected."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from controller.queue.db import StoreError
from controller.queue.store import Store
from testkit.broker import Broker
from testkit.jobs import make_job, payload
from testkit.poison import RANGE_END_TIMES, TRUNCATED_PICTURES, bomb_jpeg, bomb_png
from testkit.waiting import wait_until
from tests.mqtt.clients import Peer
from tests.mqtt.kit import ST, LinkedStation, mqtt_settings


def accepted(job_id: str) -> Callable[[dict], bool]:
    return lambda event: event["type"] == "job.accepted" and event["job_id"] == job_id


def test_job_is_stored_acknowledged_and_answered(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation], store: Store
) -> None:
    station = make_station(mqtt_settings(broker.port))
    wait_until(lambda: station.link.listening, 5, "the link to connect")

    assert central.publish(f"{ST}/job", payload(make_job(1))).value == 0
    event = central.wait_for(f"{ST}/event/", accepted("JOB-2026-000001"))

    assert store.jobs.get("JOB-2026-000001").state == "queued"
    assert event["event_id"] == f"{event['station']}:{event['seq']}"
    assert event["data"] == {"reason": "new", "queued": 1}
    # Acknowledged: a new connection of the same session does not get the job again. The job
    # published after the reconnect arrives after any re-delivery would have.
    station.link.stop()
    again = make_station(mqtt_settings(broker.port))
    wait_until(lambda: again.link.listening, 5, "the link to reconnect")
    central.publish(f"{ST}/job", payload(make_job(2)))
    central.wait_for(f"{ST}/event/", accepted("JOB-2026-000002"))
    assert [r.outcome for r in station.jobs + again.jobs] == ["accepted", "accepted"]


def test_malformed_job_is_rejected_and_the_link_goes_on(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation]
) -> None:
    station = make_station(mqtt_settings(broker.port))
    wait_until(lambda: station.link.listening, 5, "the link to connect")

    central.publish(f"{ST}/job", b"{not json")
    central.publish(f"{ST}/job", payload(make_job(3, prr=False)))
    central.publish(f"{ST}/job", payload(make_job(4)))

    central.wait_for(f"{ST}/event/", accepted("JOB-2026-000004"))
    rejected = [e for e in central.bodies(f"{ST}/event/") if e["type"] == "job.rejected"]
    assert [(e["job_id"], e["data"]["code"]) for e in rejected] == [
        (None, "invalid_json"),
        ("JOB-2026-000003", "not_prr"),
    ]
    assert station.link.connected


def test_store_failure_leaves_the_job_unacknowledged_until_it_can_be_stored(
    broker: Broker,
    central: Peer,
    make_station: Callable[..., LinkedStation],
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_store = store.intake.store
    failures = []

    def failing_once(checked, source: str = "mqtt"):
        if not failures:
            failures.append(checked)
            raise StoreError("disk full")
        return real_store(checked, source)

    monkeypatch.setattr(store.intake, "store", failing_once)
    station = make_station(mqtt_settings(broker.port))
    wait_until(lambda: station.link.listening, 5, "the link to connect")
    first_session = station.link.session

    central.publish(f"{ST}/job", payload(make_job(5)))

    wait_until(lambda: station.store_errors, 5, "the store error to be reported")
    assert str(station.store_errors[0]) == "disk full"
    # Not acknowledged: the link reconnects and the broker delivers the job again.
    central.wait_for(f"{ST}/event/", accepted("JOB-2026-000005"))
    assert station.link.session > first_session
    assert store.jobs.get("JOB-2026-000005").state == "queued"
    # The station was told while the job was held, and told again once it was acknowledged.
    wait_until(lambda: station.holding == [True, False], 5, "the hold to be lifted")


def poison_jobs(first: int) -> list[dict]:
    """Jobs whose pictures or times break a naive parser, numbered from `first`."""
    truncated = TRUNCATED_PICTURES["signature_png"]
    return [
        *(make_job(first + n, not_after=moment) for n, moment in enumerate(RANGE_END_TIMES)),
        make_job(first + 10, card={"photo_jpeg": bomb_jpeg()}),
        make_job(first + 11, card={"signature_png": bomb_png()}),
        *(make_job(first + 12 + n, card={"signature_png": p}) for n, p in enumerate(truncated)),
    ]


def test_poison_jobs_are_rejected_acknowledged_and_never_delivered_again(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation]
) -> None:
    """More poison jobs than the broker's in-flight window (20): were any left unacknowledged,
    the broker would hold them in the session and deliver them again at every reconnect, and the
    good job behind them would never arrive."""
    station = make_station(mqtt_settings(broker.port))
    wait_until(lambda: station.link.listening, 5, "the link to connect")
    poison = [job for first in (100, 200, 300, 400) for job in poison_jobs(first)]
    for job in poison:
        central.publish(f"{ST}/job", payload(job))
    central.publish(f"{ST}/job", payload(make_job(50)))
    central.wait_for(f"{ST}/event/", accepted("JOB-2026-000050"), timeout=20)
    rejected = [e for e in central.bodies(f"{ST}/event/") if e["type"] == "job.rejected"]
    assert len(rejected) == len(poison) > 20
    assert {e["data"]["code"] for e in rejected} == {"invalid_field"}

    # A new connection of the same session: the broker has nothing left to deliver again.
    station.link.stop()
    again = make_station(mqtt_settings(broker.port))
    wait_until(lambda: again.link.listening, 5, "the link to reconnect")
    central.publish(f"{ST}/job", payload(make_job(51)))
    central.wait_for(f"{ST}/event/", accepted("JOB-2026-000051"))
    assert [r.job_id for r in again.jobs] == ["JOB-2026-000051"]
    assert station.holding == again.holding == []


def test_a_message_rejected_before_is_acknowledged_without_a_second_rejection(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation]
) -> None:
    """The broker delivers again what the station answered but had not acknowledged when it
    stopped (a SIGKILL drops the PUBACKs the broker has not read yet): one message, one
    job.rejected. A rejection that depends on the queue (`duplicate_nik`) is decided again."""
    station = make_station(mqtt_settings(broker.port))
    wait_until(lambda: station.link.listening, 5, "the link to connect")
    bad = payload(make_job(70, card={"signature_png": bomb_png()}))
    same_nik = {**make_job(71), "job_id": "JOB-2026-000072"}
    central.publish(f"{ST}/job", bad)
    central.publish(f"{ST}/job", payload(make_job(71)))
    central.publish(f"{ST}/job", payload(same_nik))
    central.publish(f"{ST}/job", bad)
    central.publish(f"{ST}/job", payload(same_nik))
    central.publish(f"{ST}/job", payload(make_job(73)))
    central.wait_for(f"{ST}/event/", accepted("JOB-2026-000073"))
    rejected = [
        (e["job_id"], e["data"]["code"])
        for e in central.bodies(f"{ST}/event/")
        if e["type"] == "job.rejected"
    ]
    assert rejected == [
        ("JOB-2026-000070", "invalid_field"),
        ("JOB-2026-000072", "duplicate_nik"),
        ("JOB-2026-000072", "duplicate_nik"),
    ]
    outcomes = [(r.job_id, r.outcome) for r in station.jobs]
    assert outcomes[3] == ("JOB-2026-000070", "duplicate")


def test_a_failure_other_than_storage_acknowledges_the_message(
    broker: Broker,
    central: Peer,
    make_station: Callable[..., LinkedStation],
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_store = store.intake.store

    def bug_on_job_60(checked, source: str = "mqtt"):
        if any(getattr(spec, "job_id", None) == "JOB-2026-000060" for spec in checked):
            raise ZeroDivisionError("a bug in the intake")
        return real_store(checked, source)

    monkeypatch.setattr(store.intake, "store", bug_on_job_60)
    station = make_station(mqtt_settings(broker.port))
    wait_until(lambda: station.link.listening, 5, "the link to connect")
    session = station.link.session
    central.publish(f"{ST}/job", payload(make_job(60)))
    central.publish(f"{ST}/job", payload(make_job(61)))
    central.wait_for(f"{ST}/event/", accepted("JOB-2026-000061"))
    station.link.stop()
    monkeypatch.setattr(store.intake, "store", real_store)  # the bug is gone: 60 would be taken
    again = make_station(mqtt_settings(broker.port))
    wait_until(lambda: again.link.listening, 5, "the link to reconnect")
    central.publish(f"{ST}/job", payload(make_job(62)))
    central.wait_for(f"{ST}/event/", accepted("JOB-2026-000062"))
    assert [r.job_id for r in again.jobs] == ["JOB-2026-000062"]  # 60 was not delivered again
    assert station.link.session == session and station.holding == []


def test_jobs_published_while_the_station_is_stopped_arrive_when_it_starts(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation], store: Store
) -> None:
    first = make_station(mqtt_settings(broker.port))
    wait_until(lambda: first.link.listening, 5, "the link to connect")
    first.link.stop()

    for n in (6, 7, 8):
        central.publish(f"{ST}/job", payload(make_job(n)))
    assert store.jobs.counts()["queued"] == 0

    make_station(mqtt_settings(broker.port))
    central.wait_for(f"{ST}/event/", accepted("JOB-2026-000008"))
    accepted_ids = [
        e["job_id"] for e in central.bodies(f"{ST}/event/") if e["type"] == "job.accepted"
    ]
    assert accepted_ids == ["JOB-2026-000006", "JOB-2026-000007", "JOB-2026-000008"]


def test_jobs_at_qos_0_or_retained_are_rejected_and_commands_at_qos_0_refused(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation], store: Store
) -> None:
    """Issue 15, item 14: a retained job was printed and stayed at the broker with its
    personal data; a QoS 0 job or command has no durability."""
    central.publish(f"{ST}/job", payload(make_job(69)), retain=True)  # before: never sent
    station = make_station(mqtt_settings(broker.port))
    wait_until(lambda: station.link.listening, 5, "the link to connect")
    central.publish(f"{ST}/job", payload(make_job(70)), retain=True)
    central.client.publish(f"{ST}/job", payload(make_job(71)), qos=0)
    command = b'{"schema":"ektp.cmd/1","cmd_id":"c-q0","args":{}}'
    central.client.publish(f"{ST}/cmd/pause", command, qos=0)
    central.publish(f"{ST}/job", payload(make_job(72)))
    central.wait_for(f"{ST}/event/", accepted("JOB-2026-000072"))
    rejected = {
        e["job_id"]: e["data"]["code"]
        for e in central.bodies(f"{ST}/event/")
        if e["type"] == "job.rejected"
    }
    assert rejected == {"JOB-2026-000070": "unsafe_delivery", "JOB-2026-000071": "unsafe_delivery"}
    reply = central.wait_for(f"{ST}/reply", lambda body: body["cmd_id"] == "c-q0")
    assert reply["error"]["code"] == "unsafe_delivery" and station.handler.calls == []
    assert store.jobs.counts()["queued"] == 1
    central.publish(f"{ST}/job", b"", retain=True)  # clear the retained job
