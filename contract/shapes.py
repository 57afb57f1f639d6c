"""Typed payloads as JSON: a frozen dataclass written as an object with its fields in order, and
read back with each field checked against its type.

A field whose metadata is `OPTIONAL` is left out of the object when it is None, and may be
missing when read. A code (a `StrEnum` field) becomes its member when this version knows it and
stays text otherwise: the interface adds codes, and a consumer never breaks on one. Fields the
type does not have are ignored, as the interface asks of every consumer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from enum import StrEnum
from functools import cache
from types import MappingProxyType, NoneType, UnionType
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

COMPACT = (",", ":")  # how the station writes JSON on the wire
OPTIONAL = MappingProxyType({"optional": True})
KINDS = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}
T = TypeVar("T")


class BadMessage(ValueError):
    """A message that breaks the contract; the text says where."""


def compact(document: Any) -> bytes:
    """`document` as the station puts JSON on the wire."""
    return json.dumps(document, separators=COMPACT).encode()


def to_json(value: Any) -> Any:
    """A typed value as JSON data: a dataclass as an object (led by its `SCHEMA`, when its class
    names one), a tuple as an array."""
    if is_dataclass(value) and not isinstance(value, type):
        schema = getattr(value, "SCHEMA", None)
        return {
            **({"schema": schema} if schema else {}),
            **{
                spec.name: to_json(getattr(value, spec.name))
                for spec in fields(value)
                if not (spec.metadata.get("optional") and getattr(value, spec.name) is None)
            },
        }
    if isinstance(value, tuple | list):
        return [to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {key: to_json(item) for key, item in value.items()}
    return value


def from_json(kind: type[T], value: Any, where: str, error: type[BadMessage] = BadMessage) -> T:
    """`value` read as a `kind` (a dataclass); `error` names the first place that does not fit."""
    if not isinstance(value, Mapping):
        raise error(f"{where} must be an object")
    hints = _hints(kind)
    found = {}
    for spec in fields(kind):  # type: ignore[arg-type]
        if spec.name in value:
            found[spec.name] = _read(
                value[spec.name], hints[spec.name], f"{where}.{spec.name}", error
            )
        elif not spec.metadata.get("optional"):
            raise error(f"{where}.{spec.name} is missing")
    return kind(**found)


@cache
def _hints(kind: type) -> dict[str, Any]:
    return get_type_hints(kind)


def _read(value: Any, hint: Any, where: str, error: type[BadMessage]) -> Any:
    options = get_args(hint) if isinstance(hint, UnionType) else (hint,)
    if value is None:
        if NoneType in options:
            return None
        raise error(f"{where} must not be null")
    kinds = [option for option in options if option is not NoneType]
    codes = [kind for kind in kinds if isinstance(kind, type) and issubclass(kind, StrEnum)]
    if codes:  # a code, or one of several kinds of code
        if not isinstance(value, str):
            raise error(f"{where} must be a string")
        return member(value, *codes)
    (kind,) = kinds  # no other union is used
    return _read_one(value, kind, where, error)


def _read_one(value: Any, kind: Any, where: str, error: type[BadMessage]) -> Any:
    origin = get_origin(kind)
    if origin is tuple:
        if not isinstance(value, list):
            raise error(f"{where} must be an array")
        item = get_args(kind)[0]
        return tuple(_read(each, item, f"{where}[{i}]", error) for i, each in enumerate(value))
    if origin is not None and issubclass(origin, Mapping):
        if not isinstance(value, Mapping):
            raise error(f"{where} must be an object")
        key_kind, item = get_args(kind)
        return {
            _read(key, key_kind, where, error): _read(each, item, f"{where}.{key}", error)
            for key, each in value.items()
        }
    if is_dataclass(kind):
        return from_json(kind, value, where, error)
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if kind is int and isinstance(value, bool):
        raise error(f"{where} must be {KINDS[int]}")
    if isinstance(value, kind):
        return value
    raise error(f"{where} must be {KINDS.get(kind, kind.__name__)}")


def member(text: str, *codes: type[StrEnum]) -> Any:
    """The member of the first of `codes` that has `text`, or `text` itself."""
    for code in codes:
        try:
            return code(text)
        except ValueError:
            continue
    return text
