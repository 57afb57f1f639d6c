"""The local commands for the web page's logins (docs/web.md): setting an account's password
(root, a supervisor, or the person themselves) and checking one (`login`; the control socket
then opens a session for the account)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contract.errors import CommandError
from contract.vocabulary import CommandErrorCode, CommandName, Role
from controller.core.loop import Station
from controller.queue.accounts import Account, AccountError
from controller.queue.audit import Actor
from controller.queue.passwords import MAX_FAILURES, Login
from controller.said import said

PASSWORD_CHARS = (8, 128)
Person = Callable[[Role | None, str], Account]  # the asker's account, or NOT_AUTHORIZED
Command = Callable[[dict[str, Any]], Any]


class PasswordCommands:
    def __init__(self, station: Station, actor: Callable[[], Actor], person: Person) -> None:
        self._station, self._actor, self._person = station, actor, person
        self.commands: dict[str, Command] = {
            CommandName.ACCOUNT_PASSWORD: self._set,
            CommandName.LOGIN: self._login,
        }

    def _set(self, args: dict[str, Any]) -> dict[str, Any]:
        name, password = _name(args), _password(args)
        actor = self._actor()
        if not actor.superuser and actor.account != name:
            self._person(Role.SUPERVISOR, said("setting another person's password"))
        account = self._account(name)
        self._station.store.passwords.set(
            account.name, password, actor.person, self._station.clock.now()
        )
        return {"account": account.name, "password_set": True}

    def _login(self, args: dict[str, Any]) -> dict[str, Any]:
        name, password = _name(args), args.get("password")
        if not isinstance(password, str):
            raise CommandError(CommandErrorCode.INVALID_ARGS, said("password must be text"))
        outcome = self._station.store.passwords.check(name, password, self._station.clock.now())
        if outcome is Login.LOCKED:
            raise CommandError(
                CommandErrorCode.NOT_AUTHORIZED,
                said(
                    "account %(name)s is locked after %(most)s wrong passwords:"
                    " a supervisor must set a new one",
                    name=name,
                    most=MAX_FAILURES,
                ),
            )
        if outcome is Login.WRONG:
            raise CommandError(CommandErrorCode.NOT_AUTHORIZED, said("wrong name or password"))
        account = self._account(name)
        return {"account": account.name, "full_name": account.full_name, "role": account.role}

    def _account(self, name: str) -> Account:
        store = self._station.store
        try:
            with store.db.reading() as conn:
                return store.accounts.get(conn, name)
        except AccountError as exc:
            raise CommandError(CommandErrorCode.INVALID_ARGS, exc.args[0]) from None


def _name(args: dict[str, Any]) -> str:
    name = args.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= 32 or not name.isprintable():
        raise CommandError(CommandErrorCode.INVALID_ARGS, said("name must be an account's name"))
    return name


def _password(args: dict[str, Any]) -> str:
    password, (low, high) = args.get("password"), PASSWORD_CHARS
    if not isinstance(password, str) or not low <= len(password) <= high:
        raise CommandError(
            CommandErrorCode.INVALID_ARGS,
            said("password must be %(least)s-%(most)s characters", least=low, most=high),
        )
    return password
