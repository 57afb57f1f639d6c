"""`printstation`'s commands for named people and the blanks' books (docs/blanks.md): their
arguments, the request each sends, and the text each prints."""

from __future__ import annotations

import argparse
import csv
import getpass
import io
from collections.abc import Callable
from dataclasses import fields
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from contract.periods import report_window
from contract.vocabulary import CommandName, Consumable, Role
from controller.app.language import _
from controller.app.report_page import books_page
from controller.queue.lots import LotBooks

Subcommand = Callable[[str, str], argparse.ArgumentParser]
CONSUMABLES = [consumable.value for consumable in Consumable]
BOOKS_COLUMNS = tuple(field.name for field in fields(LotBooks))


def add_commands(command: Subcommand) -> None:
    account = command(
        CommandName.ACCOUNT_ADD, _("add a named person's account (root or a supervisor)")
    )
    account.add_argument("name", help=_("the account's name"))
    account.add_argument("--full-name", required=True, help=_("the person's full name"))
    account.add_argument(
        "--role", required=True, choices=[role.value for role in Role], help=_("what they may do")
    )
    account.add_argument("--unix-user", help=_("the person's login at the kiosk"))
    password = command(
        CommandName.ACCOUNT_PASSWORD,
        _("set a person's password for the web page (root, a supervisor, or the person; unlocks)"),
    )
    password.add_argument("name", help=_("the account"))
    command(CommandName.ACCOUNT_LIST, _("list the accounts and who is on duty"))
    duty = command(CommandName.ON_DUTY, _("set the operator on duty (the panel acts for them)"))
    duty.add_argument("name", help=_("the account on duty"))
    receive = command(CommandName.LOT_RECEIVE, _("record a lot delivered (you sign it)"))
    receive.add_argument("consumable", choices=CONSUMABLES)
    receive.add_argument("lot", help=_("the lot number on the delivery"))
    receive.add_argument("quantity", type=int, help=_("how many (cards' worth)"))
    receive.add_argument("--received-on", default=date.today().isoformat(), help=_("YYYY-MM-DD"))
    receive.add_argument(
        "--new-share", type=int, help=_("percent of the lot reserved for new cards (a quota)")
    )
    sign = command(CommandName.LOT_COUNTERSIGN, _("countersign a lot received (a supervisor)"))
    sign.add_argument("consumable", choices=CONSUMABLES)
    sign.add_argument("lot")
    adjust = command(CommandName.LOT_ADJUST, _("correct a lot's books (lowering: a supervisor)"))
    adjust.add_argument("consumable", choices=CONSUMABLES)
    adjust.add_argument("delta", type=int, help=_("signed: -2 for two blanks missing"))
    adjust.add_argument("--reason", required=True, help=_("why (kept in the books)"))
    adjust.add_argument("--lot", help=_("the lot (default: the oldest in stock)"))
    destroy = command(
        CommandName.DESTROY_SPOILED, _("record spoiled blanks destroyed (a supervisor)")
    )
    destroy.add_argument("count", type=int, help=_("how many, oldest in custody first"))
    destroy.add_argument("--witness", required=True, help=_("the second official's account"))
    destroy.add_argument("--destroyed-on", default=date.today().isoformat(), help=_("YYYY-MM-DD"))
    collect = command(CommandName.COLLECT, _("record a printed card handed to the citizen"))
    collect.add_argument("job_id")
    report = command(CommandName.BLANKS_REPORT, _("the blanks' books per lot for a day or a month"))
    report.add_argument("period", nargs="?", help=_("YYYY-MM-DD or YYYY-MM (default: all time)"))
    form = report.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help=_("CSV instead of a table"))
    form.add_argument("--html", action="store_true", help=_("a page to print and sign"))


def request_args(args: argparse.Namespace, zone: ZoneInfo) -> dict[str, Any] | None:
    """The request's arguments for one of these commands (None: not one of them)."""
    shown: dict[str, tuple[str, ...]] = {
        CommandName.ACCOUNT_ADD: ("name", "full_name", "role", "unix_user"),
        CommandName.ACCOUNT_LIST: (),
        CommandName.ON_DUTY: ("name",),
        CommandName.LOT_RECEIVE: ("consumable", "lot", "quantity", "received_on", "new_share"),
        CommandName.LOT_COUNTERSIGN: ("consumable", "lot"),
        CommandName.LOT_ADJUST: ("consumable", "delta", "reason", "lot"),
        CommandName.DESTROY_SPOILED: ("count", "witness", "destroyed_on"),
        CommandName.COLLECT: ("job_id",),
    }
    if args.command == CommandName.BLANKS_REPORT:
        try:
            return report_window(args.period, zone) if args.period else {}
        except ValueError:
            text = _("period %(period)r is not YYYY-MM-DD or YYYY-MM")
            raise argparse.ArgumentTypeError(text % {"period": args.period}) from None
    if args.command == CommandName.ACCOUNT_PASSWORD:
        return {"name": args.name, "password": new_password()}
    if args.command not in shown:
        return None
    return {key: value for key in shown[args.command] if (value := getattr(args, key)) is not None}


def new_password() -> str:
    """A password typed twice, not echoed."""
    password = getpass.getpass(_("new password: "))
    if getpass.getpass(_("again: ")) != password:
        raise argparse.ArgumentTypeError(_("the two passwords differ"))
    return password


def result_text(
    command: str, result: dict[str, Any], form: str = "table", heading: str = ""
) -> str | None:
    """What one of these commands prints (None: not one of them); the report as a `table`,
    `csv` or `html` (a printable page under `heading`)."""
    if command == CommandName.BLANKS_REPORT:
        if form == "html":
            return books_page(result, BOOKS_COLUMNS, heading)
        return books_csv(result["lots"]) if form == "csv" else books_table(result)
    if command == CommandName.ACCOUNT_LIST:
        lines = [
            f"{a['name']:<16} {a['role']:<10} {a.get('unix_user') or '-':<12} {a['full_name']}"
            for a in result["accounts"]
        ]
        nobody = {"on_duty": result.get("on_duty") or _("nobody")}
        return "\n".join([*lines, _("on duty: %(on_duty)s") % nobody])
    texts = {
        CommandName.ACCOUNT_ADD: _("account %(added)s added (%(role)s)"),
        CommandName.ON_DUTY: _("on duty: %(on_duty)s (%(full_name)s)"),
        CommandName.ACCOUNT_PASSWORD: _("password set for %(account)s"),
        CommandName.LOT_RECEIVE: _(
            "lot %(lot)s: %(quantity)s received by %(received_by)s;"
            " in stock once a supervisor countersigns it"
        ),
        CommandName.LOT_COUNTERSIGN: _(
            "lot %(lot)s countersigned by %(countersigned_by)s: in stock"
        ),
        CommandName.LOT_ADJUST: _("lot %(lot)s adjusted by %(delta)+d (%(by)s)"),
        CommandName.DESTROY_SPOILED: _(
            "destruction record %(record)s: %(count)s spoiled blanks (jobs %(job_list)s)"
        ),
        CommandName.COLLECT: _("job %(job_id)s: card handed over (%(collected_by)s)"),
    }
    text = texts.get(command)
    return (
        None
        if text is None
        else text % {**result, "job_list": ", ".join(result.get("job_ids", ()))}
    )


def books_table(result: dict[str, Any]) -> str:
    rows = [[str(lot.get(column, "")) for column in BOOKS_COLUMNS] for lot in result["lots"]]
    header = [column.upper().replace("_", " ") for column in BOOKS_COLUMNS]  # as the CSV's
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in [header, *rows]]  # fmt: skip
    custody = result.get("in_custody") or []
    lines.append(_("spoiled blanks in custody: %(count)s") % {"count": len(custody)})
    lines.extend(f"  {spoiled_at}  {job_id}  {cause}" for spoiled_at, job_id, cause in custody)
    return "\n".join(lines)


def books_csv(lots: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, BOOKS_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(lots)
    return out.getvalue().rstrip("\n")
