"""The daemon's side of the local control socket (the protocol: controller/local/client.py)."""

from __future__ import annotations

import json
import os
import socketserver
import threading
from pathlib import Path
from typing import Any

import structlog

from controller.contract.errors import CommandError
from controller.contract.vocabulary import CommandErrorCode
from controller.core.commands import StationCommands
from controller.local.client import MAX_REQUEST_BYTES

log = structlog.get_logger(__name__)


class ControlServer:
    def __init__(self, path: Path, commands: StationCommands) -> None:
        self._path = path
        self._commands = commands
        if path.exists():
            path.unlink()  # left by a daemon that did not stop cleanly
        handler = _handler_for(commands)
        self._server = socketserver.ThreadingUnixStreamServer(str(path), handler)
        self._server.daemon_threads = True
        os.chmod(path, 0o660)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="control", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        log.info("control socket listening", path=str(self._path))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        try:
            self._path.unlink(missing_ok=True)
        except OSError as exc:  # read-only storage: the next start replaces it
            log.warning("control socket left in place", path=str(self._path), error=str(exc))


def _handler_for(commands: StationCommands) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            raw = self.rfile.read(MAX_REQUEST_BYTES + 1)
            self.wfile.write(json.dumps(_answer(commands, raw)).encode())

    return Handler


def _answer(commands: StationCommands, raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_REQUEST_BYTES:
        return _error(CommandErrorCode.INVALID_ARGS, "request too large")
    try:
        request = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        return _error(CommandErrorCode.INVALID_JSON, "request is not JSON")
    if not isinstance(request, dict) or not isinstance(request.get("cmd"), str):
        return _error(CommandErrorCode.INVALID_SCHEMA, "request needs a cmd")
    try:
        result = commands.handle(request["cmd"], request.get("args", {}))
    except CommandError as exc:
        return _error(exc.code, exc.message)
    except TimeoutError:
        return _error(CommandErrorCode.INVALID_STATE, "the station did not answer in time")
    log.info("local command", cmd=request["cmd"])
    return {"ok": True, "result": result}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}
