"""Every setting of `printstation-central`, in one table (`OPTIONS`).

Each `Option` is at once a command-line flag (`--mqtt-host`), an environment variable
(`PRINTSTATION_CENTRAL_MQTT_HOST`) and a key of the config file (`[mqtt] host`), with one
default and one help text. The first of these that gives a value wins: the command line, the
environment, the file (`--config`), the default. Every problem is collected and reported at
once, one line each, naming where the value came from: `central.toml: [mqtt] port: must be an
integer, got str '1883'`.

Adding a setting is adding one `Option` here: argparse, the environment, the file, `--help`,
docs/central.md's table (tests/central/test_options.py checks it) follow from the table.
"""

from __future__ import annotations

import argparse
import difflib
import ipaddress
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from central.migrate import GAMMU_SCHEMA
from central.store import OFFICE_ZONE
from contract.topics import DEFAULT_ROOT
from contract.vocabulary import LogLevel

ENV = "PRINTSTATION_CENTRAL_"
LOG_FORMATS = ("auto", "json", "console")  # logsetup.FORMATS
Check = Callable[[Any], str | None]


class ConfigError(Exception):
    """Settings that cannot be used: one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Kind:
    """A setting's type: its name in problems, and how text (flag, environment) and TOML
    values become it (None: not of this kind)."""

    name: str
    from_text: Callable[[str], Any]
    from_toml: Callable[[Any], Any]


def _number(cls: type) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if cls is int and isinstance(value, float):
            return None
        return cls(value)

    return read


def _text_to(cls: type) -> Callable[[str], Any]:
    def read(text: str) -> Any:
        try:
            return cls(text)
        except ValueError:
            return None

    return read


def _days(text: str) -> tuple[float, ...] | None:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        return None


def _days_list(value: Any) -> tuple[float, ...] | None:
    if not isinstance(value, list):
        return None
    read = [_number(float)(each) for each in value]
    return None if any(each is None for each in read) else tuple(read)


def _zone(text: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _bool(text: str) -> bool | None:
    return {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}.get(
        text.strip().lower()
    )


TEXT = Kind("a string", str, lambda v: v if isinstance(v, str) else None)
INT = Kind("an integer", _text_to(int), _number(int))
FLOAT = Kind("a number", _text_to(float), _number(float))
BOOL = Kind("true or false", _bool, lambda v: v if isinstance(v, bool) else None)
PATH = Kind("a path", Path, lambda v: Path(v) if isinstance(v, str) else None)
DAYS = Kind("a list of numbers of days", _days, _days_list)
ZONE = Kind("a time zone", _zone, lambda v: _zone(v) if isinstance(v, str) else None)


def port(allow_zero: bool = False) -> Check:
    low = 0 if allow_zero else 1
    return lambda v: None if low <= v <= 65535 else f"must be {low} to 65535, got {v}"


def positive(value: float) -> str | None:
    return None if value > 0 else f"must be more than 0, got {value}"


def not_negative(value: float) -> str | None:
    return None if value >= 0 else f"must be 0 or more, got {value}"


def a_file(path: Path) -> str | None:
    return None if path.is_file() else f"no file {str(path)!r}"


def not_empty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def one_of(*choices: str) -> Check:
    return lambda v: None if v in choices else f"must be one of {', '.join(choices)}, got {v!r}"


def ip_address(value: str) -> str | None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return f"must be an IP address, got {value!r}"
    return None


def ascending_days(days: tuple[float, ...]) -> str | None:
    if any(d <= 0 for d in days) or list(days) != sorted(set(days)):
        return f"must be days after printing, ascending and more than 0, got {list(days)}"
    return None


@dataclass(frozen=True)
class Option:
    flag: str  # --mqtt-host: the attribute mqtt_host, the variable PRINTSTATION_CENTRAL_MQTT_HOST
    section: str  # the config file's table
    key: str
    kind: Kind
    default: Any
    help: str
    commands: tuple[str, ...] | None = ("run",)  # the subcommands taking it; None: before any
    check: Check | None = None

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")

    @property
    def env(self) -> str:
        return ENV + self.dest.upper()

    @property
    def where(self) -> str:
        return f"[{self.section}] {self.key}"

    def help_text(self) -> str:
        shown = ",".join(f"{d:g}" for d in self.default) if self.kind is DAYS else self.default
        key = f"; config {self.where}" if self.section else ""
        text = f"{self.help} (default: {'none' if shown is None else shown}; env {self.env}{key})"
        return text.replace("%", "%%")  # argparse formats help with %


# fmt: off
OPTIONS: tuple[Option, ...] = (
    Option("--config", "", "", PATH, None, "the config file (TOML, docs/central.md)", None),
    Option(
        "--database", "database", "dsn", TEXT, "dbname=central", "PostgreSQL DSN", None,
           not_empty),
    Option("--log-level", "log", "level", TEXT, LogLevel.INFO.value, "log level", None,
           one_of(*(level.value for level in LogLevel))),
    Option("--log-format", "log", "format", TEXT, "auto",
           "auto: readable on a terminal, JSON lines elsewhere", None, one_of(*LOG_FORMATS)),
    Option("--mqtt-host", "mqtt", "host", TEXT, "127.0.0.1", "the broker's host", check=not_empty),
    Option("--mqtt-port", "mqtt", "port", INT, 1883, "the broker's port", check=port()),
    Option("--mqtt-ca", "mqtt", "tls_ca", PATH, None,
           "CA certificate file: TLS to the broker", check=a_file),
    Option("--mqtt-cert", "mqtt", "tls_cert", PATH, None,
           "client certificate file (with --mqtt-key)", check=a_file),
    Option("--mqtt-key", "mqtt", "tls_key", PATH, None,
           "the client certificate's key file", check=a_file),
    Option("--mqtt-username", "mqtt", "username", TEXT, None,
           "broker account (the shipped ACL: the replica's id)", check=not_empty),
    Option("--mqtt-password-file", "mqtt", "password_file", PATH, None,
           "file holding the account's password", check=a_file),
    Option("--root", "mqtt", "topic_root", TEXT, DEFAULT_ROOT, "topic root", check=not_empty),
    Option("--replica", "mqtt", "client_id", TEXT, "central-1",
           "this replica's stable MQTT client id (one per replica)", check=not_empty),
    Option("--gap-grace-s", "gaps", "grace_s", FLOAT, 5.0,
           "seconds a gap in seq may stay before a replay is asked for", check=positive),
    Option("--gap-retry-s", "gaps", "retry_s", FLOAT, 30.0,
           "seconds between replays of one gap", check=positive),
    Option("--max-replays", "gaps", "max_replays", INT, 3,
           "replays of a gap before it is reported as persistent", check=positive),
    Option("--reminder-days", "sms", "reminder_days", DAYS, (30.0, 90.0, 180.0),
           "days after printing to remind an uncollected card", check=ascending_days),
    Option("--office-zone", "sms", "office_zone", ZONE, OFFICE_ZONE,
           "the office's time zone: the dates in an SMS, the reminders' days"),
    Option("--max-event-age-days", "intake", "max_event_age_days", FLOAT, 1100.0,
           "oldest event time taken, days before receipt", check=positive),
    Option("--max-clock-ahead-s", "intake", "max_clock_ahead_s", FLOAT, 86400.0,
           "seconds an event's time may be ahead of its receipt", check=not_negative),
    Option("--max-batch", "service", "max_batch", INT, 500,
           "events per database transaction", check=positive),
    Option("--watchdog-s", "service", "watchdog_s", FLOAT, 0.0,
           "seconds between systemd watchdog pings (0: half of WatchdogSec, if set)",
           check=not_negative),
    Option("--metrics-addr", "http", "address", TEXT, "127.0.0.1",
           "address of /metrics and /healthz", check=ip_address),
    Option("--metrics-port", "http", "port", INT, 0,
           "port of /metrics and /healthz (0: none)", check=port(allow_zero=True)),
    Option("--gammu-schema", "database", "gammu_schema", PATH, GAMMU_SCHEMA,
           "Gammu's SQL schema, applied if its tables are missing", ("migrate",)),
    Option("--gammu", "database", "gammu", BOOL, True,
           "create Gammu's tables too (--no-gammu: they live elsewhere)", ("migrate",)),
    Option("--timezone", "report", "timezone", ZONE, OFFICE_ZONE,
           "the zone the month is counted in", ("report",)),
)
# fmt: on


def add_options(parser: argparse.ArgumentParser, command: str | None) -> None:
    """The options of `command` (None: those before any command) on `parser`. Their argparse
    default is None, so that `resolve` knows which were given."""
    for option in OPTIONS:
        wanted = option.commands is None if command is None else command in (option.commands or ())
        if wanted:
            if option.kind is BOOL:
                parser.add_argument(
                    option.flag, action=argparse.BooleanOptionalAction, help=option.help_text()
                )
            else:
                parser.add_argument(
                    option.flag, metavar=option.dest.upper(), help=option.help_text()
                )


def resolve(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> None:
    """Fill `args` with each option's value from the command line, the environment, the config
    file or the default, in that order; raise ConfigError with every problem."""
    environ = os.environ if environ is None else environ
    problems: list[str] = []
    config = _pick(OPTIONS[0], args, environ, {}, "", problems)
    path = str(config) if config else ""
    table = _read_file(config, problems) if config else {}
    for option in OPTIONS[1:]:
        if hasattr(args, option.dest):
            setattr(args, option.dest, _pick(option, args, environ, table, path, problems))
    args.config = config
    if problems:
        raise ConfigError(problems)


def _pick(
    option: Option,
    args: argparse.Namespace,
    environ: Mapping[str, str],
    table: Mapping[str, Any],
    path: str,
    problems: list[str],
) -> Any:
    given = getattr(args, option.dest, None)
    if isinstance(given, bool):
        return given
    if given is not None:
        value, source = option.kind.from_text(given), option.flag
    elif option.env in environ:
        given = environ[option.env]
        value, source = option.kind.from_text(given), option.env
    elif option.key in table.get(option.section, {}):
        given = table[option.section][option.key]
        value, source = option.kind.from_toml(given), f"{path}: {option.where}"
    else:
        return option.default
    problem = (
        f"must be {option.kind.name}, got {type(given).__name__} {given!r}"
        if value is None
        else option.check(value)
        if option.check
        else None
    )
    if problem:
        problems.append(f"{source}: {problem}")
    return value


def _read_file(path: Path, problems: list[str]) -> dict[str, Any]:
    """The file's tables; unknown tables and keys are problems (a typo must not be ignored)."""
    try:
        with path.open("rb") as file:
            table = tomllib.load(file)
    except OSError as exc:
        problems.append(f"{path}: cannot read: {exc.strerror}")
        return {}
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path}: not TOML: {exc}")
        return {}
    known: dict[str, set[str]] = {}
    for option in OPTIONS[1:]:
        known.setdefault(option.section, set()).add(option.key)
    for section, keys in table.items():
        if section not in known:
            problems.append(f"{path}: [{section}]: unknown table{_near(section, known)}")
        elif not isinstance(keys, dict):
            problems.append(f"{path}: [{section}]: must be a table")
        else:
            problems.extend(
                f"{path}: [{section}] {key}: unknown key{_near(key, known[section])}"
                for key in keys
                if key not in known[section]
            )
    return {s: k for s, k in table.items() if s in known and isinstance(k, dict)}


def _near(name: str, known: Any) -> str:
    near = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""
