"""`make demo`: a local broker, the station with the virtual printer, and a handful of jobs.

Starts mosquitto on a free port, the daemon (`printstation run`) with the virtual printer
saving each card as PNG, publishes five sample jobs as the central office would (one of them
invalid), prints the station's events and status as they arrive, asks for the status with an
MQTT 5 request, then stops everything. Everything it writes goes to ./demo-out/.
"""

from __future__ import annotations

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

from testkit.broker import MOSQUITTO, Broker
from testkit.jobs import make_job

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "demo-out"
STATION = "3271-bogor-timur-01"
ROOT_TOPIC = f"ektp/v1/{STATION}"
REPLY_TOPIC = f"{ROOT_TOPIC}/reply/demo"  # a station answers only below its own subtree


def main() -> int:
    if not Path(MOSQUITTO).exists():
        print("mosquitto is not installed: sudo apt-get install mosquitto", file=sys.stderr)
        return 1
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "state").mkdir(parents=True)
    broker = Broker.plain(OUT / "broker")
    port = broker.port
    (OUT / "station.toml").write_text(station_config(port))
    broker.start()
    station = None
    try:
        watcher = Watcher(port)
        station = subprocess.Popen(
            [sys.executable, "-m", "controller", "run", "--config", str(OUT / "station.toml")],
            cwd=ROOT,
            stdout=(OUT / "station.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        say(f"broker on 127.0.0.1:{port}, station {STATION} starting (log: demo-out/station.log)")
        watcher.wait_for(lambda: watcher.state == "ready", 30, "the station to be ready")
        for job in sample_jobs():
            watcher.client.publish(f"{ROOT_TOPIC}/job", job, qos=1)
        say("published 5 jobs: 4 valid, 1 with a NIK that does not match the birth date")
        watcher.wait_for(lambda: watcher.count("card.printed") == 4, 120, "four printed cards")
        watcher.wait_for(lambda: watcher.state == "ready", 30, "the station to be idle")
        status = watcher.request_status()
        say(
            f"status on request: state={status['state']}, printed today "
            f"{status['duty']['printed_today']}, blanks left "
            f"{status['consumables']['cards']['remaining']}"
        )
    finally:
        if station is not None:
            station.send_signal(signal.SIGTERM)
            station.wait(60)
        broker.terminate()
    cards = sorted((OUT / "state" / "virtual-printer" / "cards").glob("*-front.png"))
    say(f"done: {len(cards)} cards printed, pictures in demo-out/state/virtual-printer/cards/")
    return 0 if len(cards) == 4 else 1


def station_config(port: int) -> str:
    return f"""[station]
id = "{STATION}"
state_dir = "{OUT / "state"}"
[mqtt]
host = "127.0.0.1"
port = {port}
[printer]
driver = "virtual"
[printer.virtual]
seconds_per_card = 1.5
save_cards = true
[panel]
pin_factory = "mock"
[log]
format = "json"
"""


def sample_jobs() -> list[bytes]:
    jobs = [make_job(n) for n in (1, 2, 3)]
    jobs.append(
        make_job(4, reason="lost", card={"name": "AHMAD FAUZI", "address": "JL. SUDIRMAN NO. 5"})
    )
    bad = make_job(5)
    bad["card"]["nik"] = "3271040101990005"  # birth digits say 1 Jan 1999
    jobs.append(bad)
    return [json.dumps(job).encode() for job in jobs]


class Watcher:
    """A central-office client: prints every event and status change of the station."""

    def __init__(self, port: int) -> None:
        self.state = "unknown"
        self.events: list[dict[str, Any]] = []
        self.replies: list[dict[str, Any]] = []
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id="demo-central", protocol=mqtt.MQTTv5
        )
        self.client.on_message = self._message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(
            [(f"{ROOT_TOPIC}/status", 1), (f"{ROOT_TOPIC}/event/#", 1), (REPLY_TOPIC, 1)]
        )
        self.client.loop_start()

    def count(self, kind: str) -> int:
        return sum(1 for event in self.events if event["type"] == kind)

    def wait_for(self, condition: Any, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"demo: gave up waiting for {what}; see demo-out/station.log")
            time.sleep(0.05)

    def request_status(self) -> dict[str, Any]:
        properties = Properties(PacketTypes.PUBLISH)
        properties.ResponseTopic = REPLY_TOPIC
        properties.CorrelationData = b"demo-1"
        command = {"schema": "ektp.cmd/1", "cmd_id": "demo-status-1", "args": {}}
        self.client.publish(
            f"{ROOT_TOPIC}/cmd/status", json.dumps(command), qos=1, properties=properties
        )
        self.wait_for(lambda: self.replies, 10, "the status reply")
        return self.replies[0]["result"]

    def _message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        body = json.loads(message.payload)
        if message.topic == REPLY_TOPIC:
            self.replies.append(body)
        elif message.topic.endswith("/status"):
            if body.get("state") != self.state:
                self.state = body.get("state", "unknown")
                say(f"status  {self.state:<9} queued={body.get('queue', {}).get('queued')}")
        else:
            self.events.append(body)
            say(
                f"event   {body['type']:<16} {body.get('job_id') or '-':<16} "
                f"{json.dumps(body['data'])}"
            )


def say(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')}  {text}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
