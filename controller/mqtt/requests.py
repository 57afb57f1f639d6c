"""Commands (`ektp.cmd/1` on `{st}/cmd/{name}`): parse, dispatch once, store the reply.

The daemon supplies a `CommandHandler`. A reply is committed to `command_replies` before it is
published, so a repeated `cmd_id` (a re-delivery, or a requester trying again) gets the stored
reply and the handler does not run twice. Before the handler runs, an empty reply marks the
command as begun (in its own commit): if the station stops before the real reply is stored,
the next delivery is answered `invalid_state` (effect unknown) instead of running it again. A
request that cannot be read at all (no usable `cmd_id`) is answered but not stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import structlog

from contract.clock import Clock, rfc3339
from contract.commands import CommandReply, CommandRequest, read_command, refused, reply_payload
from contract.errors import CommandError
from contract.vocabulary import ActionSource, CommandErrorCode
from controller.queue.audit import CENTRAL_REQUESTER, Actor
from controller.queue.db import Database, StoreError

log = structlog.get_logger(__name__)

REQUESTER_PROPERTY = "requester"  # the MQTT 5 user property naming who sent a command
REPLY_RETENTION = timedelta(days=30)
BEGUN = b""  # the stored "reply" of a command being run: its reply is not stored yet
INTERRUPTED = (
    "the station stopped while it ran this command, so its effect is unknown: check the status"
    " and send a new command (with a new cmd_id) if it is still needed"
)


class CommandHandler(Protocol):
    """Runs one command for the link; implemented by the daemon against its core loop."""

    def handle(self, name: str, args: dict[str, Any], actor: Actor | None = None) -> dict[str, Any]:
        """Do command `name` for `actor` and return the reply's `result`; raise CommandError
        to refuse."""
        ...


@dataclass(frozen=True)
class Answer:
    """The reply to publish for a request, `payload` as the contract writes it."""

    cmd_id: str | None
    payload: bytes
    repeated: bool  # the stored reply to an earlier delivery of the same cmd_id


class CommandProcessor:
    def __init__(self, db: Database, handler: CommandHandler, clock: Clock) -> None:
        self._db, self._handler, self._clock = db, handler, clock

    def process(self, name: str, payload: bytes, requester: str | None = None) -> Answer:
        """The reply to one request; raises StoreError when the reply cannot be stored.
        `requester`: who the request names (its MQTT 5 user property `requester`)."""
        try:
            request = read_command(payload)
        except CommandError as unreadable:  # no cmd_id to answer with: answered, not stored
            return Answer(None, _refusal(None, unreadable.code, unreadable.message), False)
        cmd_id = request.cmd_id
        asked = _request_sha256(name, request)
        stored, stored_request = self._stored(cmd_id)
        if stored_request not in (None, asked):
            log.warning("cmd_id reused for another request; refused", cmd_id=cmd_id, name=name)
            message = "cmd_id was used before for another command or other arguments"
            reply = _refusal(cmd_id, CommandErrorCode.CMD_ID_REUSED, message)
            return Answer(cmd_id, reply, False)
        if stored == BEGUN:
            # An earlier delivery began to run it and the station stopped before its reply was
            # stored: its effect may have happened. Never run a command twice.
            log.warning("command interrupted by a stop; not run again", cmd_id=cmd_id, name=name)
            reply = _refusal(cmd_id, CommandErrorCode.INVALID_STATE, INTERRUPTED)
            self._store(cmd_id, name, asked, reply)
            return Answer(cmd_id, reply, False)
        if stored is not None:
            log.info("repeated command answered from the store", cmd_id=cmd_id, name=name)
            return Answer(cmd_id, stored, True)
        if request.problem:
            reply = _refusal(cmd_id, CommandErrorCode.INVALID_SCHEMA, request.problem)
        else:
            self._store(cmd_id, name, asked, BEGUN)
            actor = Actor(ActionSource.REMOTE, requester or CENTRAL_REQUESTER)
            reply = self._run(name, cmd_id, request.args, actor)
        self._store(cmd_id, name, asked, reply)
        return Answer(cmd_id, reply, False)

    def refuse(self, payload: bytes, code: CommandErrorCode, message: str) -> Answer:
        """The reply refusing a request without running it or storing anything."""
        try:
            cmd_id: str | None = read_command(payload).cmd_id
        except CommandError:
            cmd_id = None
        return Answer(cmd_id, _refusal(cmd_id, code, message), False)

    def _run(self, name: str, cmd_id: str, args: dict[str, Any], actor: Actor) -> bytes:
        try:
            result = self._handler.handle(name, args, actor)
            reply = reply_payload(cmd_id, CommandReply(result))
        except CommandError as exc:
            log.info("command refused", cmd_id=cmd_id, name=name, code=exc.code)
            return _refusal(cmd_id, exc.code, exc.message)
        except Exception:
            log.exception("command handler failed", cmd_id=cmd_id, name=name)
            return _refusal(
                cmd_id, CommandErrorCode.INTERNAL_ERROR, "the station failed to run the command"
            )
        log.info("command done", cmd_id=cmd_id, name=name)
        return reply

    def _stored(self, cmd_id: str) -> tuple[bytes | None, str | None]:
        """The stored reply to `cmd_id` and the hash of the request it answered, if any."""
        try:
            with self._db.reading() as conn:
                row = conn.execute(
                    "SELECT reply, request_sha256 FROM command_replies WHERE cmd_id = ?",
                    (cmd_id,),
                ).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read stored command replies: {exc}") from exc
        return (None, None) if row is None else (str(row[0]).encode(), row[1])

    def _store(self, cmd_id: str, name: str, asked: str, reply: bytes) -> None:
        now = self._clock.now()
        try:
            with self._db.transaction() as tx:
                tx.execute(
                    "DELETE FROM command_replies WHERE time < ?", (rfc3339(now - REPLY_RETENTION),)
                )
                tx.execute(
                    "INSERT INTO command_replies (cmd_id, name, reply, time, request_sha256)"
                    " VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (cmd_id) DO UPDATE SET reply = excluded.reply,"
                    " time = excluded.time",
                    (cmd_id, name, reply.decode(), rfc3339(now), asked),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot store a command reply: {exc}") from exc


def requester_of(properties: Any) -> str | None:
    """The MQTT 5 user property `requester` of a request, when it is short printable text."""
    for key, value in getattr(properties, "UserProperty", None) or []:
        if key == REQUESTER_PROPERTY and 0 < len(value) <= 64 and value.isprintable():
            return str(value)
    return None


def _request_sha256(name: str, request: CommandRequest) -> str:
    """What a request asks, whatever its key order: the command name and its arguments."""
    asked = {"name": name, "args": request.args}
    canonical = json.dumps(asked, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _refusal(cmd_id: str | None, code: str, message: str) -> bytes:
    return reply_payload(cmd_id, refused(code, message))
