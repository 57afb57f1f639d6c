"""A TCP proxy for fault injection between a client (the station) and a server (the broker).

It listens on a free loopback port and forwards every accepted connection to the upstream
port, one thread per direction. While it runs, the test changes how bytes flow:

- `delay(seconds)`: each chunk waits this long before it is forwarded (latency; order kept);
- `blackhole("up" | "down" | "both")`: bytes in that direction are read and dropped, the
  connections stay open (a half-open link: nothing answers, nothing is refused);
- `heal()`: forward normally again; a connection that lost bytes to the blackhole is reset
  then, and forwards nothing more before. TCP never hands over later bytes without the earlier
  ones: a stream with a hole in it (an MQTT PUBLISH gone, the next one through on the same
  connection) is no fault a real network makes, and it let a later event reach the broker
  before an earlier one that the station was still waiting to hear back about;
- `reset()`: close every open connection with a TCP RST (SO_LINGER 0), as a NAT box or a
  crashed router does; new connections are accepted as before.

Only loopback addresses are used. Every thread ends when its sockets close or `close()`.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

CHUNK = 65536
POLL_S = 0.2
SEND_TIMEOUT_S = 10.0
DIRECTIONS = ("up", "down")


@dataclass
class ProxyStats:
    """What the proxy did, for the run's summary."""

    connections: int = 0
    upstream_refused: int = 0
    resets: int = 0
    blackholes: int = 0
    delays: int = 0
    dropped_bytes: int = 0
    forwarded_bytes: dict[str, int] = field(default_factory=lambda: {"up": 0, "down": 0})


class _Pair:
    """One proxied connection: the client's socket and the upstream one."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client, self.upstream = client, upstream
        self.closed = threading.Event()
        self.lost_bytes = False  # to a blackhole: it is reset at the heal
        self._lock = threading.Lock()

    def close(self, rst: bool = False) -> None:
        with self._lock:
            if self.closed.is_set():
                return
            self.closed.set()
            for sock in (self.client, self.upstream):
                with contextlib.suppress(OSError):
                    if rst:
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                    else:
                        sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()


class FaultProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.stats = ProxyStats()
        self._lock = threading.Lock()
        self._pairs: list[_Pair] = []
        self._delay_s = 0.0
        self._blackhole: set[str] = set()
        self._stopping = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept_loop, name="proxy-accept", daemon=True)

    # -- control ---------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        with contextlib.suppress(OSError):
            self._listener.close()
        for pair in self._take_pairs():
            pair.close()

    def delay(self, seconds: float) -> None:
        with self._lock:
            self._delay_s = seconds
            self.stats.delays += 1

    def blackhole(self, direction: str = "both") -> None:
        wanted = set(DIRECTIONS) if direction == "both" else {direction}
        if not wanted <= set(DIRECTIONS):
            raise ValueError(f"direction must be up, down or both, not {direction!r}")
        with self._lock:
            self._blackhole = wanted
            self.stats.blackholes += 1

    def heal(self) -> None:
        with self._lock:
            self._delay_s = 0.0
            self._blackhole = set()
            broken = [pair for pair in self._pairs if pair.lost_bytes]
            self._pairs = [pair for pair in self._pairs if not pair.lost_bytes]
        for pair in broken:
            pair.close(rst=True)

    def reset(self) -> int:
        """Close every open connection with an RST; returns how many there were."""
        pairs = self._take_pairs()
        for pair in pairs:
            pair.close(rst=True)
        with self._lock:
            self.stats.resets += 1
        return len(pairs)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return sum(1 for pair in self._pairs if not pair.closed.is_set())

    # -- threads ---------------------------------------------------------------------------

    def _take_pairs(self) -> list[_Pair]:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        return pairs

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            try:
                upstream = socket.create_connection(self.upstream, timeout=2.0)
            except OSError:
                with self._lock:
                    self.stats.upstream_refused += 1
                _Pair(client, socket.socket()).close(rst=True)
                continue
            for sock in (client, upstream):
                sock.settimeout(SEND_TIMEOUT_S)  # reads wait in select(), never here
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pair = _Pair(client, upstream)
            with self._lock:
                self._pairs = [p for p in self._pairs if not p.closed.is_set()] + [pair]
                self.stats.connections += 1
            for direction, source, target in (
                ("up", client, upstream),
                ("down", upstream, client),
            ):
                threading.Thread(
                    target=self._pump,
                    args=(pair, direction, source, target),
                    name=f"proxy-{direction}",
                    daemon=True,
                ).start()

    def _pump(
        self, pair: _Pair, direction: str, source: socket.socket, target: socket.socket
    ) -> None:
        """Forward one direction until either side closes, applying the current fault."""
        while not pair.closed.is_set() and not self._stopping.is_set():
            try:
                readable, _, _ = select.select([source], [], [], POLL_S)
                if not readable:
                    continue
                data = source.recv(CHUNK)
            except (OSError, ValueError):  # ValueError: the socket was closed meanwhile
                break
            if not data:
                break
            with self._lock:
                delay = self._delay_s
                dropped = direction in self._blackhole or pair.lost_bytes
                if dropped:
                    pair.lost_bytes = True
                    self.stats.dropped_bytes += len(data)
            if dropped:
                continue
            if delay:
                time.sleep(delay)  # latency of this chunk; the direction's order is kept
            try:
                target.sendall(data)
            except OSError:
                break
            with self._lock:
                self.stats.forwarded_bytes[direction] += len(data)
        pair.close()
