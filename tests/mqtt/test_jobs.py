"""Jobs in: stored, then acknowledged, answered by job.accepted or job.rejected."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from controller.queue.db import StoreError
from controller.queue.store import Store
from tests.mqtt.clients import Peer
from tests.mqtt.kit import ST, LinkedStation, mqtt_settings
from tests.support.broker import Broker
from tests.support.jobs import make_job, payload
from tests.support.waiting import wait_until


def accepted(job_id: str) -> Callable[[dict], bool]:
    return lambda event: event["type"] == "job.accepted" and event["job_id"] == job_id


def test_job_is_stored_acknowledged_and_answered(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation], store: Store
) -> None:
    station = make_station(mqtt_settings(broker.port))
    wait_until(lambda: station.link.connected, 5, "the link to connect")

    assert central.publish(f"{ST}/job", payload(make_job(1))).value == 0
    event = central.wait_for(f"{ST}/event/", accepted("JOB-2026-000001"))

    assert store.jobs.get("JOB-2026-000001").state == "queued"
    assert event["event_id"] == f"{event['station']}:{event['seq']}"
    assert event["data"] == {"reason": "new", "queued": 1}
    # Acknowledged: a new connection of the same session does not get the job again. The job
    # published after the reconnect arrives after any re-delivery would have.
    station.link.stop()
    again = make_station(mqtt_settings(broker.port))
    wait_until(lambda: again.link.connected, 5, "the link to reconnect")
    central.publish(f"{ST}/job", payload(make_job(2)))
    central.wait_for(f"{ST}/event/", accepted("JOB-2026-000002"))
    assert [r.outcome for r in station.jobs + again.jobs] == ["accepted", "accepted"]


def test_malformed_job_is_rejected_and_the_link_goes_on(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation]
) -> None:
    station = make_station(mqtt_settings(broker.port))
    wait_until(lambda: station.link.connected, 5, "the link to connect")

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
    wait_until(lambda: station.link.connected, 5, "the link to connect")
    first_session = station.link.session

    central.publish(f"{ST}/job", payload(make_job(5)))

    wait_until(lambda: station.store_errors, 5, "the store error to be reported")
    assert str(station.store_errors[0]) == "disk full"
    # Not acknowledged: the link reconnects and the broker delivers the job again.
    central.wait_for(f"{ST}/event/", accepted("JOB-2026-000005"))
    assert station.link.session > first_session
    assert store.jobs.get("JOB-2026-000005").state == "queued"


def test_jobs_published_while_the_station_is_stopped_arrive_when_it_starts(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation], store: Store
) -> None:
    first = make_station(mqtt_settings(broker.port))
    wait_until(lambda: first.link.connected, 5, "the link to connect")
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
