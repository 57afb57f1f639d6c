"""The local commands for named people and the blanks' custody (docs/blanks.md): accounts, the
operator on duty, lots received and countersigned, adjustments, destructions and the books.

Each runs on the core loop for the actor the control socket named; whoever signs must have an
account, and countersigning, lowering the books and destroying need a supervisor's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from contract.clock import parse_rfc3339, rfc3339
from contract.errors import CommandError
from contract.jobspec import JOB_ID
from contract.vocabulary import CommandErrorCode, CommandName, Consumable, Role
from controller.core.loop import Station
from controller.queue.accounts import Account, AccountError
from controller.queue.audit import Actor
from controller.queue.handover import HandoverRefused, record_collected
from controller.queue.lots import LotError, book_adjustment
from controller.said import said

ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")
NAME_MAX_CHARS = 100
LOT_MAX_CHARS = 64
REASON_MAX_CHARS = 200
MAX_QUANTITY = 1_000_000
INVALID_ARGS = CommandErrorCode.INVALID_ARGS
Command = Callable[[dict[str, Any]], Any]


class CustodyCommands:
    """`commands` to add to the station's local ones; `actor()` is who asks (on the loop)."""

    def __init__(self, station: Station, actor: Callable[[], Actor]) -> None:
        self._station, self._store, self._actor = station, station.store, actor
        self.commands: dict[str, Command] = {
            CommandName.ACCOUNT_ADD: self._account,
            CommandName.ACCOUNT_LIST: self._accounts,
            CommandName.ON_DUTY: self._duty,
            CommandName.LOT_RECEIVE: self._receive,
            CommandName.LOT_COUNTERSIGN: self._countersign,
            CommandName.LOT_ADJUST: self._adjust,
            CommandName.DESTROY_SPOILED: self._destroy,
            CommandName.BLANKS_REPORT: self._blanks,
            CommandName.COLLECT: self._collect,
        }

    def _account(self, args: dict[str, Any]) -> dict[str, Any]:
        actor = self._actor()
        if not actor.superuser:
            self.person(Role.SUPERVISOR, said("adding an account"))
        role, unix_user = args.get("role"), args.get("unix_user")
        if role not in tuple(Role):
            raise CommandError(
                INVALID_ARGS, said("role must be one of %(roles)s", roles=", ".join(Role))
            )
        if unix_user is not None and not _matches(ACCOUNT_NAME, unix_user):
            raise CommandError(INVALID_ARGS, said("unix_user must be a user name (useradd's)"))
        account = Account(
            _text(args, "name", 32, ACCOUNT_NAME),
            _text(args, "full_name", NAME_MAX_CHARS),
            Role(role),
            unix_user,
        )
        try:
            self._store.accounts.add(account, actor.person, self._station.clock.now())
        except AccountError as exc:
            raise CommandError(INVALID_ARGS, exc.args[0]) from None
        return {"added": account.name, "role": account.role}

    def _accounts(self, args: dict[str, Any]) -> dict[str, Any]:
        accounts = self._store.accounts
        return {"accounts": accounts.all(), "on_duty": accounts.on_duty()}

    def _duty(self, args: dict[str, Any]) -> dict[str, Any]:
        """The named operator on duty: the panel's buttons act for them from now."""
        if not self._actor().superuser:
            self.person(None, said("setting who is on duty"))
        try:
            account = self._store.accounts.set_on_duty(_text(args, "name", 32, ACCOUNT_NAME))
        except AccountError as exc:
            raise CommandError(INVALID_ARGS, exc.args[0]) from None
        return {"on_duty": account.name, "full_name": account.full_name}

    def _receive(self, args: dict[str, Any]) -> dict[str, Any]:
        operator = self.person(None, said("receiving a lot"))
        consumable, lot = _consumable(args), _text(args, "lot", LOT_MAX_CHARS)
        quantity, received_on = _count(args, "quantity", 1), _date(args, "received_on")
        share = args.get("new_share", 0)
        if not isinstance(share, int) or isinstance(share, bool) or not 0 <= share <= 100:
            raise CommandError(INVALID_ARGS, said("new_share must be a whole percentage 0-100"))
        with _as_args_error():
            self._store.lots.receive(
                consumable,
                lot,
                quantity,
                received_on,
                operator.name,
                self._station.clock.now(),
                share,
            )
        return {"lot": lot, "quantity": quantity, "received_by": operator.name}

    def _countersign(self, args: dict[str, Any]) -> dict[str, Any]:
        supervisor = self.person(Role.SUPERVISOR, said("countersigning a lot"))
        consumable, lot = _consumable(args), _text(args, "lot", LOT_MAX_CHARS)
        with _as_args_error():
            self._store.lots.countersign(
                consumable, lot, supervisor.name, self._station.clock.now()
            )
        return {"lot": lot, "countersigned_by": supervisor.name}

    def _adjust(self, args: dict[str, Any]) -> dict[str, Any]:
        """Correct a lot's books (a count in the store room): lowering them needs a supervisor."""
        delta = args.get("delta")
        if not isinstance(delta, int) or isinstance(delta, bool) or not 0 < abs(delta) <= 10**6:
            raise CommandError(INVALID_ARGS, said("delta must be a whole number, not 0"))
        person = self.person(Role.SUPERVISOR if delta < 0 else None, said("lowering the books"))
        consumable, reason = _consumable(args), _text(args, "reason", REASON_MAX_CHARS)
        lot = None if args.get("lot") is None else _text(args, "lot", LOT_MAX_CHARS)
        with _as_args_error(), self._store.db.transaction() as tx:
            booked = book_adjustment(
                tx, consumable, lot, delta, person.name, reason, self._station.clock.now()
            )
        if booked is None:
            raise CommandError(
                INVALID_ARGS,
                said("no %(consumable)s lot is in stock to adjust", consumable=consumable),
            )
        return {"lot": booked, "delta": delta, "by": person.name}

    def _destroy(self, args: dict[str, Any]) -> dict[str, Any]:
        supervisor = self.person(Role.SUPERVISOR, said("destroying spoiled blanks"))
        count, destroyed_on = _count(args, "count", 1), _date(args, "destroyed_on")
        witness = _text(args, "witness", 32, ACCOUNT_NAME)
        if witness == supervisor.name:
            raise CommandError(INVALID_ARGS, said("the witness must be another person"))
        with _as_args_error():
            with self._store.db.reading() as conn:
                self._store.accounts.get(conn, witness)
            record = self._store.lots.destroy(
                count, destroyed_on, supervisor.name, witness, self._station.clock.now()
            )
        return {"record": record.record, "count": record.count, "job_ids": record.job_ids}

    def _blanks(self, args: dict[str, Any]) -> dict[str, Any]:
        """The books per lot for [`since`, `until`) (RFC 3339; default: all time)."""
        since, until = _moment(args, "since", ""), _moment(args, "until", "9999")
        lots = self._store.lots
        return {"lots": lots.books(since, until), "in_custody": lots.in_custody()}

    def _collect(self, args: dict[str, Any]) -> dict[str, Any]:
        """A printed card handed to the citizen: `card.collected` stops the reminders."""
        person = self.person(None, said("handing a card over"))
        job_id = _text(args, "job_id", 64, JOB_ID)
        try:
            record_collected(self._store.db, job_id, person.name, self._station.clock.now())
        except HandoverRefused as exc:
            raise CommandError(CommandErrorCode.INVALID_STATE, exc.args[0]) from None
        return {"job_id": job_id, "collected_by": person.name}

    def person(self, role: Role | None, doing: str) -> Account:
        """The asker's account (with `role`, if one is needed), or NOT_AUTHORIZED."""
        actor = self._actor()
        if actor.account is None:
            raise CommandError(
                CommandErrorCode.NOT_AUTHORIZED,
                said(
                    "%(doing)s needs a named person: %(who)s has no station account"
                    " (printstation account)",
                    doing=doing,
                    who=actor.who,
                ),
            )
        with self._store.db.reading() as conn:
            account = self._store.accounts.get(conn, actor.account)
        if role is not None and account.role != role:
            raise CommandError(
                CommandErrorCode.NOT_AUTHORIZED,
                said(
                    "%(doing)s needs a %(role)s; %(name)s is an %(has)s",
                    doing=doing,
                    role=role,
                    name=account.name,
                    has=account.role,
                ),
            )
        return account


@contextmanager
def _as_args_error() -> Iterator[None]:
    """A lot or account the store refused, as the command's INVALID_ARGS."""
    try:
        yield
    except (LotError, AccountError) as exc:
        raise CommandError(INVALID_ARGS, exc.args[0]) from None


def _text(
    args: dict[str, Any], key: str, limit: int, pattern: re.Pattern[str] | None = None
) -> str:
    value = args.get(key)
    ok = isinstance(value, str) and 0 < len(value) <= limit and value.isprintable()
    if not ok or (pattern is not None and not _matches(pattern, value)):
        raise CommandError(
            INVALID_ARGS, said("%(key)s must be printable text of 1-%(most)s", key=key, most=limit)
        )
    return str(value)


def _matches(pattern: re.Pattern[str], value: Any) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _consumable(args: dict[str, Any]) -> Consumable:
    value = args.get("consumable")
    if value not in tuple(Consumable):
        raise CommandError(
            INVALID_ARGS,
            said("consumable must be one of %(all)s", all=", ".join(Consumable)),
        )
    return Consumable(value)


def _count(args: dict[str, Any], key: str, low: int) -> int:
    value = args.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= MAX_QUANTITY:
        raise CommandError(
            INVALID_ARGS,
            said(
                "%(key)s must be a whole number %(least)s-%(most)s",
                key=key,
                least=low,
                most=MAX_QUANTITY,
            ),
        )
    return value


def _moment(args: dict[str, Any], key: str, default: str) -> str:
    value = args.get(key)
    if value is None:
        return default
    try:
        return rfc3339(parse_rfc3339(value))
    except ValueError:
        raise CommandError(
            INVALID_ARGS, said("%(key)s must be an RFC 3339 time", key=key)
        ) from None


def _date(args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise CommandError(INVALID_ARGS, said("%(key)s must be a date, YYYY-MM-DD", key=key))
