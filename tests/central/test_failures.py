"""SMS the gateway failed are seen: an `sms.failed` operator event each (once, whichever
replica's tick finds it), `printstation_central_sms_failed_total{gateway_status}`, and
`printstation-central sms --failed`.

Gammu's dummy phone never fails a send, so the failure itself is what gammu-smsd writes when a
modem refuses an SMS or a delivery report says it failed: the real `sentitems` row (sent by the
real gammu-smsd) gets `Status` `SendingError` or `DeliveryFailed`."""

from __future__ import annotations

import pytest

from central.cli import SMS_FAILED, main
from central.consumer import ConsumerSettings
from central.service import ReconnectingConnection, Service, ServiceSettings
from contract.clock import ManualClock
from tests.central.conftest import add_citizen, wait_sent
from tests.central.test_store import NOW, STATION, event

pytestmark = pytest.mark.slow


def failed_total(service: Service, status: str) -> float | None:
    return service.metrics.registry.get_sample_value(
        "printstation_central_sms_failed_total", {"gateway_status": status}
    )


def test_a_failed_sms_is_an_operator_event_a_metric_and_listed_once(db, dsn, gammu, capsys):
    replicas = [
        Service(ServiceSettings(dsn, ConsumerSettings(client_id=name)), ManualClock(NOW))
        for name in ("central-a", "central-b")
    ]
    for n in (1, 2, 3):
        add_citizen(db, f"JOB-{n}", f"+628120000000{n}")
    replicas[0].effects.apply(db, [event(n, "card.printed", f"JOB-{n}") for n in (1, 2, 3)], NOW)
    wait_sent(db, 3)
    assert failed_total(replicas[0], "SendingError") == 0.0  # present before any failure
    db.execute(
        """UPDATE sentitems SET "Status" = CASE "CreatorID"
            WHEN 'ps:JOB-1:printed:0' THEN 'SendingError' ELSE 'DeliveryFailed' END
           WHERE "CreatorID" IN ('ps:JOB-1:printed:0', 'ps:JOB-3:printed:0')"""
    )
    for replica in replicas * 2:  # both replicas tick, twice each
        replica.tick(ReconnectingConnection(dsn, replica._stopping))
    rows = db.execute(
        "SELECT station, type, job_id, code FROM operator_events ORDER BY job_id"
    ).fetchall()
    assert rows == [
        (STATION, "sms.failed", "JOB-1", "SendingError"),
        (STATION, "sms.failed", "JOB-3", "DeliveryFailed"),
    ]
    for status in ("SendingError", "DeliveryFailed"):
        assert sum(failed_total(replica, status) for replica in replicas) == 1.0
    capsys.readouterr()  # the ticks' log lines
    assert main(["--database", dsn, "sms", "--failed"]) == SMS_FAILED
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "+6281200000001  JOB-1 printed SendingError",
        "+6281200000003  JOB-3 printed DeliveryFailed",
    ]
    assert all("e-KTP Anda sudah jadi" in line for line in lines)
