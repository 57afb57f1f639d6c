"""The checks a config field declares next to it, and the problems they find."""

from __future__ import annotations

import dataclasses
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Problem:
    """One problem of a config file; str() is its line, ``path: key: problem``."""

    path: str
    key: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.key}: {self.problem}"


class ConfigError(Exception):
    """Every problem of a config file, in file order, already phrased for the operator.

    `path`, `key` and `problem` are the first one's; str() is all of them, one per line.
    """

    def __init__(self, path: Path | str, key: str, problem: str, *more: Problem) -> None:
        self.path, self.key, self.problem = str(path), key, problem
        self.errors = [Problem(self.path, key, problem), *more]
        super().__init__("\n".join(map(str, self.errors)))


class Check(Protocol):
    """Called with the value the file gives a field; `checked` declares a field's."""

    def __call__(self, value: Any, /) -> str | None: ...


@dataclass(frozen=True)
class Range:
    """From `low` to `high`, both included; no `high`: `low` or more."""

    low: float
    high: float | None = None

    def __call__(self, value: float) -> str | None:
        if self.high is None:
            return None if value >= self.low else f"must be {self.low} or more, got {value}"
        if self.low <= value <= self.high:
            return None
        return f"must be from {self.low} to {self.high}, got {value}"


def positive(value: float) -> str | None:
    return None if value > 0 else f"must be positive, got {value}"


@dataclass(frozen=True)
class OneOf:
    choices: tuple[str, ...]

    def __call__(self, value: str) -> str | None:
        if value in self.choices:
            return None
        *others, last = [f'"{choice}"' for choice in self.choices]
        listed = f"{', '.join(others)} or {last}" if others else last
        return f"must be {'one of ' if len(others) > 1 else ''}{listed}, got {value!r}"


@dataclass(frozen=True)
class Matches:
    """The whole value matches `pattern`; `means` says so in words."""

    pattern: re.Pattern[str]
    means: str = ""

    def __call__(self, value: str) -> str | None:
        if self.pattern.fullmatch(value):
            return None
        wanted = f"be {self.means}" if self.means else f"match {self.pattern.pattern}"
        return f"must {wanted}, got {value!r}"


def not_empty(value: str) -> str | None:
    return None if value else "must not be empty"


def file_or_empty(value: str) -> str | None:
    return None if not value or Path(value).is_file() else f"no such file {value!r}"


def time_zone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r}"
    return None


def bcm_pin(value: int) -> str | None:
    return None if 0 <= value <= 27 else f"must be a BCM pin 1-27 or 0, got {value}"


POSIX_NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


def all_names(value: tuple[str, ...]) -> str | None:
    """User or group names, as useradd accepts them."""
    bad = [name for name in value if not POSIX_NAME.fullmatch(name)]
    return f"not a user or group name: {bad[0]!r}" if bad else None


CHECKS = "checks"  # the key of a field's metadata that holds its checks


def checked(*checks: Check, default: Any = dataclasses.MISSING) -> Any:
    """A field whose value from the file must pass `checks`; the first it fails is reported."""
    return field(default=default, metadata={CHECKS: checks})


def pin() -> Any:
    """A [panel] GPIO pin, 0 when not fitted."""
    return checked(bcm_pin, default=0)
