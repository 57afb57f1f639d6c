"""`printstation-central`: run a replica, migrate, the fleet view, the SMS sent, mark collected,
the month's blanks report.

Settings come from the command line, each with an environment default (PRINTSTATION_CENTRAL_*).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
import structlog
from prometheus_client import start_http_server

from central.consumer import ConsumerSettings
from central.fleet import FleetCollector, fleet_rows, table
from central.gaps import GapPolicy
from central.gateway import CREATOR_PREFIX, FailedSmsCollector, GammuOutbox
from central.intake import TimeWindow
from central.migrate import GAMMU_SCHEMA, migrate
from central.report import as_csv, month_bounds, month_rows
from central.service import Service, ServiceSettings
from central.sms import ReminderSchedule, SmsKind
from central.store import mark_collected
from contract.topics import DEFAULT_ROOT

ENV = "PRINTSTATION_CENTRAL_"
log = structlog.get_logger("central")


def _option(
    parser: argparse.ArgumentParser, flag: str, default: object, help: str, **kwargs: Any
) -> None:
    """`flag` with its default from PRINTSTATION_CENTRAL_{FLAG} when set (argparse converts a
    text default with `type`, so a bad value is refused like one given on the command line)."""
    env = ENV + flag.removeprefix("--").replace("-", "_").upper()
    value = os.environ.get(env, default)
    parser.add_argument(flag, default=value, help=f"{help} [env {env}]", **kwargs)


def parser() -> argparse.ArgumentParser:
    formatter = argparse.ArgumentDefaultsHelpFormatter
    main = argparse.ArgumentParser(
        prog="printstation-central", description=__doc__, formatter_class=formatter
    )
    _option(main, "--database", "dbname=central", "PostgreSQL DSN")
    sub = main.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one replica", formatter_class=formatter)
    _option(run, "--mqtt-host", "127.0.0.1", "the broker's host")
    _option(run, "--mqtt-port", 1883, "the broker's port", type=int)
    _option(run, "--mqtt-ca", None, "CA certificate file: TLS to the broker", type=Path)
    _option(run, "--mqtt-cert", None, "client certificate file (with --mqtt-key)", type=Path)
    _option(run, "--mqtt-key", None, "client certificate's key file", type=Path)
    _option(run, "--mqtt-username", None, "broker account (the shipped ACL: the replica's id)")
    _option(run, "--mqtt-password-file", None, "file holding the account's password", type=Path)
    _option(run, "--root", DEFAULT_ROOT, "the stations' topic root")
    _option(run, "--replica", "central-1", "stable client id of this replica")
    _option(run, "--gap-grace-s", 5.0, "seconds a missing seq may be late", type=float)
    _option(run, "--gap-retry-s", 30.0, "seconds between replays of one gap", type=float)
    _option(run, "--max-replays", 3, "replays of a gap before it is reported", type=int)
    _option(run, "--reminder-days", "30,90,180", "reminders, days after receipt")
    _option(run, "--max-batch", 500, "messages per transaction", type=int)
    _option(run, "--office-zone", "Asia/Jakarta", "time zone of the dates in an SMS", type=_zone)
    _option(run, "--max-event-age-days", 1100.0, "oldest event time taken", type=float)
    _option(run, "--max-clock-ahead-s", 86400.0, "event time ahead of receipt", type=float)
    _option(run, "--metrics-addr", "127.0.0.1", "address of the Prometheus endpoint")
    _option(run, "--metrics-port", 0, "Prometheus port (0: none)", type=int)
    mig = sub.add_parser("migrate", help="create or update the tables (and Gammu's)")
    _option(mig, "--gammu-schema", GAMMU_SCHEMA, "Gammu's SQL schema file", type=Path)
    mig.add_argument("--no-gammu", action="store_true", help="Gammu's tables live elsewhere")
    sub.add_parser("fleet", help="every station's last status, as a table")
    sms = sub.add_parser("sms", help="the SMS handed to the gateway, oldest first")
    sms.add_argument("--failed", action="store_true", help="only those the gateway gave up on")
    col = sub.add_parser("collected", help="mark a job's card collected (stops reminders)")
    col.add_argument("job_id")
    rep = sub.add_parser("report", help="a month's blanks per kecamatan from the events, CSV")
    rep.add_argument("month", help="YYYY-MM")
    _option(rep, "--timezone", "Asia/Jakarta", "the zone the month is counted in", type=_zone)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (psycopg.OperationalError, ValueError, OSError) as exc:
        print(f"printstation-central: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    days = tuple(float(d) for d in args.reminder_days.split(","))
    password = None
    if args.mqtt_password_file is not None:
        password = args.mqtt_password_file.read_text().strip()
    settings = ServiceSettings(
        dsn=args.database,
        mqtt=ConsumerSettings(
            host=args.mqtt_host,
            port=args.mqtt_port,
            root=args.root,
            client_id=args.replica,
            ca=args.mqtt_ca,
            cert=args.mqtt_cert,
            key=args.mqtt_key,
            username=args.mqtt_username,
            password=password,
        ),
        gaps=GapPolicy(
            grace=_seconds(args.gap_grace_s),
            retry=_seconds(args.gap_retry_s),
            max_replays=args.max_replays,
        ),
        reminders=ReminderSchedule.days(days),
        window=TimeWindow(
            past=timedelta(days=args.max_event_age_days),
            ahead=_seconds(args.max_clock_ahead_s),
        ),
        zone=args.office_zone,
        max_batch=args.max_batch,
    )
    service = Service(settings)
    if args.metrics_port:
        connect = partial(psycopg.connect, args.database)
        service.metrics.registry.register(FleetCollector(connect, service.clock.now))
        service.metrics.registry.register(FailedSmsCollector(connect))
        start_http_server(args.metrics_port, args.metrics_addr, registry=service.metrics.registry)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: service.finished.set())
    service.start()
    log.info("central_started", replica=args.replica)
    service.finished.wait()
    service.stop()
    return 1 if service.failed else 0


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
    if args.failed:
        return _failed_sms(args)
    with psycopg.connect(args.database) as conn:
        for job_id, kind, ordinal, phone, text in conn.execute(
            "SELECT job_id, kind, ordinal, phone, text FROM sms_log ORDER BY id"
        ):
            shown = kind if kind == SmsKind.PRINTED else f"{kind} {ordinal}"
            print(f"{phone}  {job_id} {shown}: {text}")
    return 0


def _failed_sms(args: argparse.Namespace) -> int:
    """The SMS Gammu could not send or deliver; exit 3 if there is any."""
    with psycopg.connect(args.database) as conn:
        failed = GammuOutbox().failed(conn)
    for sms in failed:
        when = sms.sent_at.isoformat(sep=" ")
        print(f"{when}  {sms.phone}  {sms.creator.removeprefix(CREATOR_PREFIX)}: {sms.status}")
    return 3 if failed else 0


def _collected(args: argparse.Namespace) -> int:
    with psycopg.connect(args.database, autocommit=True) as conn:
        if not mark_collected(conn, args.job_id, datetime.now(UTC)):
            print(f"printstation-central: no job {args.job_id!r}", file=sys.stderr)
            return 1
    return 0


def _report(args: argparse.Namespace) -> int:
    since, until = month_bounds(args.month, args.timezone)
    with psycopg.connect(args.database) as conn:
        print(as_csv(month_rows(conn, since, until)), end="")
    return 0


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"no time zone {name!r}") from None


COMMANDS = {
    "run": _run,
    "migrate": _migrate,
    "fleet": _fleet,
    "sms": _sms,
    "collected": _collected,
    "report": _report,
}
