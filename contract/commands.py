"""Commands and their replies (docs/interface.md): the `ektp.cmd/1` request and `ektp.reply/1`
reply on MQTT, and the control socket's request and reply, whose body (`ok`, then `result` or
`error`) is the MQTT reply's without `schema` and `cmd_id`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contract import strict_json
from contract.errors import CommandError
from contract.shapes import OPTIONAL, BadMessage, compact, from_json, to_json
from contract.vocabulary import CommandErrorCode, JobReason, JobState, Schema, StationState

MAX_CMD_ID_LENGTH = 128


class BadReply(BadMessage):
    """The message is not a reply of the contract; the text says why."""


@dataclass(frozen=True)
class CommandRequest:
    """An `ektp.cmd/1` request whose `cmd_id` can be answered. `args` is as sent (`{}` when left
    out); `problem` says what else breaks the contract, if anything (the schema, or `args` that
    is not an object)."""

    cmd_id: str
    args: Any
    problem: str | None


def command_document(cmd_id: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """The request asking for a command, as a requester publishes it on `{st}/cmd/{name}`."""
    return {"schema": Schema.COMMAND, "cmd_id": cmd_id, "args": args}


def command_payload(document: Mapping[str, Any]) -> bytes:
    """The bytes of a `command_document`."""
    return json.dumps(document).encode()


def read_command(payload: bytes) -> CommandRequest:
    """The request in `payload`; CommandError (`invalid_json`, `invalid_schema`) when it has no
    `cmd_id` to answer with."""
    try:
        request = strict_json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # too deep: RecursionError
        # ValueError includes a duplicate key or NaN (strict_json)
        raise CommandError(CommandErrorCode.INVALID_JSON, "the request is not UTF-8 JSON") from None
    cmd_id = request.get("cmd_id") if isinstance(request, dict) else None
    if not usable_cmd_id(cmd_id):
        raise CommandError(
            CommandErrorCode.INVALID_SCHEMA,
            f"cmd_id must be a string of 1 to {MAX_CMD_ID_LENGTH} characters",
        )
    args = request.get("args", {})
    problem = None
    if request.get("schema") != Schema.COMMAND:
        problem = f"schema must be {Schema.COMMAND.value!r}"
    elif not isinstance(args, dict):
        problem = "args must be an object"
    return CommandRequest(cmd_id, args, problem)


def usable_cmd_id(cmd_id: Any) -> bool:
    """1 to 128 characters that UTF-8 can hold (not a lone surrogate such as `"\\udc80"`,
    which the station's reply store could not write)."""
    if not isinstance(cmd_id, str) or not 1 <= len(cmd_id) <= MAX_CMD_ID_LENGTH:
        return False
    try:
        cmd_id.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Refusal:
    """Why a command was refused. `message` is English; on the control socket (**Addition**,
    issue 27) `template` and `values` say it again in the client's language: `message` is
    `template` % `values` (printf-style, `%(name)s`), `said` names the values that are messages
    of their own (to be translated too); left out when the station has no template for it."""

    code: CommandErrorCode
    message: str  # why, for a person
    template: str | None = field(default=None, metadata=OPTIONAL)
    values: dict[str, str] | None = field(default=None, metadata=OPTIONAL)
    said: tuple[str, ...] | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class CommandReply:
    """A reply's body: the command's `result`, or the `error` that refused it."""

    result: Any = None
    error: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def body(self) -> dict[str, Any]:
        if self.error is None:
            return {"ok": True, "result": self.result}
        return {"ok": False, "error": to_json(self.error)}

    @classmethod
    def from_body(cls, body: Any) -> CommandReply:
        """The reply whose body is `body`; BadReply when it is neither form."""
        if not isinstance(body, Mapping) or not isinstance(body.get("ok"), bool):
            raise BadReply("a reply needs ok: true or false")
        if body["ok"]:
            return cls(result=body.get("result"))
        return cls(error=from_json(Refusal, body.get("error"), "error", BadReply))


def refused(code: CommandErrorCode, message: str) -> CommandReply:
    return CommandReply(error=Refusal(code, message))


def reply_payload(cmd_id: str | None, reply: CommandReply) -> bytes:
    """The `ektp.reply/1` message; `cmd_id` None when the request had none to answer with."""
    return compact({"schema": Schema.REPLY, "cmd_id": cmd_id, **reply.body()})


def parse_reply(payload: bytes) -> tuple[str | None, CommandReply]:
    """The `cmd_id` and the reply of an `ektp.reply/1` message, or BadReply."""
    try:
        document = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadReply("reply is not UTF-8 JSON") from None
    if not isinstance(document, dict) or document.get("schema") != Schema.REPLY:
        raise BadReply(f"reply schema is not {Schema.REPLY}")
    cmd_id = document.get("cmd_id")
    if cmd_id is not None and not isinstance(cmd_id, str):
        raise BadReply("cmd_id must be a string or null")
    return cmd_id, CommandReply.from_body(document)


@dataclass(frozen=True)
class PauseResult:
    """`pause` and `resume`: whether the station is paused now, and its state after it."""

    paused: bool
    state: StationState


@dataclass(frozen=True)
class ReplayResult:
    from_seq: int
    to_seq: int
    replayed: int  # how many had been delivered and are sent again


@dataclass(frozen=True)
class JobSummary:
    """A job as replies and the command line show it: no personal data."""

    job_id: str
    state: JobState
    reason: JobReason
    attempts: int
    nik_masked: str
    not_after: str | None  # RFC 3339, as for every time below
    received_at: str
    updated_at: str


@dataclass(frozen=True)
class JobsResult:
    """`jobs` (the control socket only): the count of jobs in every state, and the active ones."""

    counts: Mapping[JobState, int]
    jobs: tuple[JobSummary, ...]

    @classmethod
    def from_json(cls, result: Any) -> JobsResult:
        return from_json(cls, result, "result", BadReply)


@dataclass(frozen=True)
class LocalRequest:
    """A request on the control socket: no schema, no `cmd_id`; `args` as sent; `session`: the
    web page's session it is made in (an addition, issue 27)."""

    cmd: str
    args: Any
    session: str | None = None


def local_request(cmd: str, args: Mapping[str, Any], session: str | None = None) -> bytes:
    request = {"cmd": cmd, "args": args}
    if session is not None:
        request["session"] = session
    return json.dumps(request).encode()


def read_local_request(raw: bytes) -> LocalRequest:
    """The control socket's request in `raw`; CommandError when it is not one."""
    try:
        request = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        raise CommandError(CommandErrorCode.INVALID_JSON, "request is not JSON") from None
    if not isinstance(request, dict) or not isinstance(request.get("cmd"), str):
        raise CommandError(CommandErrorCode.INVALID_SCHEMA, "request needs a cmd")
    session = request.get("session")
    if session is not None and not isinstance(session, str):
        raise CommandError(CommandErrorCode.INVALID_SCHEMA, "session must be text")
    return LocalRequest(request["cmd"], request.get("args", {}), session)


def local_reply(reply: CommandReply) -> bytes:
    """The control socket's answer: the reply's body alone."""
    return json.dumps(reply.body()).encode()
