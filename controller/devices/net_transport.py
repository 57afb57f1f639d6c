"""The network link to an Evolis printer: one TCP connection per exchange.

As Evolis' own library speaks to a printer at `socket://host:port`: connect, write the whole
request (one command, a whole streamed job, or nothing for a bare status poll), shut the write
side, read the reply until the printer closes, close. The reply is one frame (`evolis_wire.frames`).
One deadline holds for the whole exchange (connecting, writing, reading), on the injected clock:
a printer that drips its reply, each byte in time for the socket, is lost once it passes.

Losing the link: a refused or reset connection, a timeout, or a reply that is not a frame
raises `LinkLost`; `connect()` (a bare status poll) retries with jittered exponential back-off
(tenacity), every wait logged, and gives up with `PrinterUnavailable` after
`reconnect_timeout_s`. Each time the printer answers again after a loss, `session` counts up,
so that the driver sets the printer up again.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

import structlog

from contract.clock import Clock, SystemClock
from evolis_wire.frames import Frame, FrameError, decode_reply

from .printer import PrinterUnavailable
from .reconnect import BACKOFF_MAX_S, RECONNECT_WINDOW_S, reconnecting
from .usb_transport import LinkLost

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class NetworkSettings:
    connect_timeout_s: float = 5.0
    reconnect_timeout_s: float = RECONNECT_WINDOW_S
    backoff_max_s: float = BACKOFF_MAX_S
    backoff_jitter_s: float = 0.5
    max_reply_bytes: int = 1 << 16


class NetworkTransport:
    """One printer at `host:port`; calls are serialised."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        clock: Clock | None = None,
        settings: NetworkSettings | None = None,
    ) -> None:
        self.host, self.port = host, port
        self._clock = clock or SystemClock()
        self._settings = settings or NetworkSettings()
        self._lock = threading.RLock()
        self._up = False
        self.session = 0

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def connected(self) -> bool:
        return self._up

    def connect(self) -> None:
        """Make sure the printer answers (a bare status poll), retrying with back-off."""
        with self._lock:
            if self._up:
                return
            retrying = reconnecting(
                self._clock,
                timeout_s=self._settings.reconnect_timeout_s,
                backoff_max_s=self._settings.backoff_max_s,
                jitter_s=self._settings.backoff_jitter_s,
                errors=(LinkLost,),
            )
            try:
                retrying(self._exchange, b"", self._settings.connect_timeout_s)
            except LinkLost as error:
                log.error("printer.unavailable", error=str(error))
                raise PrinterUnavailable(f"printer not reachable: {error}") from error
            self._up = True
            self.session += 1
            log.info("printer.connected", host=self.host, port=self.port)

    def request(self, command: bytes, timeout_s: float) -> Frame:
        """One exchange: `command` (empty: a status poll) and its reply frame."""
        with self._lock:
            self.connect()
            try:
                return self._exchange(command, timeout_s)
            except LinkLost:
                self._up = False
                raise

    def stream(self, data: bytes, timeout_s: float) -> Frame | None:
        """A streamed job is one exchange too: its one reply carries the status."""
        return self.request(data, timeout_s)

    def resync(self, reason: str) -> None:
        """Each exchange is its own connection, so replies cannot fall out of step; the next
        request connects afresh all the same (and the driver sets the printer up again)."""
        with self._lock:
            log.warning("printer.disconnected", reason=reason)
            self._up = False

    def close(self) -> None:
        with self._lock:
            if self._up:
                log.info("printer.closed")
            self._up = False

    def _exchange(self, request: bytes, timeout_s: float) -> Frame:
        deadline = self._clock.monotonic() + timeout_s
        try:
            with socket.create_connection((self.host, self.port), timeout=timeout_s) as sock:
                sock.settimeout(self._left(deadline, timeout_s))
                if request:
                    sock.sendall(request)
                sock.shutdown(socket.SHUT_WR)
                data = self._read_all(sock, deadline, timeout_s)
        except OSError as error:
            log.warning("printer.disconnected", reason=str(error))
            raise LinkLost(f"network exchange failed: {error}") from error
        try:
            return decode_reply(data)
        except FrameError as error:
            log.warning("printer.disconnected", reason=str(error))
            raise LinkLost(f"not a reply frame: {error}") from error

    def _read_all(self, sock: socket.socket, deadline: float, timeout_s: float) -> bytes:
        data = bytearray()
        while chunk := sock.recv(4096):
            data += chunk
            if len(data) > self._settings.max_reply_bytes:
                raise OSError(f"reply longer than {self._settings.max_reply_bytes} bytes")
            sock.settimeout(self._left(deadline, timeout_s))
        return bytes(data)

    def _left(self, deadline: float, timeout_s: float) -> float:
        """What is left of the exchange's deadline; `TimeoutError` once it has passed."""
        left = deadline - self._clock.monotonic()
        if left <= 0:
            raise TimeoutError(f"no whole reply within {timeout_s} s")
        return left
