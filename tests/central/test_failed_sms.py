"""SMS the gateway gave up on are seen: `printstation-central sms --failed` lists them (exit 3)
and `central_sms_failed` counts them. The dummy phone sends everything, so the failed rows are
written into Gammu's real `sentitems` table as gammu-smsd writes them (its schema, its status
values)."""

from __future__ import annotations

import psycopg
from prometheus_client import CollectorRegistry, generate_latest

from central.cli import main
from central.gateway import FailedSmsCollector


def sent(db: psycopg.Connection, creator: str, status: str) -> None:
    db.execute(
        'INSERT INTO sentitems ("DestinationNumber", "SenderID", "Status", "CreatorID",'
        ' "Text", "UDH", "TextDecoded", "Coding", "SequencePosition") VALUES'
        " ('+6281200000001', 'dummy', %s, %s, '', '', 'e-KTP Anda sudah jadi.',"
        " 'Default_No_Compression', 1)",
        (status, creator),
    )


def test_failed_sms_are_listed_and_counted(dsn, db, capsys) -> None:
    assert main(["--database", dsn, "sms", "--failed"]) == 0
    sent(db, "ps:JOB-1:printed:0", "SendingOKNoReport")
    sent(db, "ps:JOB-2:printed:0", "SendingError")
    sent(db, "ps:JOB-3:reminder:1", "DeliveryFailed")
    sent(db, "someone-else", "SendingError")  # not ours
    assert main(["--database", dsn, "sms", "--failed"]) == 3
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ", 2)[2] for line in lines] == [
        "JOB-2:printed:0: SendingError",
        "JOB-3:reminder:1: DeliveryFailed",
    ]
    registry = CollectorRegistry()
    registry.register(FailedSmsCollector(lambda: psycopg.connect(dsn)))
    scrape = generate_latest(registry).decode()
    assert 'central_sms_failed{gammu_status="SendingError"} 1.0' in scrape
    assert 'central_sms_failed{gammu_status="DeliveryFailed"} 1.0' in scrape
    assert 'central_sms_failed{gammu_status="Error"} 0.0' in scrape
