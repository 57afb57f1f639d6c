"""`printstation-central`: run a replica, migrate, the fleet view, the SMS sent, mark collected.

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
from central.migrate import migrate
from central.options import ConfigError, add_options, resolve
from central.service import Service, ServiceSettings
from central.sms import ReminderSchedule, SmsKind
from central.store import mark_collected
from logsetup import configure_logging

CONFIG_ERROR = 3  # a wrong setting: the unit's RestartPreventExitStatus (a restart cannot fix it)


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
    sms.add_argument("--failed", action="store_true", help="only those the gateway failed to send")
    col = sub.add_parser("collected", help="mark a job's card collected (stops reminders)")
    col.add_argument("job_id")
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
    except (psycopg.Error, ValueError, FileNotFoundError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"printstation-central: {first}", file=sys.stderr)  # psycopg adds the SQL below
        return 1


def _run(args: argparse.Namespace) -> int:
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
        reminders=ReminderSchedule.days(args.reminder_days),
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
            for failed in failed_sms(conn):
                print(f"{failed.phone}  {failed.job_id} {failed.status}: {failed.text}")
            return 0
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


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


COMMANDS = {"run": _run, "migrate": _migrate, "fleet": _fleet, "sms": _sms, "collected": _collected}
