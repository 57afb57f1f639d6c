"""The station's commands (CONTRACT.md), shared by MQTT and the local control socket.

`StationCommands.handle(name, args)` checks the arguments, runs the command on the core loop
and returns its `result`, or raises `CommandError` with the contract's code.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from collections.abc import Callable
from typing import Any

from controller.contract.errors import CommandError
from controller.contract.jobspec import JOB_ID
from controller.core.loop import Station, note_printer_reload
from controller.queue.jobs import RESOLUTIONS, IllegalTransition, UnknownJob, job_summary
from controller.queue.ledger import CONSUMABLES

MAX_RELOAD = 100_000
MAX_REPLAY = 10_000  # events per replay command
DEBUG_ENV = "PRINTSTATION_DEBUG_COMMANDS"
LOT_MAX_CHARS = 64


class StationCommands:
    """Commands from the central office and technicians (`remote`), or at the kiosk (`local`)."""

    def __init__(
        self,
        station: Station,
        *,
        local: bool = False,
        session: Callable[[], int | None] = lambda: None,
    ) -> None:
        """`session`: the MQTT link's session number, for the status a command returns."""
        self._station = station
        self._session = session
        self._by = "local" if local else "remote"
        self._commands: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "pause": self._pause,
            "resume": self._resume,
            "cancel": self._cancel,
            "resolve": self._resolve,
            "reload": self._reload,
            "status": self._status,
            "replay": self._replay,
        }
        if local:
            self._commands |= {"jobs": self._jobs, "submit": self._submit}
        if local and os.environ.get(DEBUG_ENV) == "1":
            # For the watchdog test only: blocks the core loop, as a bug would.
            self._commands["debug_hang"] = lambda args: {"hung": threading.Event().wait()}

    def handle(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        command = self._commands.get(name)
        if command is None:
            raise CommandError("unknown_command", f"no command {name!r}")
        if not isinstance(args, dict):
            raise CommandError("invalid_args", "args must be an object")
        try:
            return self._station.call(lambda: command(args))
        except UnknownJob as exc:
            raise CommandError("unknown_job", f"no job {exc.args[0]!r}") from None
        except IllegalTransition as exc:
            raise CommandError("invalid_state", str(exc)) from None

    def _pause(self, args: dict[str, Any]) -> dict[str, Any]:
        self._station.set_paused(True)
        return {"paused": True, "state": self._station.status()["state"]}

    def _resume(self, args: dict[str, Any]) -> dict[str, Any]:
        self._station.set_paused(False)
        return {"paused": False, "state": self._station.status()["state"]}

    def _cancel(self, args: dict[str, Any]) -> dict[str, Any]:
        job_id = _job_id(args)
        jobs = self._station.store.jobs
        job = jobs.get(job_id)
        if job.state != "queued":
            raise CommandError(
                "invalid_state", f"job {job_id} is {job.state}; only a queued job can be cancelled"
            )
        jobs.cancel(job_id, by=self._by)
        return job_summary(jobs.get(job_id))

    def _resolve(self, args: dict[str, Any]) -> dict[str, Any]:
        job_id = _job_id(args)
        outcome = args.get("outcome")
        if outcome not in RESOLUTIONS:
            raise CommandError("invalid_args", f"outcome must be one of {', '.join(RESOLUTIONS)}")
        jobs = self._station.store.jobs
        jobs.resolve(job_id, outcome, self._station.printer_serial())
        return job_summary(jobs.get(job_id))

    def _reload(self, args: dict[str, Any]) -> dict[str, Any]:
        consumable, count = args.get("consumable"), args.get("count")
        capacity, lot = args.get("capacity"), args.get("lot")
        if consumable not in CONSUMABLES:
            raise CommandError(
                "invalid_args", f"consumable must be one of {', '.join(CONSUMABLES)}"
            )
        if not _whole(count, 0, MAX_RELOAD):
            raise CommandError("invalid_args", f"count must be a whole number 0-{MAX_RELOAD}")
        if capacity is not None and not _whole(capacity, 1, MAX_RELOAD):
            raise CommandError("invalid_args", f"capacity must be a whole number 1-{MAX_RELOAD}")
        if capacity is not None and capacity < count:
            raise CommandError("invalid_args", "capacity must be at least count")
        if lot is not None and not (
            isinstance(lot, str) and 0 < len(lot) <= LOT_MAX_CHARS and lot.isprintable()
        ):
            raise CommandError("invalid_args", f"lot must be printable text of 1-{LOT_MAX_CHARS}")
        store = self._station.store
        with store.db.transaction() as tx:
            in_review = tx.execute(
                "SELECT count(*) FROM jobs WHERE state = 'needs_review'"
            ).fetchone()[0]
            store.ledger.reload(
                tx, consumable, count, capacity, lot, self._station.clock.now(), in_review
            )
            note_printer_reload(tx, consumable, count, capacity)
        self._station.reload_printer(consumable, count, capacity)
        return self._station.status()["consumables"][consumable]

    def _status(self, args: dict[str, Any]) -> dict[str, Any]:
        """Publish the status now, and return it."""
        status = self._station.status(publish=True)
        session = self._session()
        return status if session is None else {**status, "session": session}

    def _replay(self, args: dict[str, Any]) -> dict[str, Any]:
        """Publish events `from_seq`..`to_seq` (default: the last) again, for a consumer that
        found a gap in `seq` (a broker that lost messages it had acknowledged)."""
        last = self._station.store.outbox.last_seq()
        first = args.get("from_seq")
        final = args.get("to_seq", last)
        if not _whole(first, 1, last):
            raise CommandError("invalid_args", f"from_seq must be a whole number 1-{last}")
        if not _whole(final, first, min(last, first + MAX_REPLAY - 1)):
            raise CommandError(
                "invalid_args",
                f"to_seq must be a whole number from from_seq to {last},"
                f" at most {MAX_REPLAY} events in one replay",
            )
        count = self._station.replay_events(first, final)
        return {"from_seq": first, "to_seq": final, "replayed": count}

    def _jobs(self, args: dict[str, Any]) -> dict[str, Any]:
        jobs = self._station.store.jobs
        active = [
            job
            for state in ("printing", "needs_review", "queued")
            for job in jobs.in_state(state, limit=200)
        ]
        return {"counts": jobs.counts(), "jobs": [job_summary(job) for job in active]}

    def _submit(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            payload = base64.b64decode(args.get("payload_b64", ""), validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise CommandError("invalid_args", "payload_b64 must be base64") from None
        return self._station.store.intake.submit(payload, source="local").as_dict()


def _job_id(args: dict[str, Any]) -> str:
    job_id = args.get("job_id")
    if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
        raise CommandError("invalid_args", "job_id must be 1-64 characters of [A-Za-z0-9._:-]")
    return job_id


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
