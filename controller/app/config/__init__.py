"""Station configuration: TOML, typed, validated, with defaults.

Each part of the station owns its section's settings, with each field's checks next to it and
the rules that relate its fields (`controller/field_checks.py`): `[mqtt]` in
`controller/mqtt/settings.py`, `[printer]` in `controller/devices/settings.py`, `[panel]` in
`controller/devices/panel/settings.py`, `[local]` in `controller/local/settings.py`, `[duty]`,
`[consumables]` and `[retention]` in `controller/policy/`, `[queue]` in
`controller/queue/limits.py`, `[station]` in `controller/config_file/station.py` (the web page
reads it too); `[log]` is here (the log's defaults are `logsetup`'s). Here the file is read
into them (`controller/config_file`) and assembled into one `Config`. A wrong file
stops start-up with every problem at once, one line each naming the file, the key and the
problem, e.g. ``/etc/printstation/station.toml: [mqtt] port: must be from 1 to 65535, got
70000``.
"""

from __future__ import annotations

import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contract.vocabulary import LogLevel
from controller.config_file import read_config
from controller.config_file.errors import ConfigError
from controller.config_file.reader import INVALID, Reader, Where
from controller.config_file.station import StationSettings
from controller.devices.panel.settings import PanelSettings
from controller.devices.settings import PrinterSettings
from controller.field_checks import OneOf, checked
from controller.local.settings import LocalSettings
from controller.mqtt.settings import MqttSettings
from controller.policy.consumables import ConsumablesSettings
from controller.policy.duty import DutySettings
from controller.policy.retention import RetentionSettings
from controller.queue.limits import QueueSettings
from logsetup import DEFAULT_FORMAT, DEFAULT_LEVEL, FORMATS

__all__ = [
    "CheckedConfig",
    "Config",
    "ConfigError",
    "StationSettings",
    "load_config",
    "load_config_for_checks",
]


@dataclass(frozen=True)
class LogSettings:
    """The `[log]` section: the level, and JSON lines or a terminal's readable lines."""

    level: str = checked(OneOf(tuple(LogLevel)), default=DEFAULT_LEVEL)
    format: str = checked(OneOf(FORMATS), default=DEFAULT_FORMAT)


@dataclass(frozen=True)
class Config:
    path: str
    station: StationSettings
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    duty: DutySettings = field(default_factory=DutySettings)
    consumables: ConsumablesSettings = field(default_factory=ConsumablesSettings)
    panel: PanelSettings = field(default_factory=PanelSettings)
    log: LogSettings = field(default_factory=LogSettings)
    local: LocalSettings = field(default_factory=LocalSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)

    @property
    def state_dir(self) -> Path:
        return self.station.directory

    @property
    def db_path(self) -> Path:
        return self.state_dir / "station.db"

    @property
    def control_socket(self) -> Path:
        return self.station.control_socket


def load_config(path: str | Path) -> Config:
    """Read, type-check and validate a station config file."""
    return read_config(path, Config)


@dataclass(frozen=True)
class CheckedConfig:
    """The config as `doctor` sees it: the file's sections that are right, the names of those
    that are not (their checks are skipped, never run on defaults), and the error."""

    config: Config
    broken: frozenset[str]
    error: ConfigError | None


def load_config_for_checks(path: str | Path) -> CheckedConfig:
    """The config for `doctor`: the file's own, or, when it has problems, its sections that are
    right; a broken section is named in `broken` and stands at its defaults only so that the
    `Config` can be built. `[station]` is taken as written as far as it reads (its state_dir
    when that is a string), since every file check needs a state directory."""
    try:
        return CheckedConfig(load_config(path), frozenset(), None)
    except ConfigError as exc:
        error = exc
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raw = {}
    sections: dict[str, Any] = {}
    broken = set()
    for name, hint in typing.get_type_hints(Config).items():
        if name == "path" or name not in raw:
            continue
        reader = Reader(Path(path))
        built = reader.value(hint, raw[name], Where(), name)
        if built is INVALID or reader.problems:
            broken.add(name)
        else:
            sections[name] = built
    if "station" not in sections:
        broken.add("station")
        given = raw.get("station")
        state_dir = given.get("state_dir") if isinstance(given, dict) else None
        if not (isinstance(state_dir, str) and state_dir):
            state_dir = StationSettings.state_dir
        sections["station"] = StationSettings(id="(unknown)", state_dir=state_dir)
    return CheckedConfig(Config(path=str(path), **sections), frozenset(broken), error)
