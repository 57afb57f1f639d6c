"""The intake thread's batches: a job that trips a bug is dropped alone, not with its batch.

Which messages share a batch depends on when the broker's packets arrive, so these tests hand
the messages to `Inbound` before its thread starts, which puts them in one batch for certain.
The connection is a stand-in that records the acknowledgements (the broker's side of a PUBACK is
tested in test_jobs.py against a real mosquitto).
"""

from __future__ import annotations

from typing import Any

import paho.mqtt.client as mqtt
import pytest

from contract.clock import ManualClock
from contract.topics import Topics
from controller.mqtt.inbound import Inbound
from controller.mqtt.requests import CommandProcessor
from controller.queue.intake import IntakeResult
from controller.queue.store import Store
from testkit.jobs import make_job, payload
from tests.mqtt.kit import ROOT, STATION, RecordingHandler

TOPICS = Topics(ROOT, STATION)


class AckRecorder:
    """Records the message ids acknowledged, in order."""

    def __init__(self) -> None:
        self.acked: list[int] = []

    def ack(self, mid: int, qos: int) -> None:
        self.acked.append(mid)


def job_message(mid: int, number: int) -> mqtt.MQTTMessage:
    message = mqtt.MQTTMessage(mid=mid, topic=TOPICS.job.encode())
    message.payload = payload(make_job(number))
    message.qos = 1
    return message


def run_one_batch(store: Store, clock: ManualClock, numbers: list[int]) -> tuple[list[int], list]:
    """Hand the jobs over as one batch; return the acknowledged mids and the stored results."""
    connection, results = AckRecorder(), []
    inbound = Inbound(
        TOPICS,
        store.intake,
        CommandProcessor(store.db, RecordingHandler(), clock),
        on_job=results.append,
        on_unacked=lambda error: pytest.fail(f"store failure: {error}"),
    )
    for mid, number in enumerate(numbers, start=1):
        inbound.handle(connection, job_message(mid, number))  # type: ignore[arg-type]
    inbound.start()
    inbound.stop(5.0)
    return connection.acked, results


def test_a_bug_on_one_job_of_a_batch_drops_that_job_only(
    store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_store = store.intake.store
    calls: list[list[str]] = []

    def bug_on_job_60(checked: Any, source: str = "mqtt") -> list[IntakeResult]:
        calls.append([spec.job_id for spec in checked])
        if any(spec.job_id == "JOB-2026-000060" for spec in checked):
            raise ZeroDivisionError("a bug in the intake")
        return real_store(checked, source)

    monkeypatch.setattr(store.intake, "store", bug_on_job_60)
    acked, results = run_one_batch(store, clock, [59, 60, 61])

    assert calls[0] == ["JOB-2026-000059", "JOB-2026-000060", "JOB-2026-000061"]  # one batch
    assert acked == [1, 2, 3]  # all acknowledged, in arrival order
    assert [(r.outcome, r.job_id) for r in results] == [
        ("accepted", "JOB-2026-000059"),
        ("accepted", "JOB-2026-000061"),
    ]
    assert store.jobs.counts()["queued"] == 2
