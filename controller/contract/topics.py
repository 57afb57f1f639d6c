"""The station's MQTT topics (docs/interface.md), all below `{root}/{station}/`."""

from __future__ import annotations

from dataclasses import dataclass


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
        """Whether the station may answer on `topic`: only below `{st}/reply/`, no wildcards.

        A station never publishes outside its own subtree (docs/interface.md), and the broker's ACL
        would refuse it anyway; a requester picks e.g. `{st}/reply/{requester-id}`.
        """
        prefix = f"{self.reply}/"
        return (
            topic.startswith(prefix)
            and len(topic) > len(prefix)
            and not any(char in topic for char in "+#\0")
        )
