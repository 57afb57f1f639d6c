"""Station configuration: TOML, typed, validated, with defaults.

Each field declares its checks next to it, `port: int = checked(Range(1, 65535), default=8883)`
(in the field's metadata); rules that relate fields are named methods of their section, listed in
its `RULES`. A wrong file stops start-up with every problem at once, one line each naming the
file, the key and the problem, e.g.
``/etc/printstation/station.toml: [mqtt] port: must be from 1 to 65535, got 70000``.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from contract.topics import DEFAULT_ROOT, STATION_ID
from contract.vocabulary import FaultKind, LogLevel
from controller.app.config.checks import (
    CHECKS,
    ConfigError,
    Matches,
    OneOf,
    Range,
    all_names,
    bcm_pin,
    checked,
    file_or_empty,
    not_empty,
    pin,
    positive,
    time_zone,
)
from controller.app.config.reader import INVALID, Reader, Where
from controller.policy.budget import BudgetLimits
from controller.policy.duty import DutyConfig
from controller.policy.thermal import ThermalModel

__all__ = ["CHECKS", "Config", "ConfigError", "load_config", "load_config_for_checks"]

TOPIC_ROOT = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
WEEK_S = 7 * 24 * 3600
DRIVERS = ("usb", "network", "virtual")
PIN_FACTORIES = ("", "lgpio", "rpigpio", "pigpio", "native", "mock")
LOG_FORMATS = ("auto", "json", "console")


Finding = tuple[str, str]  # a rule's problem: the field it names, and what is wrong
Rules = tuple[Callable[[Any], Iterator[Finding]], ...]


# -- the sections --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StationSection:
    id: str = checked(Matches(STATION_ID))
    state_dir: str = checked(not_empty, default="/var/lib/printstation")


@dataclass(frozen=True)
class MqttSection:
    host: str = checked(not_empty, default="localhost")
    port: int = checked(Range(1, 65535), default=8883)
    topic_root: str = checked(
        Matches(TOPIC_ROOT, "topic levels without wildcards"), default=DEFAULT_ROOT
    )
    username: str = ""
    password: str = ""
    tls_ca: str = checked(file_or_empty, default="")
    tls_cert: str = checked(file_or_empty, default="")
    tls_key: str = checked(file_or_empty, default="")
    keepalive_s: int = checked(Range(5, 600), default=30)
    session_expiry_s: int = WEEK_S
    max_inflight: int = checked(Range(1, 1000), default=20)

    def _outlives_a_week_offline(self) -> Iterator[Finding]:
        if self.session_expiry_s < WEEK_S:
            got = self.session_expiry_s
            yield "session_expiry_s", f"must be at least {WEEK_S} (7 days), got {got}"

    def _tls_pair(self) -> Iterator[Finding]:
        if bool(self.tls_cert) != bool(self.tls_key):
            yield "tls_cert", "tls_cert and tls_key go together"

    RULES: ClassVar[Rules] = (_outlives_a_week_offline, _tls_pair)


@dataclass(frozen=True)
class VirtualFault:
    at_card: int = checked(Range(1))
    kind: str = checked(OneOf(tuple(FaultKind)))
    seconds: float = checked(Range(0), default=0.0)


@dataclass(frozen=True)
class VirtualPrinterSection:
    seconds_per_card: float = checked(Range(0), default=20.0)
    cards: int = checked(Range(0), default=100)
    ribbon: int = checked(Range(0), default=250)
    film: int = checked(Range(0), default=500)
    faults: tuple[VirtualFault, ...] = ()
    save_cards: bool = False
    keep_cards_hours: float = checked(Range(0, 24 * 90), default=24.0)  # then deleted


@dataclass(frozen=True)
class PrinterSection:
    driver: str = checked(OneOf(DRIVERS), default="usb")
    vendor_id: int = checked(Range(0, 0xFFFF), default=0)
    product_id: int = checked(Range(0, 0xFFFF), default=0)
    max_attempts: int = checked(Range(1, 10), default=3)
    card_timeout_s: float = checked(positive, default=120.0)
    command_timeout_s: float = checked(Range(0.5, 120), default=10.0)
    # driver = "network": the printer at socket://host:port
    host: str = ""
    port: int = checked(Range(1, 65535), default=9100)
    # driver = "network" and the peer is `printstation virtual-printer`: tell it reloads
    virtual_extensions: bool = False
    virtual: VirtualPrinterSection = field(default_factory=VirtualPrinterSection)

    def _network_needs_a_host(self) -> Iterator[Finding]:
        if self.driver == "network" and not self.host:
            yield "host", 'must name the printer with driver = "network"'

    def _extensions_only_over_the_network(self) -> Iterator[Finding]:
        if self.virtual_extensions and self.driver != "network":
            yield "virtual_extensions", 'applies only with driver = "network"'

    RULES: ClassVar[Rules] = (_network_needs_a_host, _extensions_only_over_the_network)


@dataclass(frozen=True)
class DutySection:
    """Defaults are the policy's own (controller/policy/thermal.py and budget.py say why)."""

    daily_limit: int = checked(Range(1), default=BudgetLimits.daily_limit)
    hourly_limit: int = checked(Range(1), default=BudgetLimits.hourly_limit)
    timezone: str = checked(time_zone, default=BudgetLimits.timezone)
    ambient_c: float = ThermalModel.ambient_c
    heat_per_card_c: float = checked(positive, default=ThermalModel.heat_per_card_c)
    cooling_tau_s: float = checked(positive, default=ThermalModel.cooling_tau_s)
    max_head_c: float = ThermalModel.max_head_c

    def _room_for_a_card(self) -> Iterator[Finding]:
        if self.max_head_c - self.ambient_c <= self.heat_per_card_c:
            least = self.ambient_c + self.heat_per_card_c
            got = self.max_head_c
            yield (
                "max_head_c",
                f"must be more than ambient_c + heat_per_card_c ({least:g}), got {got:g}",
            )

    RULES: ClassVar[Rules] = (_room_for_a_card,)

    def policy(self) -> DutyConfig:
        return DutyConfig(
            thermal=ThermalModel(
                self.ambient_c, self.heat_per_card_c, self.cooling_tau_s, self.max_head_c
            ),
            budget=BudgetLimits(self.daily_limit, self.hourly_limit, self.timezone),
        )


@dataclass(frozen=True)
class ConsumablesSection:
    reserve_cards: int = checked(Range(0), default=20)
    low_cards: int = checked(Range(0), default=25)
    low_ribbon: int = checked(Range(0), default=25)
    low_film: int = checked(Range(0), default=50)


@dataclass(frozen=True)
class PanelSection:
    """The operator panel's GPIO pins (BCM numbers); 0 means not fitted."""

    # "" = gpiozero's choice; "lgpio" on a Pi 5; "mock" for training
    pin_factory: str = checked(OneOf(PIN_FACTORIES), default="")
    ready_led: int = pin()
    busy_led: int = pin()
    fault_led: int = pin()
    buzzer: int = pin()
    pause_button: int = pin()
    review_button: int = pin()
    review_hold_s: float = checked(positive, default=2.0)
    cover_switch: int = pin()  # closed (low) while the cabinet cover is shut
    fan: int = pin()
    fan_on_c: float = 60.0  # head model or CPU temperature that starts the fan
    fan_off_c: float = 50.0
    cpu_temp_file: str = "/sys/class/thermal/thermal_zone0/temp"
    power_fail: int = pin()  # low when the UPS reports mains lost

    def _one_use_per_pin(self) -> Iterator[Finding]:
        used: dict[int, str] = {}
        for option in dataclasses.fields(self):
            number = getattr(self, option.name)
            if bcm_pin in option.metadata.get(CHECKS, ()) and number:
                if number in used:
                    yield option.name, f"pin {number} is already used by {used[number]}"
                used.setdefault(number, option.name)

    def _fan_hysteresis(self) -> Iterator[Finding]:
        if self.fan_off_c >= self.fan_on_c:
            yield "fan_off_c", "must be below fan_on_c"

    RULES: ClassVar[Rules] = (_one_use_per_pin, _fan_hysteresis)


@dataclass(frozen=True)
class RetentionSection:
    """How long personal data stays after a job ends (photo and signature: not at all)."""

    ended_job_hours: float = checked(Range(0, 24 * 90), default=24.0)


@dataclass(frozen=True)
class LocalSection:
    """Who may act through the local control socket (checked by the kernel's SO_PEERCRED).

    Anyone who can open the socket may ask `status` and `jobs`; the manual actions (pause,
    resume, cancel, resolve, reload, replay, submit) need a user named in `operators` or a
    member of a group in `operator_groups` (root always may). `submit` prints a genuine card
    from a job handed in at the kiosk: off unless set.
    """

    operators: tuple[str, ...] = checked(all_names, default=())
    operator_groups: tuple[str, ...] = checked(all_names, default=())
    submit: bool = False
    idle_timeout_s: float = checked(Range(0.1, 600), default=10.0)


@dataclass(frozen=True)
class LogSection:
    level: str = checked(OneOf(tuple(LogLevel)), default=LogLevel.INFO)
    format: str = checked(OneOf(LOG_FORMATS), default="auto")


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
    local: LocalSection = field(default_factory=LocalSection)
    retention: RetentionSection = field(default_factory=RetentionSection)

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
    reader = Reader(path)
    config = reader.table(Config, {**raw, "path": str(path)}, Where(), "(top level)")
    if reader.problems:
        first, *more = reader.problems
        raise ConfigError(first.path, first.key, first.problem, *more)
    return typing.cast(Config, config)


def load_config_for_checks(path: str | Path) -> tuple[Config, ConfigError | None]:
    """The config for `doctor`: the file's own, or, when it has problems, one made of its
    sections that are right and the defaults of those that are not (with the error), so that
    the other checks still run."""
    try:
        return load_config(path), None
    except ConfigError as exc:
        error = exc
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raw = {}
    sections: dict[str, Any] = {}
    for name, hint in typing.get_type_hints(Config).items():
        if name == "path" or not isinstance(raw.get(name), dict):
            continue
        reader = Reader(Path(path))
        built = reader.value(hint, raw[name], Where(), name)
        if built is not INVALID and not reader.problems:
            sections[name] = built
    if "station" not in sections:
        given = raw.get("station")
        state_dir = given.get("state_dir") if isinstance(given, dict) else None
        if not (isinstance(state_dir, str) and state_dir):
            state_dir = StationSection.state_dir
        sections["station"] = StationSection(id="(unknown)", state_dir=state_dir)
    return Config(path=str(path), **sections), error
