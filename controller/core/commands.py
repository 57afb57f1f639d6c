"""The station's commands (docs/interface.md), shared by MQTT and the local control socket.

`StationCommands.handle(name, args)` checks the arguments, runs the command as one of the core
loop's operations and returns its `result`, or raises `CommandError` with the contract's code.
"""

from __future__ import annotations

import base64
import binascii
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import structlog

from contract.commands import JobsResult, JobSummary, PauseResult, ReplayResult
from contract.errors import CommandError
from contract.jobspec import JOB_ID
from contract.shapes import to_json
from contract.status import LinkState, Status, Stock
from contract.vocabulary import (
    AUDITED_COMMANDS,
    ActionSource,
    CommandErrorCode,
    CommandName,
    Consumable,
    Requester,
    Resolution,
)
from controller.core.command_args import args_problem, audit_args
from controller.core.custody_commands import CustodyCommands
from controller.core.loop import Station
from controller.core.operations import Operations
from controller.core.password_commands import PasswordCommands
from controller.queue.audit import CENTRAL_REQUESTER, DONE, Actor
from controller.queue.jobs import ReasonRequired, job_summary
from controller.queue.transitions import IllegalTransition, UnknownJob
from controller.said import said

log = structlog.get_logger(__name__)

MAX_RELOAD = 100_000
MAX_REPLAY = 10_000  # events per replay command, and per REPLAY_WINDOW_S
REPLAY_WINDOW_S = 600.0
LOT_MAX_CHARS = 64
TEXT_MAX_CHARS = 200  # a stated reason
LOCAL_USER = Actor(ActionSource.LOCAL, "local user")  # a local caller the socket did not name
CENTRAL = Actor(ActionSource.REMOTE, CENTRAL_REQUESTER)  # a remote command naming no requester
Command = Callable[[dict[str, Any]], Any]  # returns the typed result
INVALID_ARGS = CommandErrorCode.INVALID_ARGS


class StationCommands:
    """Commands from the central office and technicians (`remote`), or at the kiosk (`local`)."""

    def __init__(
        self,
        station: Station,
        *,
        local: bool = False,
        submit: bool = False,
        session: Callable[[], int | None] = lambda: None,
        link: Callable[[], LinkState] | None = None,
    ) -> None:
        """`session`: the MQTT link's session number, for the status a command returns;
        `link`: the link's state (connected, unsent events), added to the local status;
        `submit`: the local `submit` command is offered (`[local] submit`; off by default)."""
        self._station, self._operations = station, Operations(station)
        self._session, self._link = session, link
        self._by = Requester.LOCAL if local else Requester.REMOTE
        self._default_actor = LOCAL_USER if local else CENTRAL
        self.commands: dict[str, Command] = {
            CommandName.PAUSE: self._pause,
            CommandName.RESUME: self._resume,
            CommandName.CANCEL: self._cancel,
            CommandName.RESOLVE: self._resolve,
            CommandName.RELOAD: self._reload,
            CommandName.STATUS: self._status,
            CommandName.REPLAY: self._replay,
        }
        if local:
            self.commands[CommandName.JOBS] = self._jobs
        if local and submit:
            self.commands[CommandName.SUBMIT] = self._submit
        if local:
            custody = CustodyCommands(station, lambda: self._actor)
            self.commands.update(custody.commands)
            passwords = PasswordCommands(station, lambda: self._actor, custody.person)
            self.commands.update(passwords.commands)
        self._actor = self._default_actor
        self._replays = ReplayBudget()

    def handle(self, name: str, args: dict[str, Any], actor: Actor | None = None) -> dict[str, Any]:
        """Run one command for `actor` (by default: an unnamed local user, or the central
        office); a manual action (AUDITED_COMMANDS) is stored in the audit table and logged
        with who asked, how, the job, the arguments and what came of it, refusals included."""
        command = self.commands.get(name)
        if command is None:
            raise CommandError(
                CommandErrorCode.UNKNOWN_COMMAND, said("no command %(name)r", name=name)
            )
        if not isinstance(args, dict):
            raise CommandError(INVALID_ARGS, said("args must be an object"))
        who = actor or self._default_actor
        problem = args_problem(name, args)  # before anything runs
        if name not in AUDITED_COMMANDS:
            if problem:
                raise CommandError(INVALID_ARGS, problem)
            return self._station.call(lambda: self._run(command, args, who))
        return self._station.call(
            lambda: self._audited(name, command, args, self._named(who), problem)
        )

    def _named(self, actor: Actor) -> Actor:
        """The actor with the account its Unix user maps to, if it has one."""
        account = actor.user and self._station.store.accounts.of_unix_user(actor.user)
        return replace(actor, account=account.name) if account else actor

    def _run(self, command: Command, args: dict[str, Any], actor: Actor) -> dict[str, Any]:
        self._actor = actor  # read by the command (on the loop: one command at a time)
        try:
            result: dict[str, Any] = to_json(command(args))
            return result
        except UnknownJob as exc:
            raise CommandError(
                CommandErrorCode.UNKNOWN_JOB, said("no job %(job_id)r", job_id=exc.args[0])
            ) from None
        except IllegalTransition as exc:
            raise CommandError(CommandErrorCode.INVALID_STATE, exc.args[0]) from None
        except ReasonRequired as exc:
            raise CommandError(INVALID_ARGS, exc.args[0]) from None
        finally:
            self._actor = self._default_actor

    def _audited(
        self, name: str, command: Command, args: dict[str, Any], actor: Actor, problem: str | None
    ) -> dict[str, Any]:
        """Run the command and write its audit row in one transaction: an effect is never
        stored without its row (a refusal is stored with its row alone)."""
        shown = audit_args(name, args)
        refusal: CommandError | None = None
        with self._station.store.db.transaction():
            try:
                if problem:
                    raise CommandError(INVALID_ARGS, problem)
                result = self._run(command, args, actor)
            except CommandError as exc:
                refusal = exc
                self._audit(actor, name, shown, exc.code, exc.message)
            else:
                self._audit(actor, name, shown, DONE, result)
        if refusal is not None:
            raise refusal
        return result

    def _audit(
        self, actor: Actor, name: str, args: dict[str, Any], outcome: str, effect: Any
    ) -> None:
        log.info(
            "manual action",
            who=actor.who,
            how=actor.how,
            command=name,
            job_id=args.get("job_id"),
            args=args,
            outcome=outcome,
        )
        self._station.store.audit.record(
            actor, name, args, outcome, effect, self._station.clock.now()
        )

    def _pause(self, args: dict[str, Any]) -> PauseResult:
        self._station.set_paused(True)
        return PauseResult(True, self._station.status().state)

    def _resume(self, args: dict[str, Any]) -> PauseResult:
        self._station.set_paused(False)
        return PauseResult(False, self._station.status().state)

    def _cancel(self, args: dict[str, Any]) -> JobSummary:
        return job_summary(self._operations.cancel_job(_job_id(args), by=self._by))

    def _resolve(self, args: dict[str, Any]) -> JobSummary:
        job_id = _job_id(args)
        outcome = args.get("outcome")
        if outcome not in tuple(Resolution):
            raise CommandError(
                INVALID_ARGS,
                said("outcome must be one of %(outcomes)s", outcomes=", ".join(Resolution)),
            )
        reason = _reason(args)
        return job_summary(
            self._operations.resolve_job(job_id, Resolution(outcome), self._actor, reason)
        )

    def _reload(self, args: dict[str, Any]) -> Stock:
        consumable, count, capacity, lot = _reload_args(args)
        reason = _reason(args)
        return self._operations.reload(consumable, count, capacity, lot, self._actor, reason)

    def _status(self, args: dict[str, Any]) -> Status:
        """Publish the status now, and return it."""
        status = self._station.status(publish=True)
        link = None if self._link is None else self._link()
        return replace(status, session=self._session(), link=link)

    def _replay(self, args: dict[str, Any]) -> ReplayResult:
        """Publish events `from_seq`..`to_seq` (default: the last) again, for a consumer that
        found a gap in `seq` (a broker that lost messages it had acknowledged)."""
        last = self._station.store.outbox.last_seq()
        first = args.get("from_seq")
        final = args.get("to_seq", last)
        if not _whole(first, 1, last):
            raise CommandError(
                INVALID_ARGS, said("from_seq must be a whole number 1-%(last)s", last=last)
            )
        if not _whole(final, first, min(last, first + MAX_REPLAY - 1)):
            raise CommandError(
                INVALID_ARGS,
                said(
                    "to_seq must be a whole number from from_seq to %(last)s,"
                    " at most %(most)s events in one replay",
                    last=last,
                    most=MAX_REPLAY,
                ),
            )
        waited = self._replays.wait_s(final - first + 1, self._station.clock.monotonic())
        if waited:
            raise CommandError(
                CommandErrorCode.INVALID_STATE,
                said(
                    "at most %(most)s events are replayed per %(minutes)s minutes:"
                    " try again in %(seconds)s s",
                    most=MAX_REPLAY,
                    minutes=f"{REPLAY_WINDOW_S // 60:.0f}",
                    seconds=f"{waited:.0f}",
                ),
            )
        count = self._operations.replay_events(first, final)
        return ReplayResult(first, final, count)

    def _jobs(self, args: dict[str, Any]) -> JobsResult:
        jobs = self._operations.active_jobs()
        counts = self._station.store.jobs.counts()
        return JobsResult(counts, tuple(job_summary(job) for job in jobs))

    def _submit(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            payload = base64.b64decode(args.get("payload_b64", ""), validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise CommandError(INVALID_ARGS, said("payload_b64 must be base64")) from None
        return self._operations.submit_job(payload).as_dict()


class ReplayBudget:
    """At most MAX_REPLAY events replayed in any REPLAY_WINDOW_S (a replay loop would flood the
    link and the broker with old events)."""

    def __init__(self) -> None:
        self._spent: deque[tuple[float, int]] = deque()  # (monotonic time, events)

    def wait_s(self, events: int, now: float) -> float:
        """0 and the events are booked, or how long until they would fit."""
        while self._spent and self._spent[0][0] <= now - REPLAY_WINDOW_S:
            self._spent.popleft()
        used = sum(count for _, count in self._spent)
        if used + events <= MAX_REPLAY:
            self._spent.append((now, events))
            return 0.0
        freed, at = used + events - MAX_REPLAY, now
        for at, count in self._spent:  # noqa: B007 - `at` is the time the last one frees
            freed -= count
            if freed <= 0:
                break
        return max(1.0, at + REPLAY_WINDOW_S - now)


def _reload_args(args: dict[str, Any]) -> tuple[Consumable, int, int | None, str | None]:
    """`reload`'s consumable, count, capacity and lot, checked (INVALID_ARGS otherwise)."""
    consumable, count = args.get("consumable"), args.get("count")
    capacity, lot = args.get("capacity"), args.get("lot")
    if consumable not in tuple(Consumable):
        raise CommandError(
            INVALID_ARGS,
            said("consumable must be one of %(all)s", all=", ".join(Consumable)),
        )
    if not _whole(count, 0, MAX_RELOAD):
        raise CommandError(
            INVALID_ARGS, said("count must be a whole number 0-%(most)s", most=MAX_RELOAD)
        )
    if capacity is not None and not _whole(capacity, 1, MAX_RELOAD):
        raise CommandError(
            INVALID_ARGS, said("capacity must be a whole number 1-%(most)s", most=MAX_RELOAD)
        )
    if capacity is not None and capacity < count:
        raise CommandError(INVALID_ARGS, said("capacity must be at least count"))
    if lot is not None and not _short_text(lot, LOT_MAX_CHARS):
        raise CommandError(
            INVALID_ARGS, said("lot must be printable text of 1-%(most)s", most=LOT_MAX_CHARS)
        )
    return Consumable(consumable), count, capacity, lot


def _short_text(value: Any, limit: int = TEXT_MAX_CHARS) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit and value.isprintable()


def _reason(args: dict[str, Any]) -> str | None:
    reason = args.get("reason")
    if reason is not None and not _short_text(reason):
        raise CommandError(
            INVALID_ARGS, said("reason must be printable text of 1-%(most)s", most=TEXT_MAX_CHARS)
        )
    return reason if isinstance(reason, str) else None


def _job_id(args: dict[str, Any]) -> str:
    job_id = args.get("job_id")
    if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
        raise CommandError(INVALID_ARGS, said("job_id must be 1-64 characters of [A-Za-z0-9._:-]"))
    return job_id


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
