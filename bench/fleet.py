"""A fleet simulator: thousands of stations speaking the contract, as lightweight clients.

Each station is a `seq` counter and an `event_id` namespace; its events are the contract's
payloads (`ektp.event/1` on the station's event topic, built by contract/events.py): per card
a `job.accepted` and a `card.printed`, now and then a `consumable.low`. `Fleet.backlog` makes a
whole outage's worth at once, interleaved across stations (so consumers see stations out of
order relative to each other, each station in its own `seq` order), with a share of repeats
(a station that re-sends after a lost PUBACK) and events held back (a broker that lost them:
gaps, published last, as a replay would). A few publisher connections speak for the whole
fleet: the broker and the consumers see the same topics and bytes as from real stations.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from paho.mqtt.enums import MQTTErrorCode

from bench.broker import client, close, connect
from contract.events import (
    CardPrinted,
    ConsumableLow,
    EventData,
    JobAccepted,
    event_id,
    event_payload,
)
from contract.topics import DEFAULT_ROOT, Topics
from contract.vocabulary import Consumable, JobReason

QUEUED_MAX = 20_000  # messages handed to paho and not yet acknowledged, per connection


@dataclass(frozen=True)
class Published:
    topic: str
    payload: bytes
    event_id: str
    printed_job: str | None


@dataclass
class Backlog:
    messages: list[Published]
    held_back: list[Published]  # the gaps: published after the rest
    unique: int
    printed_jobs: list[str] = field(default_factory=list)


class Fleet:
    def __init__(self, stations: int, root: str = DEFAULT_ROOT, seed: int = 17) -> None:
        self.names = [f"{3000 + i // 7:04d}-kec-{i:05d}" for i in range(stations)]
        self.root = root
        self.seq = dict.fromkeys(self.names, 0)
        self.cards = dict.fromkeys(self.names, 0)
        self.random = random.Random(seed)

    def event(self, station: str, job_id: str | None, data: EventData) -> Published:
        """The next event of `station`, timed now to the microsecond (the live phase measures
        the delay from it)."""
        self.seq[station] += 1
        seq = self.seq[station]
        time_now = datetime.now(UTC).isoformat()
        payload = event_payload(station, seq, data.TYPE, time_now, job_id, data.to_json())
        topic = Topics(self.root, station).event(data.TYPE)
        printed = job_id if isinstance(data, CardPrinted) else None
        return Published(topic, payload, event_id(station, seq), printed)

    def card(self, station: str) -> list[Published]:
        self.cards[station] += 1
        job = f"JOB-{station}-{self.cards[station]:05d}"
        counter = self.cards[station]
        events = [
            self.event(station, job, JobAccepted(JobReason.NEW, 1)),
            self.event(
                station,
                job,
                CardPrinted(JobReason.NEW, "************0002", 1, "VP0000001", counter),
            ),
        ]
        if self.random.random() < 0.01:
            events.append(self.event(station, None, ConsumableLow(Consumable.CARDS, 25, 25)))
        return events

    def backlog(self, events: int, duplicates: float = 0.02, gaps: float = 0.001) -> Backlog:
        """About `events` events from the whole fleet, interleaved across stations."""
        per_station: list[list[Published]] = []
        total = 0
        while total < events:
            for station in self.names:
                if total >= events:
                    break
                batch = self.card(station)
                per_station.append(batch)
                total += len(batch)
        flat = [event for batch in per_station for event in batch]
        self.random.shuffle(per_station)  # stations out of order with each other
        ordered = [event for batch in per_station for event in batch]
        held = [e for e in ordered if self.random.random() < gaps]
        held_ids = {e.event_id for e in held}
        messages = [e for e in ordered if e.event_id not in held_ids]
        repeats = self.random.sample(messages, int(len(messages) * duplicates))
        messages.extend(repeats)
        printed = [e.printed_job for e in flat if e.printed_job]
        return Backlog(messages, held, len(flat), printed)


def publish(port: int, messages: list[Published], connections: int = 2, window: int = 200) -> float:
    """Publish at QoS 1 over `connections` clients; wait for every PUBACK; seconds taken."""
    chunks = [messages[i::connections] for i in range(connections)]
    start = time.perf_counter()
    threads = [
        threading.Thread(target=_publish_chunk, args=(port, f"fleet-{i}", chunk, window))
        for i, chunk in enumerate(chunks)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def _publish_chunk(port: int, name: str, chunk: list[Published], window: int) -> None:
    if not chunk:
        return
    made = client(name, max_inflight=window)
    room = threading.BoundedSemaphore(QUEUED_MAX)  # paho's message ids wrap at 65,535
    made.on_publish = lambda *args: room.release()
    connect(made, port, clean_start=True)
    for message in chunk:
        if not room.acquire(timeout=120):
            raise TimeoutError(f"{name}: the broker stopped acknowledging")
        info = made.publish(message.topic, message.payload, qos=1)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise RuntimeError(f"publish failed: {info.rc}")
    for _ in range(QUEUED_MAX):  # every PUBACK in
        if not room.acquire(timeout=120):
            raise TimeoutError(f"{name}: the broker stopped acknowledging")
    close(made)
