"""The station's commands (docs/interface.md), shared by MQTT and the local control socket.

`StationCommands.handle(name, args)` checks the arguments, runs the command as one of the core
loop's operations and returns its `result`, or raises `CommandError` with the contract's code.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from controller.contract.errors import CommandError
from controller.contract.jobspec import JOB_ID
from controller.contract.vocabulary import (
    CommandErrorCode,
    CommandName,
    Consumable,
    Requester,
    Resolution,
)
from controller.core.loop import Station
from controller.core.operations import Operations
from controller.queue.jobs import IllegalTransition, UnknownJob, job_summary

MAX_RELOAD = 100_000
MAX_REPLAY = 10_000  # events per replay command
LOT_MAX_CHARS = 64
Command = Callable[[dict[str, Any]], dict[str, Any]]
INVALID_ARGS = CommandErrorCode.INVALID_ARGS


class StationCommands:
    """Commands from the central office and technicians (`remote`), or at the kiosk (`local`)."""

    def __init__(
        self,
        station: Station,
        *,
        local: bool = False,
        session: Callable[[], int | None] = lambda: None,
        link: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        """`session`: the MQTT link's session number, for the status a command returns;
        `link`: the link's state (connected, unsent events), added to the local status."""
        self._station, self._operations = station, Operations(station)
        self._session, self._link = session, link
        self._by = Requester.LOCAL if local else Requester.REMOTE
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
            self.commands |= {CommandName.JOBS: self._jobs, CommandName.SUBMIT: self._submit}

    def handle(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        command = self.commands.get(name)
        if command is None:
            raise CommandError(CommandErrorCode.UNKNOWN_COMMAND, f"no command {name!r}")
        if not isinstance(args, dict):
            raise CommandError(INVALID_ARGS, "args must be an object")
        try:
            return self._station.call(lambda: command(args))
        except UnknownJob as exc:
            raise CommandError(CommandErrorCode.UNKNOWN_JOB, f"no job {exc.args[0]!r}") from None
        except IllegalTransition as exc:
            raise CommandError(CommandErrorCode.INVALID_STATE, str(exc)) from None

    def _pause(self, args: dict[str, Any]) -> dict[str, Any]:
        self._station.set_paused(True)
        return {"paused": True, "state": self._station.status()["state"]}

    def _resume(self, args: dict[str, Any]) -> dict[str, Any]:
        self._station.set_paused(False)
        return {"paused": False, "state": self._station.status()["state"]}

    def _cancel(self, args: dict[str, Any]) -> dict[str, Any]:
        return job_summary(self._operations.cancel_job(_job_id(args), by=self._by))

    def _resolve(self, args: dict[str, Any]) -> dict[str, Any]:
        job_id = _job_id(args)
        outcome = args.get("outcome")
        if outcome not in tuple(Resolution):
            raise CommandError(INVALID_ARGS, f"outcome must be one of {', '.join(Resolution)}")
        return job_summary(self._operations.resolve_job(job_id, Resolution(outcome)))

    def _reload(self, args: dict[str, Any]) -> dict[str, Any]:
        consumable, count = args.get("consumable"), args.get("count")
        capacity, lot = args.get("capacity"), args.get("lot")
        if consumable not in tuple(Consumable):
            raise CommandError(INVALID_ARGS, f"consumable must be one of {', '.join(Consumable)}")
        if not _whole(count, 0, MAX_RELOAD):
            raise CommandError(INVALID_ARGS, f"count must be a whole number 0-{MAX_RELOAD}")
        if capacity is not None and not _whole(capacity, 1, MAX_RELOAD):
            raise CommandError(INVALID_ARGS, f"capacity must be a whole number 1-{MAX_RELOAD}")
        if capacity is not None and capacity < count:
            raise CommandError(INVALID_ARGS, "capacity must be at least count")
        if lot is not None and not (
            isinstance(lot, str) and 0 < len(lot) <= LOT_MAX_CHARS and lot.isprintable()
        ):
            raise CommandError(INVALID_ARGS, f"lot must be printable text of 1-{LOT_MAX_CHARS}")
        return self._operations.reload(Consumable(consumable), count, capacity, lot)

    def _status(self, args: dict[str, Any]) -> dict[str, Any]:
        """Publish the status now, and return it."""
        status = self._station.status(publish=True)
        session = self._session()
        if session is not None:
            status = {**status, "session": session}
        return status if self._link is None else {**status, "link": self._link()}

    def _replay(self, args: dict[str, Any]) -> dict[str, Any]:
        """Publish events `from_seq`..`to_seq` (default: the last) again, for a consumer that
        found a gap in `seq` (a broker that lost messages it had acknowledged)."""
        last = self._station.store.outbox.last_seq()
        first = args.get("from_seq")
        final = args.get("to_seq", last)
        if not _whole(first, 1, last):
            raise CommandError(INVALID_ARGS, f"from_seq must be a whole number 1-{last}")
        if not _whole(final, first, min(last, first + MAX_REPLAY - 1)):
            raise CommandError(
                INVALID_ARGS,
                f"to_seq must be a whole number from from_seq to {last},"
                f" at most {MAX_REPLAY} events in one replay",
            )
        count = self._operations.replay_events(first, final)
        return {"from_seq": first, "to_seq": final, "replayed": count}

    def _jobs(self, args: dict[str, Any]) -> dict[str, Any]:
        jobs = self._operations.active_jobs()
        return {
            "counts": self._station.store.jobs.counts(),
            "jobs": [job_summary(job) for job in jobs],
        }

    def _submit(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            payload = base64.b64decode(args.get("payload_b64", ""), validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise CommandError(INVALID_ARGS, "payload_b64 must be base64") from None
        return self._operations.submit_job(payload).as_dict()


def _job_id(args: dict[str, Any]) -> str:
    job_id = args.get("job_id")
    if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
        raise CommandError(INVALID_ARGS, "job_id must be 1-64 characters of [A-Za-z0-9._:-]")
    return job_id


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
