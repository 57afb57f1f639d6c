"""The fault proxy itself (tests/support/fault_proxy.py): it must do what the kill run says."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from testkit.fault_proxy import FaultProxy

pytestmark = pytest.mark.reliability


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data)


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    running = FaultProxy(server.server_address[1]).start()
    yield running
    running.close()
    server.shutdown()
    server.server_close()


def connect(proxy: FaultProxy) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    client.settimeout(5)
    return client


def round_trip(client: socket.socket, data: bytes) -> float:
    started = time.monotonic()
    client.sendall(data)
    received = b""
    while len(received) < len(data):
        received += client.recv(4096)
    assert received == data
    return time.monotonic() - started


def test_it_forwards_and_delays(proxy: FaultProxy) -> None:
    with connect(proxy) as client:
        assert round_trip(client, b"hello") < 0.5
        proxy.delay(0.3)
        assert round_trip(client, b"slow") >= 0.6  # each direction waits
        proxy.heal()
        assert round_trip(client, b"fast") < 0.5


@pytest.mark.parametrize("direction", ["up", "down", "both"])
def test_a_blackhole_drops_bytes_and_keeps_the_connection_until_the_heal(
    proxy: FaultProxy, direction: str
) -> None:
    with connect(proxy) as client, connect(proxy) as quiet:
        round_trip(client, b"before")
        round_trip(quiet, b"before")
        proxy.blackhole(direction)
        client.sendall(b"lost")
        client.settimeout(0.5)
        with pytest.raises(TimeoutError):
            client.recv(4096)
        assert proxy.stats.dropped_bytes >= 4
        assert proxy.open_connections == 2
        proxy.heal()
        # The connection that lost bytes cannot go on as if it had not: reset, as TCP would
        # have ended it rather than deliver "after" without "lost".
        client.settimeout(5)
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            client.sendall(b"after" * 13107)
            assert client.recv(4096) == b""  # not reached: the RST comes first
        # One that lost nothing goes on, and new connections work.
        assert round_trip(quiet, b"after") < 0.5
        with connect(proxy) as again:
            assert round_trip(again, b"after") < 0.5


def test_a_reset_closes_every_connection_with_an_rst(proxy: FaultProxy) -> None:
    clients = [connect(proxy) for _ in range(3)]
    for client in clients:
        round_trip(client, b"x")
    assert proxy.reset() == 3
    for client in clients:
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            client.sendall(b"y" * 65536)
            client.recv(1)
        client.close()
    with connect(proxy) as again:
        assert round_trip(again, b"new connections still work") < 0.5
