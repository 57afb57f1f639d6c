"""The daemon's side of the local control socket (the protocol: controller/local/client.py).

Each connection's peer is named by the kernel (SO_PEERCRED) and checked against `[local]
operators`/`operator_groups` before a manual action; a user already holding `[local]
max_clients_per_user` connections is answered `invalid_state` and dropped; a client that sends
nothing for `[local] idle_timeout_s`, or has not sent its whole request within `[local]
request_deadline_s` (one byte every few seconds), is answered `invalid_json` and dropped; an
unexpected failure is answered `internal_error`, never with an empty reply.

The web page (controller/web) acts for a person: `login` checks their password and the reply
carries a session; a request in a session acts for its account, whoever the peer is (the
password, not the Unix user, named them); `logout` ends it.
"""

from __future__ import annotations

import os
import socket
import socketserver
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import structlog

from contract.commands import (
    CommandReply,
    LocalRequest,
    local_reply,
    read_local_request,
)
from contract.errors import CommandError
from contract.vocabulary import CommandErrorCode, CommandName
from controller.core.commands import StationCommands
from controller.local.authority import Authority, Peer, peer_of, peer_uid
from controller.local.client import MAX_REQUEST_BYTES
from controller.local.sessions import Sessions
from controller.local.settings import LocalSettings
from controller.queue.audit import Actor
from controller.said import refusal, said

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
        gate = Gate(commands, authority, Sessions(time.monotonic))
        clients = ClientCount(settings.max_clients_per_user)
        self._server = _CountingServer(str(path), _handler_for(gate, settings, clients), clients)
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


@dataclass(frozen=True)
class Arrival:
    """A connection as accepted: its user's id, and whether it fits under the user's limit."""

    uid: int
    admitted: bool


class _CountingServer(socketserver.ThreadingUnixStreamServer):
    """Counts each connection against its user as it is accepted, so in the order they came
    (a handler's thread may start after a later connection's)."""

    daemon_threads = True

    def __init__(
        self, path: str, handler: type[socketserver.BaseRequestHandler], clients: ClientCount
    ) -> None:
        self._clients = clients
        super().__init__(path, handler)

    def get_request(self) -> tuple[socket.socket, Arrival]:
        connection, _ = super().get_request()
        try:
            uid = peer_uid(connection)
        except OSError:
            connection.close()
            raise  # socketserver drops the connection
        return connection, Arrival(uid, self._clients.enter(uid))

    def process_request(self, request: socket.socket, arrival: Arrival) -> None:
        try:
            super().process_request(request, arrival)
        except Exception:  # no thread to serve it (and so to leave): not held
            if arrival.admitted:
                self._clients.leave(arrival.uid)
            raise


def _handler_for(
    gate: Gate, settings: LocalSettings, clients: ClientCount
) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            arrival: Arrival = self.client_address
            try:
                self._answer(arrival)
            finally:
                if arrival.admitted:
                    clients.leave(arrival.uid)

        def _answer(self, arrival: Arrival) -> None:
            try:
                peer = peer_of(self.request)
            except OSError as exc:
                log.warning("control socket client lost", error=str(exc))
                return
            if not arrival.admitted:
                log.warning("control socket client refused: too many", user=peer.user)
                limit = settings.max_clients_per_user
                message = said(
                    "user %(user)s holds %(most)s connections already (at most %(most)s)",
                    user=peer.user,
                    most=limit,
                )
                self._send(refusal(CommandErrorCode.INVALID_STATE, message))
                return
            self._serve(peer)

        def _serve(self, peer: Peer) -> None:
            try:
                raw = _read_request(self.request, settings)
            except TimeoutError:
                log.warning("control socket client too slow; dropped", user=peer.user)
                late = said("no request in time")
                self._send(refusal(CommandErrorCode.INVALID_JSON, late))
                return
            except OSError as exc:
                log.warning("control socket client lost", error=str(exc))
                return
            try:
                answer = gate.answer(raw, peer)
            except Exception:
                log.exception("control socket request failed")
                answer = refusal(
                    CommandErrorCode.INTERNAL_ERROR, said("the station failed to run the command")
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


class Gate:
    """Who asks (the peer, or the account of a web session), whether they may, and the reply."""

    def __init__(self, commands: StationCommands, authority: Authority, sessions: Sessions):
        self._commands, self._authority, self._sessions = commands, authority, sessions

    def answer(self, raw: bytes, peer: Peer) -> CommandReply:
        if len(raw) > MAX_REQUEST_BYTES:
            return refusal(CommandErrorCode.INVALID_ARGS, said("request too large"))
        try:
            request = read_local_request(raw)
            actor = self._actor(request, peer)
        except CommandError as exc:
            return refusal(exc.code, exc.message)
        name = request.cmd
        if name == CommandName.LOGOUT:
            self._sessions.close(request.session or "")
            return CommandReply({"logged_out": True})
        if actor is None and not self._authority.allows(peer, name):
            log.warning(
                "local command refused", cmd=name, user=peer.user, uid=peer.uid, pid=peer.pid
            )
            return refusal(
                CommandErrorCode.NOT_AUTHORIZED,
                said(
                    "user %(user)s is not a station operator ([local] operators, operator_groups)",
                    user=peer.user,
                ),
            )
        try:
            result = self._commands.handle(name, request.args, actor or peer.actor)
        except CommandError as exc:
            return refusal(exc.code, exc.message)
        except TimeoutError:
            late = said("the station did not answer in time")
            return refusal(CommandErrorCode.INVALID_STATE, late)
        log.info("local command", cmd=name, user=peer.user, uid=peer.uid)
        if name == CommandName.LOGIN:
            result = {**result, "session": self._sessions.open(result["account"])}
        return CommandReply(result)

    def _actor(self, request: LocalRequest, peer: Peer) -> Actor | None:
        """The account a web session acts for (None: no session; the peer acts); a login acts
        for nobody yet (the password decides)."""
        if request.cmd == CommandName.LOGIN:
            return replace(peer.actor, user=None, superuser=False)
        if request.session is None:
            return None
        # `status` is what the page polls: it does not keep an unattended page logged in.
        account = self._sessions.account(request.session, use=request.cmd != CommandName.STATUS)
        if account is None:
            ended = said("the session has ended: log in")
            raise CommandError(CommandErrorCode.NOT_AUTHORIZED, ended)
        return replace(peer.actor, who=f"web, {peer.actor.who}", account=account, user=None,
                       superuser=False)  # fmt: skip
