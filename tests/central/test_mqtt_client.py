"""The consumer's paho client reads the socket in large chunks and hands paho its bytes from
that buffer: the same bytes in the same order, never bytes of an earlier connection, and
paho's "nothing to read" when the socket has nothing."""

from __future__ import annotations

import socket

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from central.mqtt_client import BufferedClient


def client_on(sock: socket.socket) -> BufferedClient:
    client = BufferedClient(CallbackAPIVersion.VERSION2, "t", protocol=mqtt.MQTTv5)
    client._sock = sock  # what paho's connect sets
    return client


def test_reads_hand_out_the_streams_bytes_in_order_however_asked() -> None:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    client = client_on(ours)
    stream = bytes(range(256)) * 40
    theirs.sendall(stream)
    got = b""
    for size in [1, 1, 3, 250, 1, 7000, 1, 5000] * 10:
        try:
            got += client._sock_recv(size)
        except BlockingIOError:
            break
    assert got == stream
    with pytest.raises(BlockingIOError):  # paho's "try again later", as from the socket
        client._sock_recv(1)
    theirs.close()
    assert client._sock_recv(1) == b""  # the peer closed: paho's lost connection


def test_bytes_left_from_an_earlier_connection_are_never_handed_out() -> None:
    old, old_peer = socket.socketpair()
    new, new_peer = socket.socketpair()
    client = client_on(old)
    old_peer.sendall(b"old bytes")
    assert client._sock_recv(1) == b"o"  # the rest of "old bytes" is in the buffer
    client._sock = new  # paho connected again
    new_peer.sendall(b"new")
    assert client._sock_recv(3) == b"new"
    for sock in (old, old_peer, new, new_peer):
        sock.close()
