"""SMS the gateway gave up on are seen: once a replica's tick has recorded them,
`printstation-central sms --failed` lists them (exit 4) and
`printstation_central_sms_failed_total` counts them; an SMS not ours is neither. The dummy phone
sends everything, so the failed rows are written into Gammu's real `sentitems` table as
gammu-smsd writes them (its schema, its status values)."""

from __future__ import annotations

import psycopg

from central.cli import SMS_FAILED, main
from central.consumer import ConsumerSettings
from central.service import ReconnectingConnection, Service, ServiceSettings
from contract.clock import ManualClock
from tests.central.test_store import NOW


def sent(db: psycopg.Connection, creator: str, status: str) -> None:
    db.execute(
        'INSERT INTO sentitems ("DestinationNumber", "SenderID", "Status", "CreatorID",'
        ' "Text", "UDH", "TextDecoded", "Coding", "SequencePosition") VALUES'
        " ('+6281200000001', 'dummy', %s, %s, '', '', 'e-KTP Anda sudah jadi.',"
        " 'Default_No_Compression', 1)",
        (status, creator),
    )


def test_failed_sms_are_listed_and_counted(dsn, db, capsys) -> None:
    replica = Service(ServiceSettings(dsn, ConsumerSettings()), ManualClock(NOW))
    assert main(["--database", dsn, "sms", "--failed"]) == 0
    sent(db, "ps:JOB-1:printed:0", "SendingOKNoReport")
    sent(db, "ps:JOB-2:printed:0", "SendingError")
    sent(db, "ps:JOB-3:reminder:1", "DeliveryFailed")
    sent(db, "someone-else", "SendingError")  # not ours
    replica.tick(ReconnectingConnection(dsn, replica._stopping))
    capsys.readouterr()  # the tick's log lines
    assert main(["--database", dsn, "sms", "--failed"]) == SMS_FAILED
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == [
        "JOB-2 printed SendingError: ",
        "JOB-3 reminder 1 DeliveryFailed: ",
    ]
    scrape = {
        status: replica.metrics.registry.get_sample_value(
            "printstation_central_sms_failed_total", {"gateway_status": status}
        )
        for status in ("SendingError", "DeliveryFailed", "Error")
    }
    assert scrape == {"SendingError": 1.0, "DeliveryFailed": 1.0, "Error": 0.0}
