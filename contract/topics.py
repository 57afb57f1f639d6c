"""The station's MQTT topics (docs/interface.md), all below `{root}/{station}/`."""

from __future__ import annotations

from dataclasses import dataclass

# A Response Topic below `{st}/reply/` has at most this many levels there, and the whole topic
# at most this many UTF-8 bytes: far inside what brokers accept (mosquitto drops the connection
# of a client publishing to a topic of more than 200 levels), and ample for a requester's id.
MAX_RESPONSE_LEVELS = 8
MAX_RESPONSE_TOPIC_BYTES = 256


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
        return f"{self.base}/status"

    @property
    def job(self) -> str:
        return f"{self.base}/job"

    @property
    def commands(self) -> str:
        """The subscription filter for commands: one level below `cmd/`."""
        return f"{self.base}/cmd/+"

    def command(self, name: str) -> str:
        """The topic a requester publishes command `name` on."""
        return f"{self.base}/cmd/{name}"

    @property
    def reply(self) -> str:
        return f"{self.base}/reply"

    def event(self, event_type: str) -> str:
        return f"{self.base}/event/{event_type}"

    def command_name(self, topic: str) -> str | None:
        """The command name of a `{st}/cmd/{name}` topic, or None for any other topic."""
        prefix = f"{self.base}/cmd/"
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
