"""How a part of the station declares its settings: checks next to each field, rules across them.

A field declares its checks in its metadata, ``port: int = checked(Range(1, 65535),
default=8883)``; a rule that relates fields is a method of its settings class, listed in the
class's `RULES`, that yields a `RuleProblem` per problem. Each part keeps its settings beside its
code (`controller/mqtt/settings.py`, ...); the app's config reader reads the file into them and
reports what the checks and rules find. This module needs only the standard library, so that
every part can use it without reaching up into the app.

A problem is said with `controller.said.said`, so that the command line can say it in Bahasa
Indonesia.
"""

from __future__ import annotations

import dataclasses
import re
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from controller.said import said

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
            if value >= self.low:
                return None
            return said("must be %(low)s or more, got %(value)s", low=self.low, value=value)
        if self.low <= value <= self.high:
            return None
        return said(
            "must be from %(low)s to %(high)s, got %(value)s",
            low=self.low,
            high=self.high,
            value=value,
        )


def positive(value: float) -> str | None:
    return None if value > 0 else said("must be positive, got %(value)s", value=value)


@dataclass(frozen=True)
class OneOf:
    choices: tuple[str, ...]

    def __call__(self, value: str) -> str | None:
        if value in self.choices:
            return None
        *others, last = [f'"{choice}"' for choice in self.choices]
        if not others:
            return said("must be %(choice)s, got %(value)r", choice=last, value=value)
        listed = {"others": ", ".join(others), "last": last, "value": value}
        if len(others) == 1:
            return said("must be %(others)s or %(last)s, got %(value)r", **listed)
        return said("must be one of %(others)s or %(last)s, got %(value)r", **listed)


@dataclass(frozen=True)
class Matches:
    """The whole value matches `pattern`; `means` says so in words."""

    pattern: re.Pattern[str]
    means: str = ""

    def __call__(self, value: str) -> str | None:
        if self.pattern.fullmatch(value):
            return None
        if self.means:
            return said("must be %(means)s, got %(value)r", means=self.means, value=value)
        return said(
            "must match %(pattern)s, got %(value)r", pattern=self.pattern.pattern, value=value
        )


def not_empty(value: str) -> str | None:
    return None if value else said("must not be empty")


def file_or_empty(value: str) -> str | None:
    return None if not value or Path(value).is_file() else said("no such file %(file)r", file=value)


def time_zone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return said("unknown time zone %(zone)r", zone=value)
    return None


CHECKS = "checks"  # the key of a field's metadata that holds its checks


def checked(*checks: Check, default: Any = dataclasses.MISSING) -> Any:
    """A field whose value from the file must pass `checks`; the first it fails is reported."""
    return field(default=default, metadata={CHECKS: checks})
