"""A station's MQTT link in a child process, for tests that kill it with SIGKILL.

Run as `python -m tests.mqtt.station_child DB PORT`; it runs until it is killed. The parent
watches the station's status topic to know when it is connected.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from contract.clock import SystemClock
from controller.queue.store import Store
from logsetup import configure_logging
from tests.mqtt.kit import LOADED, LOW, STATION, linked_station, mqtt_settings


def main() -> None:
    database, port = Path(sys.argv[1]), int(sys.argv[2])
    configure_logging("warning", "json")
    clock = SystemClock()
    store = Store.open(database, STATION, clock, low_thresholds=LOW, initial_load=LOADED)
    linked_station(mqtt_settings(port), store, clock).link.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
