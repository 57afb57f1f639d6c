"""How a part of the station declares its settings: checks next to each field, rules across them.

A field declares its checks in its metadata, ``port: int = checked(Range(1, 65535),
default=8883)``; a rule that relates fields is a method of its settings class, listed in the
class's `RULES`, that yields a `RuleProblem` per problem. Each part keeps its settings beside its
code (`controller/mqtt/settings.py`, ...); the app's config reader reads the file into them and
reports what the checks and rules find. This module needs only the standard library, so that
every part can use it without reaching up into the app.
"""

from __future__ import annotations

import dataclasses
import re
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

RuleProblem = tuple[str, str]  # a rule's problem: the field it names, and what is wrong
Rules = tuple[Callable[[Any], Iterator[RuleProblem]], ...]


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


CHECKS = "checks"  # the key of a field's metadata that holds its checks


def checked(*checks: Check, default: Any = dataclasses.MISSING) -> Any:
    """A field whose value from the file must pass `checks`; the first it fails is reported."""
    return field(default=default, metadata={CHECKS: checks})
