"""What mosquitto's own log (`log_type all`) says it acknowledged and then lost in a SIGKILL.

mosquitto forwards a QoS 1 message to the subscribers connected at that moment, acknowledges
it to the publisher, and saves its state afterwards; a SIGKILL before the subscriber's PUBACK
and before a finished save loses the message after the publisher has done its part. The log
names no payload, only topic and size, so a message is known by that shape; the kill run
replays a missing event, and requires the broker's log to show such a message of its shape.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

Shape = tuple[str, int]  # (topic, payload bytes)

_START = re.compile(r"^\d+: mosquitto version \S+ starting$")
_RECEIVED = re.compile(
    r"^\d+: Received PUBLISH from (?P<client>\S+) \(d\d, q1, r\d, m(?P<mid>\d+), "
    r"'(?P<topic>[^']*)', \.\.\. \((?P<size>\d+) bytes\)\)$"
)
_FORWARDED = re.compile(
    r"^\d+: Sending PUBLISH to (?P<client>\S+) \(d0, q1, r\d, m(?P<mid>\d+), "
    r"'(?P<topic>[^']*)', \.\.\. \((?P<size>\d+) bytes\)\)$"
)
_ACKED_TO = re.compile(r"^\d+: Sending PUBACK to (?P<client>\S+) \(m(?P<mid>\d+), rc0\)$")
_ACKED_BY = re.compile(r"^\d+: Received PUBACK from (?P<client>\S+) \(Mid: (?P<mid>\d+), RC:0\)$")


@dataclass
class _Life:
    """One run of the broker, from its start to the next (a SIGKILL) or to the log's end."""

    publisher: str
    subscriber: str
    received: dict[str, Shape] = field(default_factory=dict)  # publisher mid -> shape
    forwarded: dict[str, str] = field(default_factory=dict)  # publisher mid -> subscriber mid
    unconfirmed: dict[str, Shape] = field(default_factory=dict)  # acked, subscriber not yet
    _last: str | None = None  # the publisher mid whose forwards follow

    def read(self, line: str) -> None:
        if match := _RECEIVED.match(line):
            if match["client"] == self.publisher:
                self.received[match["mid"]] = (match["topic"], int(match["size"]))
                self._last = match["mid"]
            return
        if match := _FORWARDED.match(line):
            if match["client"] != self.subscriber:
                return
            if self._last is not None:  # forwarded as it arrived
                self.forwarded[self._last] = match["mid"]
            else:  # queued while the subscriber was away, sent now: the oldest of its shape
                self._send_queued((match["topic"], int(match["size"])), match["mid"])
            return
        if match := _ACKED_TO.match(line):
            if match["client"] == self.publisher and match["mid"] in self.received:
                mid = match["mid"]
                # Keyed by the subscriber's mid where it was forwarded, else by the publisher's.
                key = f"s{self.forwarded[mid]}" if mid in self.forwarded else f"p{mid}"
                self.unconfirmed[key] = self.received.pop(mid)
                self.forwarded.pop(mid, None)
            self._last = None
            return
        if (match := _ACKED_BY.match(line)) and match["client"] == self.subscriber:
            self.unconfirmed.pop(f"s{match['mid']}", None)

    def _send_queued(self, shape: Shape, subscriber_mid: str) -> None:
        queued = next((k for k, v in self.unconfirmed.items() if k[0] == "p" and v == shape), None)
        if queued is not None:  # else restored from the save of an earlier life
            self.unconfirmed[f"s{subscriber_mid}"] = self.unconfirmed.pop(queued)


def unconfirmed_at_kills(log: Path, publisher: str, subscriber: str) -> Counter[Shape]:
    """Per shape, the publisher's messages the broker acknowledged and the subscriber had not
    acknowledged when a life of the broker ended in a restart (the runs never stop it
    cleanly). Those queued while the subscriber was away count too; some of them may have
    been saved and delivered after the restart, so this is an upper bound of what was lost."""
    at_risk: Counter[Shape] = Counter()
    life: _Life | None = None
    with log.open(errors="replace") as lines:
        for raw in lines:
            line = raw.rstrip("\n")
            if _START.match(line):
                if life is not None:
                    at_risk.update(life.unconfirmed.values())
                life = _Life(publisher, subscriber)
            elif life is not None:
                life.read(line)
    return at_risk
