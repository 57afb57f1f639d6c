"""The web process's side of the control socket: each request in the person's session, off the
event loop (the socket is blocking)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from controller.local.client import DaemonNotRunning, request


class Refused(Exception):
    """The daemon refused (its code and message), or is not running."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class Daemon:
    def __init__(self, socket_path: Path) -> None:
        self._socket_path = socket_path

    async def ask(
        self, cmd: str, args: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        try:
            reply = await run_in_threadpool(request, self._socket_path, cmd, args, session)
        except (DaemonNotRunning, OSError) as exc:
            raise Refused("not_running", str(exc)) from None
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise Refused(error.get("code", "internal_error"), error.get("message", ""))
        result: dict[str, Any] = reply["result"]
        return result
