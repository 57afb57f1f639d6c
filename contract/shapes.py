"""Typed payloads as JSON: a frozen dataclass written as an object with its fields in order, and
read back with each field checked against its type.

A field whose metadata is `OPTIONAL` is left out of the object when it is None, and may be
missing when read. A code (a `StrEnum` field) becomes its member when this version knows it and
stays text otherwise: the interface adds codes, and a consumer never breaks on one. Fields the
type does not have are ignored, as the interface asks of every consumer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import Field, fields, is_dataclass
from enum import StrEnum
from functools import cache
from types import MappingProxyType, NoneType, UnionType
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

COMPACT = (",", ":")  # how the station writes JSON on the wire
OPTIONAL = MappingProxyType({"optional": True})  # a field's metadata: see above
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
                if not (_optional(spec) and getattr(value, spec.name) is None)
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
    found = {}
    for name, optional, read in _plan(kind):
        if name in value:
            found[name] = read(value[name], f"{where}.{name}", error)
        elif not optional:
            raise error(f"{where}.{name} is missing")
    return kind(**found)


FieldReader = Callable[[Any, str, type[BadMessage]], Any]  # (value, where, error) -> typed value


def _optional(spec: Field[Any]) -> bool:
    return bool(spec.metadata.get("optional"))


@cache
def _plan(kind: type) -> tuple[tuple[str, bool, FieldReader], ...]:
    """How to read each field of `kind`: its name, whether it may be missing, its reader."""
    hints = get_type_hints(kind)
    return tuple((spec.name, _optional(spec), _reader(hints[spec.name])) for spec in fields(kind))


def _reader(hint: Any) -> FieldReader:
    options = get_args(hint) if isinstance(hint, UnionType) else (hint,)
    nullable = NoneType in options
    kinds = [option for option in options if option is not NoneType]
    codes = [kind for kind in kinds if isinstance(kind, type) and issubclass(kind, StrEnum)]
    if codes:  # a code, or one of several kinds of code
        read_one = _code_reader(codes)
    else:
        (kind,) = kinds  # no other union is used
        read_one = _kind_reader(kind)

    def read(value: Any, where: str, error: type[BadMessage]) -> Any:
        if value is not None:
            return read_one(value, where, error)
        if nullable:
            return None
        raise error(f"{where} must not be null")

    return read


def _code_reader(codes: list[type[StrEnum]]) -> FieldReader:
    members = {member.value: member for code in reversed(codes) for member in code}

    def read(value: Any, where: str, error: type[BadMessage]) -> Any:
        if not isinstance(value, str):
            raise error(f"{where} must be a string")
        return members.get(value, value)

    return read


def _kind_reader(kind: Any) -> FieldReader:
    origin = get_origin(kind)
    if origin is tuple:
        return _array_reader(_reader(get_args(kind)[0]))
    if origin is not None and issubclass(origin, Mapping):
        return _object_reader(*(_reader(arg) for arg in get_args(kind)))
    if is_dataclass(kind):
        return lambda value, where, error: from_json(kind, value, where, error)
    exact = (int | float) if kind is float else kind  # a JSON number may be written 41
    refused = bool if kind in (int, float) else ()

    def read(value: Any, where: str, error: type[BadMessage]) -> Any:
        if isinstance(value, exact) and not isinstance(value, refused):
            return value
        raise error(f"{where} must be {KINDS.get(kind, kind.__name__)}")

    return read


def _array_reader(item: FieldReader) -> FieldReader:
    def read(value: Any, where: str, error: type[BadMessage]) -> Any:
        if not isinstance(value, list):
            raise error(f"{where} must be an array")
        return tuple(item(each, f"{where}[{i}]", error) for i, each in enumerate(value))

    return read


def _object_reader(key: FieldReader, item: FieldReader) -> FieldReader:
    def read(value: Any, where: str, error: type[BadMessage]) -> Any:
        if not isinstance(value, Mapping):
            raise error(f"{where} must be an object")
        return {
            key(k, where, error): item(each, f"{where}.{k}", error) for k, each in value.items()
        }

    return read
