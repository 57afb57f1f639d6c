"""The poison corpus: messages from a station (or one posing as it) that once stopped the
central office's intake or its tick, and more of the same kinds. Each must land in
`bad_messages`; none may keep the next honest event from its effect."""

from __future__ import annotations

import json
from typing import Any

from central.intake import Message
from tests.central.test_store import STATION

EVENT_TOPIC = f"ektp/v1/{STATION}/event/card.printed"
STATUS_TOPIC = f"ektp/v1/{STATION}/status"


def printed_document(seq: int, **changes: Any) -> dict[str, Any]:
    """A card.printed as the station writes it, with `changes` to its envelope or data."""
    data = {"reason": "new", "nik_masked": "************0002", "attempts": 1,
            "printer_serial": "VP0000001", "card_counter": 4187}  # fmt: skip
    data.update(changes.pop("data", {}))
    return {"schema": "ektp.event/1", "event_id": f"{STATION}:{seq}", "seq": seq,
            "station": STATION, "type": "card.printed", "time": "2026-11-22T10:00:00Z",
            "job_id": "JOB-POISON", "data": data, **changes}  # fmt: skip


def _event(seq: int, **changes: Any) -> Message:
    return Message(EVENT_TOPIC, json.dumps(printed_document(seq, **changes)).encode())


def _text(seq: int, text: str) -> Message:
    """An event whose JSON text is written by hand (what json.dumps would not write)."""
    return Message(EVENT_TOPIC, text.encode("utf-8", "surrogatepass"))


def _status(**fields: Any) -> Message:
    doc = {"schema": "ektp.status/1", "station": STATION, "state": "ready",
           "time": "2026-11-22T10:00:00Z", **fields}  # fmt: skip
    return Message(STATUS_TOPIC, json.dumps(doc).encode())


HONEST = json.dumps(printed_document(1))
DEEP = "[" * 100_000 + "]" * 100_000

CORPUS: dict[str, Message] = {
    "NUL in data": _event(101, data={"nik_masked": "****\u00000002"}),
    "NUL in job_id": _event(102, job_id="JOB-\u00001"),
    "NUL in a key": _event(103, data={"x\u0000": 1}),
    "NUL in a status": _status(state="ready\u0000"),
    "NUL in a status's alert": _status(
        alerts=[{"code": "cover_open\u0000", "severity": "error", "since": "2026-11-22T09:00:00Z"}]
    ),
    "NaN": _text(104, HONEST.replace('"attempts": 1', '"attempts": NaN')),
    "Infinity": _text(105, HONEST.replace('"attempts": 1', '"attempts": -Infinity')),
    "a number past a double": _text(106, HONEST.replace('"attempts": 1', '"attempts": 1e400')),
    "NaN in a status": Message(
        STATUS_TOPIC,
        b'{"schema":"ektp.status/1","station":"' + STATION.encode() + b'","state":"ready",'
        b'"duty":{"printed_today":1,"daily_limit":2,"next_print_at":null,"head_temp_c":NaN}}',
    ),
    "UTF-8 byte order mark": Message(EVENT_TOPIC, b"\xef\xbb\xbf" + HONEST.encode()),
    "lone surrogate escaped": _text(107, HONEST.replace("VP0000001", "VP\\ud800")),
    "lone surrogate in a key": _text(108, HONEST.replace('"reason"', '"\\udfff"')),
    "UTF-16 payload": Message(EVENT_TOPIC, HONEST.encode("utf-16")),
    "not UTF-8": Message(EVENT_TOPIC, b'{"schema": "\xff\xfe"}'),
    "seq 2^63": _event(2**63),
    "seq 10^30": _event(10**30),
    "a count of 2^63": _event(109, data={"card_counter": 2**63}),
    "a count below -2^63": _event(110, data={"attempts": -(2**63) - 1}),
    "a status count of 10^30": _status(
        consumables={"cards": {"remaining": 10**30, "capacity": 100}}
    ),
    "printed 9999-12-31": _event(111, time="9999-12-31T23:59:59Z"),
    "printed 0001-01-01T00:00:00+14:00": _event(112, time="0001-01-01T00:00:00+14:00"),
    "printed 9999-12-31T23:00:00-05:00": _event(113, time="9999-12-31T23:00:00-05:00"),
    "printed in 1970": _event(114, time="1970-01-01T00:00:00Z"),
    "printed in 2126": _event(115, time="2126-11-22T10:00:00Z"),
    "a time without zone": _event(116, time="2026-11-22T10:00:00"),
    "a time as a number": _event(117, time=1795000000),
    "a status from 9999": _status(time="9999-12-31T23:59:59Z"),
    "a status from year 1": _status(time="0001-01-01T00:00:00+14:00"),
    "data.code as an object": Message(
        f"ektp/v1/{STATION}/event/job.rejected",
        json.dumps(
            {
                **printed_document(118),
                "type": "job.rejected",
                "data": {"code": {"x": 1}, "message": "m"},
            }
        ).encode(),
    ),
    "alert code as an object": Message(
        f"ektp/v1/{STATION}/event/alert.raised",
        json.dumps(
            {
                **printed_document(119),
                "type": "alert.raised",
                "job_id": None,
                "data": {"code": {}, "severity": "error", "message": "m"},
            }
        ).encode(),
    ),
    "a key twice": _text(120, HONEST.replace('"attempts": 1', '"attempts": 1, "attempts": 2')),
    "nested 100,000 deep": _text(121, HONEST.replace('"attempts": 1', f'"deep": {DEEP}')),
    "a job_id of 10 kB": _event(122, job_id="J" * 10_000),
    "a job_id as a number": _event(123, job_id=7),
    "data as an array": _text(124, json.dumps({**printed_document(124), "data": [1]})),
    "an array": Message(EVENT_TOPIC, b"[]"),
    "empty": Message(EVENT_TOPIC, b""),
    "seq as true": _event(True),
}
