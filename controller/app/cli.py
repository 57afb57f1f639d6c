"""`printstation`: run the daemon, or act on the running one through its control socket."""

from __future__ import annotations

import argparse
import base64
import json
import os
import sqlite3
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from contract.commands import CommandReply, JobsResult
from contract.shapes import BadMessage
from contract.status import Status
from contract.vocabulary import (
    CommandErrorCode,
    CommandName,
    Consumable,
    LogLevel,
    Resolution,
)
from controller import __version__
from controller.app import custody_cli, virtual_printer_cli
from controller.app.config import Config, ConfigError, load_config
from controller.app.language import _, problem_line, refusal_text, speak_for_argparse
from controller.app.tables import action_text, jobs_text, status_text
from controller.core.commands import MAX_RELOAD
from controller.local.client import DaemonNotRunning, request

DEFAULT_CONFIG = "/etc/printstation/station.toml"
CONFIG_ENV = "PRINTSTATION_CONFIG"  # the config when --config is not given
EXIT_USAGE, EXIT_CONFIG, EXIT_NOT_RUNNING, EXIT_REFUSED = 2, 3, 4, 5
VIRTUAL_PRINTER_COMMAND = "virtual-printer"


def build_parser() -> argparse.ArgumentParser:
    """The command line, its help and argparse's own lines in the person's language."""
    speak_for_argparse()
    parser = argparse.ArgumentParser(
        prog="printstation",
        description=_(
            "e-KTP print station: drives the card printer, keeps the job queue, "
            "talks MQTT to the central office."
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"printstation {__version__}",
        help=_("show the version and exit"),
    )
    config_help = _("station config (TOML); default $%(env)s, else %(default)s") % {
        "env": CONFIG_ENV,
        "default": DEFAULT_CONFIG,
    }
    parser.add_argument("--config", default=None, help=config_help)
    commands = parser.add_subparsers(dest="command", required=True, metavar=_("COMMAND"))

    def command(name: str, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        # Before or after the command: the one after wins; SUPPRESS keeps the one before.
        sub.add_argument("--config", default=argparse.SUPPRESS, help=config_help)
        return sub

    command("run", _("run the daemon in the foreground"))
    for name, text in (
        (CommandName.STATUS, _("show the running station's status")),
        (CommandName.JOBS, _("list active jobs (queued, printing, needs review)")),
    ):
        command(name, text).add_argument(
            "--json", action="store_true", help=_("print the daemon's JSON document (for scripts)")
        )
    command(CommandName.PAUSE, _("finish the card in progress, start no new one"))
    command(CommandName.RESUME, _("undo pause"))
    command("doctor", _("check config, state directory, printer, broker and GPIO"))
    backup = command("backup", _("copy the station's database (safe while the daemon runs)"))
    backup.add_argument("--to", type=Path, required=True, help=_("the new file"))
    resolve = command(CommandName.RESOLVE, _("decide a card whose outcome is unknown"))
    resolve.add_argument("job_id", help=_("the job"))
    resolve.add_argument(
        "outcome",
        choices=[outcome.value for outcome in Resolution],
        help=_("what became of the card"),
    )
    resolve.add_argument(
        "--reason", help=_("what you found (needed for not_printed when a blank was fed)")
    )
    reload = command(CommandName.RELOAD, _("record blanks, a ribbon or a film loaded by a person"))
    reload.add_argument(
        "consumable",
        choices=[consumable.value for consumable in Consumable],
        help=_("what was loaded"),
    )
    reload.add_argument("count", type=whole(0), help=_("how many are loaded now"))
    reload.add_argument("--capacity", type=whole(1), help=_("what a full load holds"))
    reload.add_argument("--lot", help=_("the lot number loaded"))
    reload.add_argument("--reason", help=_("why fewer blanks than the books (a supervisor)"))
    cancel = command(CommandName.CANCEL, _("cancel a queued job"))
    cancel.add_argument("job_id", help=_("the job"))
    submit = command(
        CommandName.SUBMIT, _("queue a job file (ektp.job/1 JSON) without the network")
    )
    submit.add_argument("job_file", type=Path, help=_("the job file"))
    custody_cli.add_commands(command)
    serve = _("serve the virtual printer on the network (socket://HOST:PORT)")
    served = commands.add_parser(VIRTUAL_PRINTER_COMMAND, help=serve, description=serve)
    virtual_printer_cli.add_arguments(served)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == VIRTUAL_PRINTER_COMMAND:
        return virtual_printer_cli.run(args)
    args.config = args.config or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG
    if args.command == "doctor":
        return _doctor(args.config)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        for error in exc.errors:
            line = problem_line(error)
            print(_("printstation: config error: %(problem)s") % {"problem": line}, file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "backup":
        from controller.app.backup import backup_database

        try:
            backup_database(config.db_path, args.to)
        except (OSError, sqlite3.Error) as exc:
            print(_("printstation: backup failed: %(problem)s") % {"problem": exc}, file=sys.stderr)
            return EXIT_REFUSED
        print(_("%(db)s backed up to %(to)s") % {"db": config.db_path, "to": args.to})
        return 0
    if args.command == "run":
        from controller.app.daemon import run_daemon
        from controller.app.instance import StartupError
        from controller.devices.panel.factory import PanelError
        from controller.queue.db import StoreError

        try:
            return run_daemon(config)
        except (StoreError, PanelError, StartupError) as exc:
            print(_("printstation: cannot start: %(problem)s") % {"problem": exc}, file=sys.stderr)
            return EXIT_CONFIG
    try:
        cmd, cmd_args = _local_request(args, ZoneInfo(config.duty.timezone))
    except (OSError, argparse.ArgumentTypeError) as exc:
        print(f"printstation: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        reply = request(config.control_socket, cmd, cmd_args)
    except DaemonNotRunning as exc:
        text = _(
            "printstation: %(problem)s; start it with 'systemctl start printstation' "
            "(or 'printstation --config %(config)s run' in the foreground)"
        )
        print(text % {"problem": exc, "config": args.config}, file=sys.stderr)
        return EXIT_NOT_RUNNING
    try:
        answer = CommandReply.from_body(reply)
        if answer.error is not None:
            why = refusal_text(answer.error)
            print(f"printstation: {answer.error.code}: {why}", file=sys.stderr)
            if cmd == CommandName.SUBMIT and answer.error.code == CommandErrorCode.UNKNOWN_COMMAND:
                text = _(
                    "printstation: submit is off; '[local] submit = true' in %(config)s"
                    " turns it on (then restart the daemon)"
                )
                print(text % {"config": args.config}, file=sys.stderr)
            return EXIT_REFUSED
        return _show(args, config, answer.result or {})
    except BadMessage as exc:
        text = _("printstation: the daemon's reply is not understood: %(problem)s")
        print(text % {"problem": exc}, file=sys.stderr)
        return EXIT_REFUSED


def _doctor(config_path: str) -> int:
    """The doctor's report and nothing else: what the parts it probes log (a failed connect,
    a pin factory's fallback) is in the report's lines already."""
    from controller.app.doctor import run_doctor
    from logsetup import configure_logging

    with open(os.devnull, "w") as nowhere, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        configure_logging(LogLevel.ERROR, "console", stream=nowhere)
        return run_doctor(config_path)


def _show(args: argparse.Namespace, config: Config, result: dict[str, Any]) -> int:
    """Print a command's result; a job the station refused (`submit`) exits non-zero."""
    zone = ZoneInfo(config.duty.timezone)
    if args.command == CommandName.STATUS and not args.json:
        print(status_text(Status.from_json(result), zone))
    elif args.command == CommandName.JOBS and not args.json:
        print(jobs_text(JobsResult.from_json(result), zone))
    elif text := _text_of(args, config, result):
        print(text)
    else:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.command == CommandName.SUBMIT and result.get("code"):
        text = _("printstation: job refused: %(code)s: %(message)s")
        print(
            text % {"code": result.get("code"), "message": result.get("message")}, file=sys.stderr
        )
        return EXIT_REFUSED
    return 0


def _text_of(args: argparse.Namespace, config: Config, result: dict[str, Any]) -> str | None:
    """The human text of a manual action's result (None: print the JSON)."""
    form = "csv" if getattr(args, "csv", False) else "html" if getattr(args, "html", False) else ""
    period = getattr(args, "period", None) or _("all time")
    heading = f"{config.station.id}, {period}"
    text = custody_cli.result_text(args.command, result, form or "table", heading)
    return text or action_text(args.command, result)


def whole(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number `low`-MAX_RELOAD (argparse names the option)."""

    def read(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = -1
        if not low <= value <= MAX_RELOAD:
            text = _("must be a whole number %(low)s-%(high)s")
            raise argparse.ArgumentTypeError(text % {"low": low, "high": MAX_RELOAD})
        return value

    return read


def _local_request(args: argparse.Namespace, zone: ZoneInfo) -> tuple[str, dict[str, Any]]:
    custody = custody_cli.request_args(args, zone)
    if custody is not None:
        return args.command, custody
    if args.command == CommandName.RESOLVE:
        reason = {"reason": args.reason} if args.reason is not None else {}
        return CommandName.RESOLVE, {"job_id": args.job_id, "outcome": args.outcome, **reason}
    if args.command == CommandName.RELOAD:
        if args.capacity is not None and args.capacity < args.count:
            raise argparse.ArgumentTypeError(_("--capacity must be at least COUNT"))
        extra = {
            key: value
            for key in ("capacity", "lot", "reason")
            if (value := getattr(args, key)) is not None
        }
        return CommandName.RELOAD, {"consumable": args.consumable, "count": args.count, **extra}
    if args.command == CommandName.CANCEL:
        return CommandName.CANCEL, {"job_id": args.job_id}
    if args.command == CommandName.SUBMIT:
        raw = args.job_file.read_bytes()
        return CommandName.SUBMIT, {"payload_b64": base64.b64encode(raw).decode()}
    return args.command, {}


if __name__ == "__main__":
    sys.exit(main())
