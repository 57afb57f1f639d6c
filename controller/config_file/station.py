"""The `[station]` section: its id, and the directory of its database and socket (read by the
daemon, its command line and the web page)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contract.topics import STATION_ID
from controller.field_checks import Matches, checked, not_empty


@dataclass(frozen=True)
class StationSettings:
    """The `[station]` section: its id, and the directory of its database and socket."""

    id: str = checked(Matches(STATION_ID))
    state_dir: str = checked(not_empty, default="/var/lib/printstation")

    @property
    def directory(self) -> Path:
        return Path(self.state_dir)

    @property
    def control_socket(self) -> Path:
        """The daemon's control socket, which the command line and the web page talk to."""
        return self.directory / "control.sock"
