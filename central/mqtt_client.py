"""paho's MQTT client as the consumer uses it, with two changes to how it moves bytes, none to
what it sends or when: a batch's PUBACKs go as one write, and the socket is read in large
chunks.

paho reads each packet with a recv() of one byte for its type, one per byte of its length and
one for the rest, after a select() per packet; a replica draining a backlog spent a sixth of
its samples in those system calls. `BufferedClient` reads up to `READ_SIZE` bytes at a time
and hands paho its bytes from that buffer, and reads every packet the buffer holds before
paho waits in select() again (select() cannot see bytes already taken from the socket).
"""

from __future__ import annotations

import struct

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode

PUBACK = struct.Struct("!BBH")  # MQTT's PUBACK: type 0x40, remaining length 2, packet id
READ_SIZE = 65536


class BufferedClient(mqtt.Client):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._read_from: object = None  # the socket `_read` came from
        self._read = b""
        self._read_at = 0

    def ack_all(self, mids: list[int]) -> MQTTErrorCode:
        """PUBACK (success, no properties: MQTT 5 lets both go) for each QoS 1 message in
        `mids`, in order, queued as one packet of paho's out-queue: one wake-up of its network
        thread and one send, where `ack` takes one of each per message. paho empties the
        out-queue when it connects again, as for its own acks."""
        if not mids:
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        packets = b"".join([PUBACK.pack(mqtt.PUBACK, 2, mid) for mid in mids])
        return self._packet_queue(mqtt.PUBACK, packets, 0, 0)

    def _sock_recv(self, bufsize: int) -> bytes:
        """paho's read of up to `bufsize` bytes, from the buffer; the buffer filled from the
        socket when empty (raising as paho's does when nothing waits). Bytes left from an
        earlier socket (a connection since closed) are never handed out."""
        if self._read_from is not self._sock or self._read_at >= len(self._read):
            self._read = super()._sock_recv(max(bufsize, READ_SIZE))
            self._read_from, self._read_at = self._sock, 0
        start = self._read_at
        self._read_at = start + bufsize
        return self._read[start : start + bufsize]

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """paho's read, again while the buffer holds bytes (select() would not wake for them)."""
        rc = super().loop_read(max_packets)
        while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._buffered():
            rc = super().loop_read(max_packets)
        return rc

    def _buffered(self) -> bool:
        return self._read_from is self._sock and self._read_at < len(self._read)
