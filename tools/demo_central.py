"""`make demo-central`: the station prints a few cards and the central office texts each citizen.

Starts mosquitto on a free port, a PostgreSQL database of its own on 127.0.0.1:5432 (made,
migrated with Gammu's schema, dropped at the end), gammu-smsd with its dummy phone (no modem),
two replicas of `printstation-central run`, and the station with the virtual printer; the
office's job publisher records each citizen's phone and pickup office and publishes five jobs;
when the cards are printed, it prints the fleet view and the SMS texts Gammu sent. Everything
it writes goes to ./demo-out/central/.
"""

from __future__ import annotations

import shutil
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from central.fleet import fleet_rows, table
from central.migrate import GAMMU_SCHEMA, migrate
from contract.topics import DEFAULT_ROOT, Topics
from testkit.broker import Broker
from testkit.central import CentralReplica, GammuSmsd
from testkit.jobs import make_job, payload
from testkit.station_process import STATION, StationProcess, StationSettings

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "demo-out" / "central"
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
CITIZENS = [
    ("+6281211110001", "Kecamatan Bogor Timur", "Senin 08.00-10.00"),
    ("+6281211110002", "Kecamatan Bogor Timur", None),
    ("+6281211110003", "Kelurahan Baranangsiang", "Selasa 13.00-15.00"),
    ("+6281211110004", "Kecamatan Bogor Timur", None),
    ("+6281211110005", "Kelurahan Katulampa", "Rabu 09.00-11.00"),
]


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    name = f"central_demo_{uuid.uuid4().hex[:8]}"
    dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={name}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    broker = Broker.plain(OUT / "broker")
    parts: list = []
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            migrate(conn, GAMMU_SCHEMA)
            for n, (phone, office, slot) in enumerate(CITIZENS, start=1):
                conn.execute(
                    "INSERT INTO citizen_jobs (job_id, phone, pickup_office, pickup_slot,"
                    " station) VALUES (%s, %s, %s, %s, %s)",
                    (f"JOB-2026-{n:06d}", phone, office, slot, STATION),
                )
        broker.start()
        parts.append(GammuSmsd(OUT / "gammu", name))
        for replica in ("central-a", "central-b"):
            parts.append(CentralReplica(OUT, dsn, broker.port, replica))
            parts[-1].start()
        time.sleep(2)  # the replicas subscribe before the first event
        station = StationProcess(OUT / "station", StationSettings(mqtt_port=broker.port))
        station.start()
        station.wait_ready()
        parts.append(station)
        with psycopg.connect(dsn, autocommit=True) as conn:
            wait_for(conn, "SELECT count(*) > 0 FROM station_status", 30)  # the station is online
        office = mqtt.Client(CallbackAPIVersion.VERSION2, "office", protocol=mqtt.MQTTv5)
        office.connect("127.0.0.1", broker.port)
        office.loop_start()
        for n in range(1, len(CITIZENS) + 1):
            topic = Topics(DEFAULT_ROOT, STATION).job
            office.publish(topic, payload(make_job(n)), qos=1).wait_for_publish()
        office.disconnect()
        office.loop_stop()
        with psycopg.connect(dsn, autocommit=True) as conn:
            sent = wait_for_sms(conn, len(CITIZENS))
            print("\nFleet view (printstation-central fleet):")
            print(table(fleet_rows(conn), datetime.now(UTC)))
        print(f"\nSMS sent by gammu-smsd ({len(sent)}):")
        for number, status, text in sent:
            print(f"  {number} [{status}] {text}")
        return 0
    finally:
        for part in reversed(parts):
            part.stop()
        broker.terminate()
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def wait_for(conn: psycopg.Connection, query: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not conn.execute(query).fetchone()[0] and time.monotonic() < deadline:
        time.sleep(0.1)


def wait_for_sms(conn: psycopg.Connection, count: int, timeout_s: float = 120) -> list:
    deadline = time.monotonic() + timeout_s
    while True:
        rows = conn.execute(
            'SELECT "DestinationNumber", "Status", "TextDecoded" FROM sentitems ORDER BY "ID"'
        ).fetchall()
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
