"""Publish one `card.printed` as a station does: the contract's own event bytes, QoS 1, over TLS
on the stations' listener with the station's account. Run in the guest with the central
package's Python (it holds the contract and paho-mqtt); exits 0 once the broker acknowledged.

    station_event.py HOST PORT CA_FILE STATION PASSWORD_FILE SEQ JOB_ID
"""

from __future__ import annotations

import sys
from pathlib import Path

import paho.mqtt.client as mqtt

from contract.clock import SystemClock, rfc3339
from contract.events import CardPrinted, event_payload
from contract.topics import DEFAULT_ROOT, Topics
from contract.vocabulary import EventType, JobReason


def main(argv: list[str]) -> int:
    if len(argv) != 7:
        sys.stderr.write(__doc__ or "")
        return 2
    host, port, ca_file, station, password_file, seq, job_id = argv
    data = {"reason": JobReason.NEW.value, "nik_masked": "************0001", "attempts": 1,
            "printer_serial": "VP0000001", "card_counter": 1}  # fmt: skip
    CardPrinted.from_json(data)  # the contract's shape, or an error here rather than at the office
    payload = event_payload(
        station, int(seq), EventType.CARD_PRINTED, rfc3339(SystemClock().now()), job_id, data
    )
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=station, protocol=mqtt.MQTTv5)
    client.tls_set(ca_certs=ca_file)
    client.username_pw_set(station, Path(password_file).read_text().strip())
    client.connect(host, int(port))
    client.loop_start()
    topic = Topics(DEFAULT_ROOT, station).event(EventType.CARD_PRINTED)
    info = client.publish(topic, payload, qos=1)
    try:
        info.wait_for_publish(timeout=30)
    except RuntimeError as exc:  # refused (a wrong password), or the connection went
        sys.stderr.write(f"not published: {exc}\n")
    client.disconnect()
    client.loop_stop()
    if not info.is_published():
        sys.stderr.write(f"not acknowledged by the broker: {mqtt.error_string(info.rc)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
