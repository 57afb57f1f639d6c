"""The web process's side of the control socket: each request in the person's session, off the
event loop (the socket is blocking)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from contract.commands import CommandReply, Refusal
from contract.shapes import BadMessage
from contract.vocabulary import CommandErrorCode
from controller.local.client import DaemonNotRunning, request

NOT_RUNNING = "not_running"  # the page's own: no daemon answered


class Refused(Exception):
    """The daemon refused (its code and message; `refusal`: its error as sent, to say it in
    the page's language), or is not running."""

    def __init__(self, code: str, message: str, refusal: Refusal | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.refusal = code, message, refusal


class Daemon:
    def __init__(self, socket_path: Path) -> None:
        self._socket_path = socket_path

    async def ask(
        self, cmd: str, args: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        try:
            reply = await run_in_threadpool(request, self._socket_path, cmd, args, session)
        except (DaemonNotRunning, OSError) as exc:
            raise Refused(NOT_RUNNING, str(exc)) from None
        try:
            answer = CommandReply.from_body(reply)
        except BadMessage as exc:
            raise Refused(CommandErrorCode.INTERNAL_ERROR, str(exc)) from None
        if answer.error is not None:
            raise Refused(answer.error.code, answer.error.message, answer.error)
        result: dict[str, Any] = answer.result
        return result
