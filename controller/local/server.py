"""The daemon's side of the local control socket (the protocol: controller/local/client.py).

Each connection's peer is named by the kernel (SO_PEERCRED) and checked against `[local]
operators`/`operator_groups` before a manual action; a client that sends nothing for
`[local] idle_timeout_s` is answered `invalid_json` and dropped, and an unexpected failure is
answered `internal_error`, never with an empty reply.
"""

from __future__ import annotations

import os
import socketserver
import threading
from pathlib import Path

import structlog

from contract.commands import CommandReply, local_reply, read_local_request, refused
from contract.errors import CommandError
from contract.vocabulary import CommandErrorCode
from controller.core.commands import StationCommands
from controller.local.authority import Authority, Peer, peer_of
from controller.local.client import MAX_REQUEST_BYTES
from controller.local.settings import LocalSettings

log = structlog.get_logger(__name__)


class ControlServer:
    def __init__(
        self, path: Path, commands: StationCommands, settings: LocalSettings | None = None
    ) -> None:
        self._path = path
        self._commands = commands
        settings = settings or LocalSettings()
        if path.exists():
            path.unlink()  # left by a daemon that did not stop cleanly
        authority = Authority(frozenset(settings.operators), frozenset(settings.operator_groups))
        handler = _handler_for(commands, authority, settings.idle_timeout_s)
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


def _handler_for(
    commands: StationCommands, authority: Authority, idle_timeout_s: float
) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        timeout = idle_timeout_s  # socketserver sets it on the connection

        def handle(self) -> None:
            try:
                peer = peer_of(self.request)
                raw = self.rfile.read(MAX_REQUEST_BYTES + 1)
            except TimeoutError:
                log.warning("control socket client idle; dropped")
                self._send(refused(CommandErrorCode.INVALID_JSON, "no request in time"))
                return
            except OSError as exc:
                log.warning("control socket client lost", error=str(exc))
                return
            try:
                answer = _answer(commands, raw, authority, peer)
            except Exception:
                log.exception("control socket request failed")
                answer = refused(
                    CommandErrorCode.INTERNAL_ERROR, "the station failed to run the command"
                )
            self._send(answer)

        def _send(self, answer: CommandReply) -> None:
            try:
                self.wfile.write(local_reply(answer))
            except OSError as exc:
                log.warning("control socket client lost", error=str(exc))

    return Handler


def _answer(
    commands: StationCommands, raw: bytes, authority: Authority, peer: Peer
) -> CommandReply:
    if len(raw) > MAX_REQUEST_BYTES:
        return refused(CommandErrorCode.INVALID_ARGS, "request too large")
    try:
        request = read_local_request(raw)
    except CommandError as exc:
        return refused(exc.code, exc.message)
    name = request.cmd
    if not authority.allows(peer, name):
        log.warning("local command refused", cmd=name, user=peer.user, uid=peer.uid, pid=peer.pid)
        return refused(
            CommandErrorCode.NOT_AUTHORIZED,
            f"user {peer.user} is not a station operator ([local] operators, operator_groups)",
        )
    try:
        result = commands.handle(name, request.args, peer.actor)
    except CommandError as exc:
        return refused(exc.code, exc.message)
    except TimeoutError:
        return refused(CommandErrorCode.INVALID_STATE, "the station did not answer in time")
    log.info("local command", cmd=name, user=peer.user, uid=peer.uid)
    return CommandReply(result)
