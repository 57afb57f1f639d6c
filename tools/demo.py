"""`make demo`: a local broker, the station with the virtual printer, and a handful of jobs.

Starts mosquitto on a free port, the daemon (`printstation run`) with the virtual printer
saving each card as PNG, publishes five sample jobs as the central office would (one of them
invalid), prints the station's events and status as they arrive, asks for the status with an
MQTT 5 request, then stops everything. Everything it writes goes to ./demo-out/.
`--printer ipp` (`make demo PRINTER=ipp`) prints through a real CUPS queue (tools/demo_ipp.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contract.commands import CommandReply, command_document, command_payload, parse_reply
from contract.events import Event, parse_event
from contract.jobspec import job_payload
from contract.status import Status, parse_status
from contract.topics import DEFAULT_ROOT, Channel, Topics, parse_topic
from contract.vocabulary import CommandName, Consumable, EventType, JobReason, StationState
from firmware.virtual_printer import pictures_directory
from testkit.broker import MOSQUITTO, Broker
from testkit.jobs import make_job  # sample jobs shared with the tests
from tools.demo_ipp import CupsPrinter, record_load

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "demo-out"
STATION = "3271-bogor-timur-01"

TOPICS = Topics(DEFAULT_ROOT, STATION)
REPLY_TOPIC = f"{TOPICS.reply}/demo"  # a station answers only below its own subtree


def main() -> int:
    if not Path(MOSQUITTO).exists():
        print("mosquitto is not installed: sudo apt-get install mosquitto", file=sys.stderr)
        return 1
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "state").mkdir(parents=True)
    parser = argparse.ArgumentParser(description="the station's demo")
    parser.add_argument("--printer", choices=("virtual", "ipp"), default="virtual")
    cups = CupsPrinter(OUT) if parser.parse_args().printer == "ipp" else None
    broker = Broker.plain(OUT / "broker")
    port = broker.port
    broker.start()
    station = None
    try:
        if cups is not None:
            cups.start()
            say(f"CUPS on 127.0.0.1:{cups.cups.port}, queue card (log: demo-out/cups/log/)")
        printer = cups.config() if cups else VIRTUAL_PRINTER
        (OUT / "station.toml").write_text(station_config(port, printer))
        watcher = Watcher(port)
        station = subprocess.Popen(
            [sys.executable, "-m", "controller", "run", "--config", str(OUT / "station.toml")],
            cwd=ROOT,
            stdout=(OUT / "station.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        say(f"broker on 127.0.0.1:{port}, station {STATION} starting (log: demo-out/station.log)")
        ready = lambda: watcher.state == StationState.READY  # noqa: E731
        if cups is not None:  # a real printer's station starts with nothing on its books
            watcher.wait_for(lambda: watcher.state is not None, 30, "the station's status")
            record_load(OUT / "station.toml")
        watcher.wait_for(ready, 30, "the station to be ready")
        for job in sample_jobs():
            watcher.client.publish(TOPICS.job, job, qos=1)
        say("published 5 jobs: 4 valid, 1 with a NIK that does not match the birth date")
        printed = lambda: watcher.count(EventType.CARD_PRINTED) == 4  # noqa: E731
        watcher.wait_for(printed, 120, "four printed cards")
        watcher.wait_for(ready, 30, "the station to be idle")
        status = watcher.request_status()
        printed_today = status.duty.printed_today if status.duty else None
        cards = (status.consumables or {}).get(Consumable.CARDS)
        say(
            f"status on request: state={status.state}, printed today {printed_today}, "
            f"blanks left {cards.remaining if cards else None}"
        )
    finally:
        if station is not None:
            station.send_signal(signal.SIGTERM)
            station.wait(60)
        broker.terminate()
        if cups is not None:
            cups.stop()
    cards = sorted(pictures_directory(OUT / "state").glob("*-front.png"))
    say(f"done: {len(cards)} cards printed, pictures in demo-out/state/virtual-printer/cards/")
    return 0 if len(cards) == 4 else 1


VIRTUAL_PRINTER = """[printer]
driver = "virtual"
[printer.virtual]
seconds_per_card = 1.5
save_cards = true
"""


def station_config(port: int, printer: str) -> str:
    return f"""[station]
id = "{STATION}"
state_dir = "{OUT / "state"}"
[mqtt]
host = "127.0.0.1"
port = {port}
{printer}[panel]
pin_factory = "mock"
[log]
format = "json"
"""


def sample_jobs() -> list[bytes]:
    jobs = [make_job(n) for n in (1, 2, 3)]
    replacement = {"name": "AHMAD FAUZI", "address": "JL. SUDIRMAN NO. 5"}
    jobs.append(make_job(4, reason=JobReason.LOST, card=replacement))
    bad = make_job(5)
    bad["card"]["nik"] = "3271040101990005"  # birth digits say 1 Jan 1999
    jobs.append(bad)
    return [job_payload(job) for job in jobs]


class Watcher:
    """A central-office client: prints every event and status change of the station."""

    def __init__(self, port: int) -> None:
        self.state: StationState | None = None  # until the first status
        self.events: list[Event] = []
        self.replies: list[CommandReply] = []
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id="demo-central", protocol=mqtt.MQTTv5
        )
        self.client.on_message = self._message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe([(TOPICS.status, 1), (TOPICS.event("#"), 1), (REPLY_TOPIC, 1)])
        self.client.loop_start()

    def count(self, kind: EventType) -> int:
        return sum(1 for event in self.events if event.type == kind)

    def wait_for(self, condition: Any, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"demo: gave up waiting for {what}; see demo-out/station.log")
            time.sleep(0.05)

    def request_status(self) -> Status:
        properties = Properties(PacketTypes.PUBLISH)
        properties.ResponseTopic = REPLY_TOPIC
        properties.CorrelationData = b"demo-1"
        command = command_payload(command_document("demo-status-1", {}))
        self.client.publish(
            TOPICS.command(CommandName.STATUS), command, qos=1, properties=properties
        )
        self.wait_for(lambda: self.replies, 10, "the status reply")
        return Status.from_json(self.replies[0].result)

    def _message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        address = parse_topic(message.topic, DEFAULT_ROOT)
        if message.topic == REPLY_TOPIC:
            self.replies.append(parse_reply(message.payload)[1])
        elif address is not None and address.channel == Channel.STATUS:
            status = parse_status(address, message.payload)
            if status.state != self.state:
                self.state = status.state
                queued = status.queue.queued if status.queue else None
                say(f"status  {self.state:<9} queued={queued}")
        elif address is not None:
            event = parse_event(address, message.payload)
            self.events.append(event)
            data = json.dumps(event.data.to_json())
            say(f"event   {event.type:<16} {event.job_id or '-':<16} {data}")


def say(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')}  {text}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
