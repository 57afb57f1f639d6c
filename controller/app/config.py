"""Station configuration: TOML, typed, validated, with defaults.

A wrong file stops start-up with one line naming the file, the key and the problem, e.g.
``/etc/printstation/station.toml: [mqtt] port: must be from 1 to 65535, got 70000``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
import types
import typing
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controller.policy.budget import BudgetLimits
from controller.policy.duty import DutyConfig
from controller.policy.thermal import ThermalModel

STATION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
TOPIC_ROOT = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
FAULT_KINDS = ("jam", "ribbon_break", "cover_open", "unplug", "overheat")


class ConfigError(Exception):
    """A configuration problem, already phrased for the operator."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        self.path, self.key, self.problem = str(path), key, problem
        super().__init__(f"{path}: {key}: {problem}")


@dataclass(frozen=True)
class StationSection:
    id: str = ""
    state_dir: str = "/var/lib/printstation"


@dataclass(frozen=True)
class MqttSection:
    host: str = "localhost"
    port: int = 8883
    topic_root: str = "ektp/v1"
    username: str = ""
    password: str = ""
    tls_ca: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    keepalive_s: int = 30
    session_expiry_s: int = 7 * 24 * 3600
    max_inflight: int = 20


@dataclass(frozen=True)
class VirtualFault:
    at_card: int
    kind: str
    seconds: float = 0.0


@dataclass(frozen=True)
class VirtualPrinterSection:
    seconds_per_card: float = 20.0
    cards: int = 100
    ribbon: int = 250
    film: int = 500
    faults: tuple[VirtualFault, ...] = ()
    save_cards: bool = False


@dataclass(frozen=True)
class PrinterSection:
    driver: str = "usb"
    vendor_id: int = 0
    product_id: int = 0
    max_attempts: int = 3
    card_timeout_s: float = 120.0
    virtual: VirtualPrinterSection = field(default_factory=VirtualPrinterSection)


@dataclass(frozen=True)
class DutySection:
    """Defaults are the policy's own (controller/policy/thermal.py and budget.py say why)."""

    daily_limit: int = BudgetLimits.daily_limit
    hourly_limit: int = BudgetLimits.hourly_limit
    timezone: str = BudgetLimits.timezone
    ambient_c: float = ThermalModel.ambient_c
    heat_per_card_c: float = ThermalModel.heat_per_card_c
    cooling_tau_s: float = ThermalModel.cooling_tau_s
    max_head_c: float = ThermalModel.max_head_c

    def policy(self) -> DutyConfig:
        return DutyConfig(
            thermal=ThermalModel(
                self.ambient_c, self.heat_per_card_c, self.cooling_tau_s, self.max_head_c
            ),
            budget=BudgetLimits(self.daily_limit, self.hourly_limit, self.timezone),
        )


@dataclass(frozen=True)
class ConsumablesSection:
    reserve_cards: int = 20
    low_cards: int = 25
    low_ribbon: int = 25
    low_film: int = 50


@dataclass(frozen=True)
class PanelSection:
    """The operator panel's GPIO pins (BCM numbers); 0 means not fitted."""

    pin_factory: str = ""  # "" = gpiozero's choice; "lgpio" on a Pi 5; "mock" for training
    ready_led: int = 0
    busy_led: int = 0
    fault_led: int = 0
    buzzer: int = 0
    pause_button: int = 0
    review_button: int = 0
    review_hold_s: float = 2.0
    cover_switch: int = 0  # closed (low) while the cabinet cover is shut
    fan: int = 0
    fan_on_c: float = 60.0  # head model or CPU temperature that starts the fan
    fan_off_c: float = 50.0
    cpu_temp_file: str = "/sys/class/thermal/thermal_zone0/temp"
    power_fail: int = 0  # low when the UPS reports mains lost


@dataclass(frozen=True)
class LogSection:
    level: str = "info"
    format: str = "auto"


@dataclass(frozen=True)
class Config:
    path: str
    station: StationSection
    mqtt: MqttSection = field(default_factory=MqttSection)
    printer: PrinterSection = field(default_factory=PrinterSection)
    duty: DutySection = field(default_factory=DutySection)
    consumables: ConsumablesSection = field(default_factory=ConsumablesSection)
    panel: PanelSection = field(default_factory=PanelSection)
    log: LogSection = field(default_factory=LogSection)

    @property
    def state_dir(self) -> Path:
        return Path(self.station.state_dir)

    @property
    def db_path(self) -> Path:
        return self.state_dir / "station.db"

    @property
    def control_socket(self) -> Path:
        return self.state_dir / "control.sock"


def load_config(path: str | Path) -> Config:
    """Read, type-check and validate a station config file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "(file)", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "(file)", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(syntax)", f"not valid TOML: {exc}") from None
    if "station" not in raw:
        raise ConfigError(path, "[station]", "section missing (it needs at least id)")
    values = _build(Config, {**raw, "path": str(path)}, path, "")
    _validate(values, path)
    return values


def _build(cls: type, raw: Any, path: Path, where: str) -> Any:
    """Build dataclass `cls` from a TOML table, rejecting unknown keys and wrong types."""
    if not isinstance(raw, dict):
        raise ConfigError(path, _section(where), f"must be a table, got {_describe(raw)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key in raw:
        if key not in fields:
            near = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ConfigError(path, _key(where, key), f"unknown key{hint}")
    kwargs = {}
    for name, value in raw.items():
        kwargs[name] = _convert(hints[name], value, path, where, name)
    return cls(**kwargs)


def _convert(hint: Any, value: Any, path: Path, where: str, name: str) -> Any:
    key = _key(where, name)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(path, key, f"must be a table, got {_describe(value)}")
        return _build(hint, value, path, f"{where}.{name}" if where else name)
    origin = typing.get_origin(hint)
    if origin is tuple:
        item_type = typing.get_args(hint)[0]
        if not isinstance(value, list):
            raise ConfigError(path, key, f"must be a list, got {_describe(value)}")
        return tuple(
            _convert(item_type, item, path, where, f"{name}[{index}]")
            for index, item in enumerate(value)
        )
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"config field {key} has an unsupported union type")
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if (hint is int and isinstance(value, bool)) or not isinstance(value, hint):
        raise ConfigError(path, key, f"must be {_type_name(hint)}, got {_describe(value)}")
    return value


def _validate(config: Config, path: Path) -> None:
    def check(ok: bool, key: str, problem: str) -> None:
        if not ok:
            raise ConfigError(path, key, problem)

    st, mq, pr, du, co = (
        config.station,
        config.mqtt,
        config.printer,
        config.duty,
        config.consumables,
    )
    check(bool(st.id), "[station] id", "is required")
    check(
        bool(STATION_ID.fullmatch(st.id)),
        "[station] id",
        f"must match {STATION_ID.pattern}, got {st.id!r}",
    )
    check(bool(st.state_dir), "[station] state_dir", "must not be empty")
    check(bool(mq.host), "[mqtt] host", "must not be empty")
    check(1 <= mq.port <= 65535, "[mqtt] port", f"must be from 1 to 65535, got {mq.port}")
    check(
        bool(TOPIC_ROOT.fullmatch(mq.topic_root)),
        "[mqtt] topic_root",
        f"must be topic levels without wildcards, got {mq.topic_root!r}",
    )
    check(
        5 <= mq.keepalive_s <= 600,
        "[mqtt] keepalive_s",
        f"must be from 5 to 600, got {mq.keepalive_s}",
    )
    check(
        mq.session_expiry_s >= 7 * 24 * 3600,
        "[mqtt] session_expiry_s",
        f"must be at least 604800 (7 days), got {mq.session_expiry_s}",
    )
    check(
        1 <= mq.max_inflight <= 1000,
        "[mqtt] max_inflight",
        f"must be from 1 to 1000, got {mq.max_inflight}",
    )
    check(
        bool(mq.tls_cert) == bool(mq.tls_key), "[mqtt] tls_cert", "tls_cert and tls_key go together"
    )
    for option in ("tls_ca", "tls_cert", "tls_key"):
        file_name = getattr(mq, option)
        check(
            not file_name or Path(file_name).is_file(),
            f"[mqtt] {option}",
            f"no such file {file_name!r}",
        )
    check(
        pr.driver in ("usb", "virtual"),
        "[printer] driver",
        f'must be "usb" or "virtual", got {pr.driver!r}',
    )
    for option in ("vendor_id", "product_id"):
        number = getattr(pr, option)
        check(
            0 <= number <= 0xFFFF, f"[printer] {option}", f"must be from 0 to 65535, got {number}"
        )
    check(
        1 <= pr.max_attempts <= 10,
        "[printer] max_attempts",
        f"must be from 1 to 10, got {pr.max_attempts}",
    )
    check(pr.card_timeout_s > 0, "[printer] card_timeout_s", "must be positive")
    vp = pr.virtual
    check(vp.seconds_per_card >= 0, "[printer.virtual] seconds_per_card", "must be 0 or more")
    for option in ("cards", "ribbon", "film"):
        check(getattr(vp, option) >= 0, f"[printer.virtual] {option}", "must be 0 or more")
    for index, fault in enumerate(vp.faults):
        key = f"[printer.virtual] faults[{index}]"
        check(
            fault.kind in FAULT_KINDS,
            f"{key}.kind",
            f"must be one of {', '.join(FAULT_KINDS)}, got {fault.kind!r}",
        )
        check(fault.at_card >= 1, f"{key}.at_card", f"must be 1 or more, got {fault.at_card}")
        check(fault.seconds >= 0, f"{key}.seconds", "must be 0 or more")
    check(du.daily_limit >= 1, "[duty] daily_limit", f"must be 1 or more, got {du.daily_limit}")
    check(du.hourly_limit >= 1, "[duty] hourly_limit", f"must be 1 or more, got {du.hourly_limit}")
    try:
        zoneinfo.ZoneInfo(du.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        check(False, "[duty] timezone", f"unknown time zone {du.timezone!r}")
    check(du.heat_per_card_c > 0, "[duty] heat_per_card_c", "must be positive")
    check(du.cooling_tau_s > 0, "[duty] cooling_tau_s", "must be positive")
    check(
        du.max_head_c - du.ambient_c > du.heat_per_card_c,
        "[duty] max_head_c",
        f"must be more than ambient_c + heat_per_card_c "
        f"({du.ambient_c + du.heat_per_card_c:g}), got {du.max_head_c:g}",
    )
    for option in ("reserve_cards", "low_cards", "low_ribbon", "low_film"):
        check(getattr(co, option) >= 0, f"[consumables] {option}", "must be 0 or more")
    pa = config.panel
    pins = [(f.name, getattr(pa, f.name)) for f in dataclasses.fields(pa) if f.type == "int"]
    used: dict[int, str] = {}
    for option, pin in pins:
        check(0 <= pin <= 27, f"[panel] {option}", f"must be a BCM pin 1-27 or 0, got {pin}")
        check(
            pin == 0 or pin not in used,
            f"[panel] {option}",
            f"pin {pin} is already used by {used.get(pin)}",
        )
        if pin:
            used[pin] = option
    check(
        pa.pin_factory in ("", "lgpio", "rpigpio", "pigpio", "native", "mock"),
        "[panel] pin_factory",
        f"unknown pin factory {pa.pin_factory!r}",
    )
    check(pa.fan_off_c < pa.fan_on_c, "[panel] fan_off_c", "must be below fan_on_c")
    check(pa.review_hold_s > 0, "[panel] review_hold_s", "must be positive")
    check(
        config.log.level in ("debug", "info", "warning", "error"),
        "[log] level",
        f"must be debug, info, warning or error, got {config.log.level!r}",
    )
    check(
        config.log.format in ("auto", "json", "console"),
        "[log] format",
        f"must be auto, json or console, got {config.log.format!r}",
    )


def _section(where: str) -> str:
    return f"[{where}]" if where else "(top level)"


def _key(where: str, name: str) -> str:
    return f"[{where}] {name}" if where else f"[{name}]"


def _type_name(hint: Any) -> str:
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(
        hint, getattr(hint, "__name__", str(hint))
    )


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
