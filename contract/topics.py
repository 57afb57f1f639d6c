"""The interface's MQTT topics (docs/interface.md), all below `{root}/{station}/`: one station's
names (`Topics`), the filters a consumer of the whole fleet subscribes to, and the strict
reading of a topic a message came on (`parse_topic`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_ROOT = "ektp/v1"  # `[mqtt] topic_root` unless configured otherwise
STATION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")

# A Response Topic below `{st}/reply/` has at most this many levels there, and the whole topic
# at most this many UTF-8 bytes: far inside what brokers accept (mosquitto drops the connection
# of a client publishing to a topic of more than 200 levels), and ample for a requester's id.
MAX_RESPONSE_LEVELS = 8
MAX_RESPONSE_TOPIC_BYTES = 256
ANY_LEVEL = "+"


class Channel(StrEnum):
    """The level below `{st}/` that says what a topic carries."""

    STATUS = "status"
    EVENT = "event"
    JOB = "job"
    COMMAND = "cmd"
    REPLY = "reply"


CHANNELS = {channel.value: channel for channel in Channel}


@dataclass(frozen=True)
class Topics:
    """Topic names of one station; `base` is the contract's `{st}`."""

    root: str
    station: str

    @property
    def base(self) -> str:
        return f"{self.root}/{self.station}"

    @property
    def status(self) -> str:
        return f"{self.base}/{Channel.STATUS}"

    @property
    def job(self) -> str:
        return f"{self.base}/{Channel.JOB}"

    @property
    def commands(self) -> str:
        """The subscription filter for commands: one level below `cmd/`."""
        return self.command(ANY_LEVEL)

    def command(self, name: str) -> str:
        """The topic a requester publishes command `name` on."""
        return f"{self.base}/{Channel.COMMAND}/{name}"

    @property
    def reply(self) -> str:
        return f"{self.base}/{Channel.REPLY}"

    def event(self, event_type: str) -> str:
        return f"{self.base}/{Channel.EVENT}/{event_type}"

    def command_name(self, topic: str) -> str | None:
        """The command name of a `{st}/cmd/{name}` topic, or None for any other topic."""
        prefix = self.command("")
        if not topic.startswith(prefix):
            return None
        name = topic[len(prefix) :]
        return name if name and "/" not in name else None

    def accepts_response_topic(self, topic: str) -> bool:
        """Whether the station may answer on `topic`: only below `{st}/reply/`, no wildcards,
        at most MAX_RESPONSE_LEVELS levels there and MAX_RESPONSE_TOPIC_BYTES in all.

        A station never publishes outside its own subtree (docs/interface.md), and the broker's ACL
        would refuse it anyway; a requester picks e.g. `{st}/reply/{requester-id}`.
        """
        prefix = f"{self.reply}/"
        return (
            topic.startswith(prefix)
            and len(topic) > len(prefix)
            and not any(char in topic for char in "+#\0")
            and len(topic.encode("utf-8", "surrogatepass")) <= MAX_RESPONSE_TOPIC_BYTES
            and topic[len(prefix) :].count("/") < MAX_RESPONSE_LEVELS
        )


def every_station(root: str) -> Topics:
    """The topics of all stations at once: each name is a filter with `+` for the station."""
    return Topics(root, ANY_LEVEL)


def event_filter(root: str) -> str:
    """Every event of every station."""
    return every_station(root).event(ANY_LEVEL)


def status_filter(root: str) -> str:
    """Every station's retained status."""
    return every_station(root).status


def shared(group: str, topic_filter: str) -> str:
    """`topic_filter` as a shared subscription of `group`: the broker hands each message to one
    member of the group."""
    return f"$share/{group}/{topic_filter}"


@dataclass(frozen=True)
class Address:
    """What a topic says of its message: the station, the channel, and for an event its type
    (for a command its name)."""

    station: str
    channel: Channel
    name: str | None = None


def parse_topic(topic: str, root: str) -> Address | None:
    """The address of a station's status, event, job, command or reply topic under `root`, or
    None for any other topic: the root must be the topic's whole beginning (`x/ektp/v1/...` and
    `v1/...` are not under `ektp/v1`), the station an id of the contract, and the levels below it
    exactly those of the channel."""
    prefix = f"{root}/"
    if not topic.startswith(prefix):
        return None
    station, *levels = topic[len(prefix) :].split("/")
    if not STATION_ID.fullmatch(station) or not levels:
        return None
    channel = CHANNELS.get(levels[0])
    if channel is None:
        return None
    named = channel in (Channel.EVENT, Channel.COMMAND)
    if named and len(levels) == 2 and levels[1]:
        return Address(station, channel, levels[1])
    if not named and len(levels) == 1:
        return Address(station, channel)
    return None
