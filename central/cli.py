"""`printstation-central`: run a replica, migrate, the fleet view, the SMS sent, mark collected,
the month's blanks report.

Each setting comes from the command line, the environment (PRINTSTATION_CENTRAL_*) or the
config file (--config), in that order (central/options.py).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

import psycopg

from central import __version__
from central.consumer import ConsumerSettings
from central.daemon import Daemon
from central.failures import failed_sms
from central.fleet import fleet_rows, table
from central.gaps import GapPolicy
from central.intake import TimeWindow
from central.migrate import migrate
from central.options import ConfigError, add_options, resolve
from central.report import as_csv, month_bounds, month_rows
from central.service import Service, ServiceSettings
from central.sms import ReminderSchedule, SmsKind
from central.store import mark_collected
from logsetup import configure_logging

CONFIG_ERROR = 3  # a wrong setting: the unit's RestartPreventExitStatus (a restart cannot fix it)
SMS_FAILED = 4  # `sms --failed` listed at least one (distinct from a wrong setting's 3)


def parser() -> argparse.ArgumentParser:
    """The commands and their options (central.options: each also from the environment and the
    config file); every help line shows the default, the variable and the key."""
    main = argparse.ArgumentParser(prog="printstation-central", description=__doc__)
    main.add_argument("--version", action="version", version=__version__)
    add_options(main, None)
    sub = main.add_subparsers(dest="command", required=True)
    add_options(sub.add_parser("run", help="run one replica"), "run")
    migrate_parser = sub.add_parser("migrate", help="create or update the tables (and Gammu's)")
    add_options(migrate_parser, "migrate")
    sub.add_parser("fleet", help="every station's last status, as a table")
    sms = sub.add_parser("sms", help="the SMS handed to the gateway, oldest first")
    sms.add_argument(
        "--failed",
        action="store_true",
        help=f"only those the gateway failed to send (exit {SMS_FAILED} if there is any)",
    )
    col = sub.add_parser("collected", help="mark a job's card collected (stops reminders)")
    col.add_argument("job_id")
    rep = sub.add_parser("report", help="a month's blanks per kecamatan from the events, CSV")
    rep.add_argument("month", help="YYYY-MM")
    add_options(rep, "report")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        resolve(args)
    except ConfigError as error:
        for problem in error.problems:
            print(f"printstation-central: {problem}", file=sys.stderr)
        return CONFIG_ERROR
    configure_logging(args.log_level, args.log_format)
    try:
        return COMMANDS[args.command](args)
    except (psycopg.Error, ValueError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"printstation-central: {first}", file=sys.stderr)  # psycopg adds the SQL below
        return 1


def _run(args: argparse.Namespace) -> int:
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
        reminders=ReminderSchedule.days(args.reminder_days),
        window=TimeWindow(
            past=timedelta(days=args.max_event_age_days),
            ahead=_seconds(args.max_clock_ahead_s),
        ),
        zone=args.office_zone,
        max_batch=args.max_batch,
    )
    return Daemon(Service(settings), args).run()


def _migrate(args: argparse.Namespace) -> int:
    with psycopg.connect(args.database, autocommit=True) as conn:
        applied = migrate(conn, args.gammu_schema if args.gammu else None)
    print(f"applied {applied or 'nothing: up to date'}")
    return 0


def _fleet(args: argparse.Namespace) -> int:
    with psycopg.connect(args.database) as conn:
        print(table(fleet_rows(conn), datetime.now(UTC)))
    return 0


def _sms(args: argparse.Namespace) -> int:
    with psycopg.connect(args.database) as conn:
        if args.failed:
            failed = failed_sms(conn)
            for sms in failed:
                shown = _which(sms.kind, sms.ordinal)
                print(f"{sms.phone}  {sms.job_id} {shown} {sms.status}: {sms.text}")
            return SMS_FAILED if failed else 0
        for job_id, kind, ordinal, phone, text in conn.execute(
            "SELECT job_id, kind, ordinal, phone, text FROM sms_log ORDER BY id"
        ):
            print(f"{phone}  {job_id} {_which(kind, ordinal)}: {text}")
    return 0


def _which(kind: str, ordinal: int) -> str:
    """Which SMS of a job: `printed`, or `reminder N`."""
    return kind if kind == SmsKind.PRINTED else f"{kind} {ordinal}"


def _collected(args: argparse.Namespace) -> int:
    with psycopg.connect(args.database, autocommit=True) as conn:
        if not mark_collected(conn, args.job_id, datetime.now(UTC)):
            print(f"printstation-central: no job {args.job_id!r}", file=sys.stderr)
            return 1
    return 0


def _report(args: argparse.Namespace) -> int:
    try:
        since, until = month_bounds(args.month, args.timezone)
    except ValueError as exc:
        print(f"printstation-central: {exc}", file=sys.stderr)
        return 2
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
