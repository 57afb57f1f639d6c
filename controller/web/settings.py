"""What the web page reads of the station's config: `[station]` (where the daemon's control
socket is) and `[duty]` (the station's time zone), checked as the daemon checks them. The other
sections are the daemon's to check: reading them would load the printer's, the panel's, the
broker's and the log's settings (structlog among them), 1.6 MB of the page's memory
(docs/benchmarks.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from controller.config_file import read_config
from controller.config_file.station import StationSettings
from controller.policy.duty import DutySettings


@dataclass(frozen=True)
class PageConfig:
    path: str
    station: StationSettings
    duty: DutySettings = field(default_factory=DutySettings)


def load_page_config(path: str | Path) -> PageConfig:
    """The page's sections of the config at `path`; ConfigError names file, key and problem."""
    return read_config(path, PageConfig, only_its_sections=True)
