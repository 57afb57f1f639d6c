"""The daemon's side of the local control socket (the protocol: controller/local/client.py).

Each connection's peer is named by the kernel (SO_PEERCRED) and checked against `[local]
operators`/`operator_groups` before a manual action; a user already holding `[local]
max_clients_per_user` connections is answered `invalid_state` and dropped; a client that sends
nothing for `[local] idle_timeout_s`, or has not sent its whole request within `[local]
request_deadline_s` (one byte every few seconds), is answered `invalid_json` and dropped; an
unexpected failure is answered `internal_error`, never with an empty reply.
"""

from __future__ import annotations

import os
import socket
import socketserver
import threading
import time
from collections import Counter
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
        handler = _handler_for(commands, authority, settings)
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


class ClientCount:
    """The connections each user holds now, up to a limit per user."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._held: Counter[int] = Counter()
        self._lock = threading.Lock()

    def enter(self, uid: int) -> bool:
        """Count one more connection of `uid`; False (not counted) when it holds the limit."""
        with self._lock:
            if self._held[uid] >= self._limit:
                return False
            self._held[uid] += 1
            return True

    def leave(self, uid: int) -> None:
        with self._lock:
            self._held[uid] -= 1


def _handler_for(
    commands: StationCommands, authority: Authority, settings: LocalSettings
) -> type[socketserver.StreamRequestHandler]:
    clients = ClientCount(settings.max_clients_per_user)

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            try:
                peer = peer_of(self.request)
            except OSError as exc:
                log.warning("control socket client lost", error=str(exc))
                return
            if not clients.enter(peer.uid):
                log.warning("control socket client refused: too many", user=peer.user)
                limit = settings.max_clients_per_user
                message = f"user {peer.user} holds {limit} connections already (at most {limit})"
                self._send(refused(CommandErrorCode.INVALID_STATE, message))
                return
            try:
                self._serve(peer)
            finally:
                clients.leave(peer.uid)

        def _serve(self, peer: Peer) -> None:
            try:
                raw = _read_request(self.request, settings)
            except TimeoutError:
                log.warning("control socket client too slow; dropped", user=peer.user)
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
                self.request.settimeout(settings.idle_timeout_s)
                self.wfile.write(local_reply(answer))
            except OSError as exc:
                log.warning("control socket client lost", error=str(exc))

    return Handler


def _read_request(connection: socket.socket, settings: LocalSettings) -> bytes:
    """The request up to its end (the client's SHUT_WR) or MAX_REQUEST_BYTES + 1 bytes;
    TimeoutError when a read waits `idle_timeout_s` or the whole takes `request_deadline_s`."""
    ends = time.monotonic() + settings.request_deadline_s
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_REQUEST_BYTES:
        left = ends - time.monotonic()
        if left <= 0:
            raise TimeoutError("request deadline passed")
        connection.settimeout(min(settings.idle_timeout_s, left))
        chunk = connection.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


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
