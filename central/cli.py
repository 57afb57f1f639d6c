"""`printstation-central`: run a replica, migrate, the fleet view, the SMS sent, mark collected,
the month's blanks report.

Settings come from the command line, each with an environment default (PRINTSTATION_CENTRAL_*).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import structlog
from prometheus_client import start_http_server

from central.consumer import ConsumerSettings
from central.fleet import FleetCollector, fleet_rows, table
from central.gaps import GapPolicy
from central.migrate import GAMMU_SCHEMA, migrate
from central.report import as_csv, month_bounds, month_rows
from central.service import Service, ServiceSettings
from central.sms import ReminderSchedule, SmsKind
from central.store import mark_collected
from contract.topics import DEFAULT_ROOT

ENV = "PRINTSTATION_CENTRAL_"
log = structlog.get_logger("central")


def _env(name: str, default: str) -> str:
    return os.environ.get(ENV + name.upper(), default)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="printstation-central", description=__doc__)
    main.add_argument(
        "--database", default=_env("database", "dbname=central"), help="PostgreSQL DSN"
    )
    sub = main.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one replica")
    run.add_argument("--mqtt-host", default=_env("mqtt_host", "127.0.0.1"))
    run.add_argument("--mqtt-port", type=int, default=int(_env("mqtt_port", "1883")))
    run.add_argument("--root", default=_env("root", DEFAULT_ROOT))
    run.add_argument("--replica", default=_env("replica", "central-1"), help="stable client id")
    run.add_argument("--gap-grace-s", type=float, default=5.0)
    run.add_argument("--gap-retry-s", type=float, default=30.0)
    run.add_argument("--max-replays", type=int, default=3)
    run.add_argument("--reminder-days", default="30,90,180", help="days after printing")
    run.add_argument("--max-batch", type=int, default=500)
    run.add_argument("--metrics-port", type=int, default=0, help="Prometheus port (0: none)")
    mig = sub.add_parser("migrate", help="create or update the tables (and Gammu's)")
    mig.add_argument("--gammu-schema", type=Path, default=GAMMU_SCHEMA)
    mig.add_argument("--no-gammu", action="store_true", help="Gammu's tables live elsewhere")
    sub.add_parser("fleet", help="every station's last status, as a table")
    sub.add_parser("sms", help="the SMS handed to the gateway, oldest first")
    col = sub.add_parser("collected", help="mark a job's card collected (stops reminders)")
    col.add_argument("job_id")
    rep = sub.add_parser("report", help="a month's blanks per kecamatan from the events, CSV")
    rep.add_argument("month", help="YYYY-MM")
    rep.add_argument("--timezone", default=_env("timezone", "Asia/Jakarta"))
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (psycopg.OperationalError, ValueError, FileNotFoundError) as exc:
        print(f"printstation-central: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    days = tuple(float(d) for d in args.reminder_days.split(","))
    settings = ServiceSettings(
        dsn=args.database,
        mqtt=ConsumerSettings(
            host=args.mqtt_host, port=args.mqtt_port, root=args.root, client_id=args.replica
        ),
        gaps=GapPolicy(
            grace=_seconds(args.gap_grace_s),
            retry=_seconds(args.gap_retry_s),
            max_replays=args.max_replays,
        ),
        reminders=ReminderSchedule.days(days),
        max_batch=args.max_batch,
    )
    service = Service(settings)
    if args.metrics_port:
        service.metrics.registry.register(
            FleetCollector(lambda: psycopg.connect(args.database), service.clock.now)
        )
        start_http_server(args.metrics_port, registry=service.metrics.registry)
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    service.start()
    log.info("central_started", replica=args.replica)
    done.wait()
    service.stop()
    return 0


def _migrate(args: argparse.Namespace) -> int:
    with psycopg.connect(args.database, autocommit=True) as conn:
        applied = migrate(conn, None if args.no_gammu else args.gammu_schema)
    print(f"applied {applied or 'nothing: up to date'}")
    return 0


def _fleet(args: argparse.Namespace) -> int:
    with psycopg.connect(args.database) as conn:
        print(table(fleet_rows(conn), datetime.now(UTC)))
    return 0


def _sms(args: argparse.Namespace) -> int:
    with psycopg.connect(args.database) as conn:
        for job_id, kind, ordinal, phone, text in conn.execute(
            "SELECT job_id, kind, ordinal, phone, text FROM sms_log ORDER BY id"
        ):
            shown = kind if kind == SmsKind.PRINTED else f"{kind} {ordinal}"
            print(f"{phone}  {job_id} {shown}: {text}")
    return 0


def _collected(args: argparse.Namespace) -> int:
    with psycopg.connect(args.database, autocommit=True) as conn:
        if not mark_collected(conn, args.job_id, datetime.now(UTC)):
            print(f"printstation-central: no job {args.job_id!r}", file=sys.stderr)
            return 1
    return 0


def _report(args: argparse.Namespace) -> int:
    since, until = month_bounds(args.month, ZoneInfo(args.timezone))
    with psycopg.connect(args.database) as conn:
        print(as_csv(month_rows(conn, since, until)), end="")
    return 0


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


COMMANDS = {
    "run": _run,
    "migrate": _migrate,
    "fleet": _fleet,
    "sms": _sms,
    "collected": _collected,
    "report": _report,
}
