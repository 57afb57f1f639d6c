"""Stations in bulk for the central office's tests: many stations over one MQTT connection,
each with its own `seq` and its events kept, publishing at QoS 1 as fast as the broker takes
them, and answering the `replay` command as a station does (docs/interface.md: `from_seq`,
optional `to_seq`, the same bytes again). The station's limits on `replay` (10,000 per
command and per 10 minutes) are not played: the tests ask far less.

Also the broker for a burst: mosquitto with the shipped limits (config/mosquitto/mosquitto.conf's
`max_*` lines), so that it drops what a slow subscriber's queue cannot hold, as in production."""

from __future__ import annotations

import getpass
import json
import queue
import random
import threading
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract.events import CardPrinted, EventData, JobAccepted, event_payload
from contract.topics import DEFAULT_ROOT, Topics
from contract.vocabulary import CommandName, JobReason
from testkit.broker import Broker, free_port

SHIPPED_CONF = Path(__file__).resolve().parents[2] / "config" / "mosquitto" / "mosquitto.conf"
IN_FLIGHT = 20_000  # handed to paho and not yet acknowledged (its message ids wrap at 65,535)


def limited_broker(workdir: Path) -> Broker:
    """A plain mosquitto (anonymous, no persistence, errors and subscriptions logged) with
    the shipped limits on queues and in-flight bytes."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    limits = [line for line in SHIPPED_CONF.read_text().splitlines() if line.startswith("max_")]
    config = [
        f"listener {port} 127.0.0.1",
        "allow_anonymous true",
        "persistence false",
        *limits,
        f"user {getpass.getuser()}",
        f"log_dest file {workdir}/mosquitto.log",
        "log_type error",
        "log_type warning",
        "log_type information",  # "running": Broker.start waits for it
        "log_type subscribe",  # Broker.subscribed reads it
    ]
    return Broker(workdir, "\n".join(config), [port])


class ReplayingFleet:
    """Stations `names`: `card` publishes a job's `job.accepted` and `card.printed`; a `replay`
        on any station's command topic is answered from that station's events. `lose`: the share of
    events sent the first time that the broker loses after its PUBACK (played by never sending
    them: the station holds them as delivered, only `replay` brings them)."""

    def __init__(
        self, port: int, names: list[str], root: str = DEFAULT_ROOT, lose: float = 0.0
    ) -> None:
        self.root = root
        self.lose = lose
        self.lost = 0
        self._random = random.Random(25)
        self.events: dict[str, list[tuple[str, bytes]]] = {name: [] for name in names}
        self.replays: list[tuple[str, dict]] = []  # what was asked, in order
        self.acknowledged = 0  # PUBACKs the broker sent (it may still drop those after)
        self._outgoing: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._room = threading.BoundedSemaphore(IN_FLIGHT)
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, "replaying-fleet", protocol=mqtt.MQTTv5
        )
        self.client.max_inflight_messages_set(200)
        self.client.max_queued_messages_set(0)
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.client.subscribe(Topics(root, "+").command(CommandName.REPLAY), qos=1)
        self._sender = threading.Thread(target=self._send, name="fleet-sender", daemon=True)
        self._sender.start()

    def card(self, station: str, job_id: str) -> None:
        now = datetime.now(UTC).isoformat()
        self._event(station, job_id, now, JobAccepted(JobReason.NEW, 1))
        printed = CardPrinted(JobReason.NEW, "************0002", 1, "VP0000001", None)
        self._event(station, job_id, now, printed)

    def close(self) -> None:
        self._outgoing.put(None)
        self._sender.join(timeout=60)
        self.client.disconnect()
        self.client.loop_stop()

    def _event(self, station: str, job_id: str, now: str, data: EventData) -> None:
        seq = len(self.events[station]) + 1
        payload = event_payload(station, seq, data.TYPE, now, job_id, data.to_json())
        message = (Topics(self.root, station).event(data.TYPE), payload)
        self.events[station].append(message)
        if self._random.random() < self.lose:
            self.lost += 1
        else:
            self._outgoing.put(message)

    def _on_publish(self, *args: object) -> None:
        self.acknowledged += 1  # paho's one network thread: no race
        self._room.release()

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        station = message.topic.split("/")[-3]
        args = json.loads(message.payload)["args"]
        self.replays.append((station, args))
        sent = self.events.get(station, [])
        last = min(args.get("to_seq", len(sent)), len(sent))
        for index in range(args["from_seq"] - 1, last):
            self._outgoing.put(sent[index])

    def _send(self) -> None:
        """One thread publishes everything (cards and replays), never more than IN_FLIGHT
        unacknowledged (paho's callback thread must not wait for room: it frees it)."""
        while (message := self._outgoing.get()) is not None:
            if not self._room.acquire(timeout=120):
                raise TimeoutError("the broker stopped acknowledging the fleet's events")
            self.client.publish(*message, qos=1)
