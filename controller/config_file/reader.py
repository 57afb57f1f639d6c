"""Reading a config file's TOML tables into the typed sections, every problem collected."""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controller.config_file.errors import Problem
from controller.field_checks import CHECKS, Check
from controller.said import said

INVALID = object()  # a value not of its type, or a table missing a key: its parents too


def _fields(cls: type) -> dict[str, tuple[Any, tuple[Check, ...]]]:
    """Each field's type and the checks `checked` declared for it."""
    hints = typing.get_type_hints(cls)
    return {
        each.name: (hints[each.name], each.metadata.get(CHECKS, ()))
        for each in dataclasses.fields(cls)
    }


@dataclass(frozen=True)
class Where:
    """A table's place: its section, and within a list of tables the item (``faults[0].``)."""

    section: str = ""
    item: str = ""

    @property
    def dotted(self) -> str:
        return self.section + (f".{self.item[:-1]}" if self.item else "")

    def key(self, name: str) -> str:
        """`name` as type problems and unknown keys say it: ``[printer.virtual.faults[0]] x``."""
        return f"[{self.dotted}] {name}" if self.dotted else f"[{name}]"

    def field(self, name: str) -> str:
        """`name` as checks and rules say it: ``[printer.virtual] faults[0].kind``."""
        return f"[{self.section}] {self.item}{name}"

    def child(self, name: str) -> Where:
        return Where(f"{self.dotted}.{name}" if self.dotted else name)

    def element(self, name: str, index: int) -> Where:
        return Where(self.section, f"{self.item}{name}[{index}].")


class Reader:
    """Builds dataclasses from TOML tables, collecting every problem in file order."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.problems: list[Problem] = []

    def report(self, key: str, problem: str) -> None:
        self.problems.append(Problem(self.path, key, problem))

    def table(self, cls: type, raw: Any, where: Where, key: str) -> Any:
        """`cls` from the table `raw`, or INVALID if a key it gives is not of its type or a
        required one is missing. Given values are checked (defaults are trusted), and the
        rules of `cls` run even when a check failed, so that they report too."""
        if not isinstance(raw, dict):
            self.report(key, said("must be a table, got %(got)s", got=_describe(raw)))
            return INVALID
        fields = _fields(cls)
        values = {}
        for name, value in raw.items():
            if name not in fields:
                near = difflib.get_close_matches(name, list(fields), n=1)
                unknown = (
                    said("unknown key (did you mean %(near)r?)", near=near[0]) if near else None
                )
                self.report(where.key(name), unknown or said("unknown key"))
                continue
            kind, checks = fields[name]
            values[name] = self.value(kind, value, where, name)
            if values[name] is not INVALID:
                self.check(checks, values[name], where.field(name))
        missing = [
            each.name
            for each in dataclasses.fields(cls)
            if each.name not in raw and each.default is each.default_factory is dataclasses.MISSING
        ]
        for name in missing:
            self.report(where.field(name), said("is required"))
        if missing or any(value is INVALID for value in values.values()):
            return INVALID
        built = cls(**values)
        for rule in getattr(cls, "RULES", ()):
            for name, problem in rule(built):
                self.report(where.field(name), problem)
        return built

    def check(self, checks: tuple[Check, ...], value: Any, key: str) -> None:
        """Report the first of a field's checks that `value` fails."""
        for check in checks:
            if problem := check(value):
                self.report(key, problem)
                return

    def value(self, hint: Any, raw: Any, where: Where, name: str) -> Any:
        key = where.key(name)
        if dataclasses.is_dataclass(hint):
            return self.table(typing.cast(type, hint), raw, where.child(name), key)
        origin = typing.get_origin(hint)
        if origin is tuple:
            if not isinstance(raw, list):
                self.report(key, said("must be a list, got %(got)s", got=_describe(raw)))
                return INVALID
            item_type = typing.get_args(hint)[0]
            items = [
                self.table(
                    item_type, item, where.element(name, index), where.key(f"{name}[{index}]")
                )
                if dataclasses.is_dataclass(item_type)
                else self.value(item_type, item, where, f"{name}[{index}]")
                for index, item in enumerate(raw)
            ]
            return INVALID if any(item is INVALID for item in items) else tuple(items)
        if origin in (typing.Union, types.UnionType):
            raise TypeError(f"config field {key} has an unsupported union type")
        if hint is float and isinstance(raw, int) and not isinstance(raw, bool):
            return float(raw)
        if (hint is int and isinstance(raw, bool)) or not isinstance(raw, hint):
            self.report(
                key,
                said("must be %(kind)s, got %(got)s", kind=_type_name(hint), got=_describe(raw)),
            )
            return INVALID
        return raw


def _type_name(hint: Any) -> str:
    names = {
        int: said("an integer"),
        float: said("a number"),
        str: said("a string"),
        bool: said("true or false"),
    }
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return said("a table")
    if isinstance(value, list):
        return said("a list")
    return f"{type(value).__name__} {value!r}"
