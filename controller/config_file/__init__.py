"""A station config file (TOML) read into typed sections, every problem collected: each one
line naming the file, the key and the problem (errors.py). The daemon and its command line read
the whole file (`controller.app.config`); the web page reads only the sections it uses
(`controller.web.settings`), so that it loads none of the other parts' settings.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from pathlib import Path
from typing import Any, TypeVar

from controller.config_file.errors import ConfigError
from controller.config_file.reader import Reader, Where
from controller.said import said

T = TypeVar("T")


def read_file(path: Path) -> dict[str, Any]:
    """The file's TOML, which must have a `[station]` table; ConfigError when it cannot."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "(file)", said("no such file")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "(file)", said("cannot read: %(problem)s", problem=exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            path, "(syntax)", said("not valid TOML: %(problem)s", problem=exc)
        ) from None
    if "station" not in raw:
        raise ConfigError(path, "[station]", said("section missing (it needs at least id)"))
    return raw


def read_config(path: str | Path, cls: type[T], *, only_its_sections: bool = False) -> T:
    """`cls` (a dataclass with a `path` field and one per section) from the file at `path`,
    type-checked and validated; every problem at once in the ConfigError. With
    `only_its_sections`, the file's other sections are left unread (they are another
    program's to check), not reported as unknown."""
    path = Path(path)
    raw = read_file(path)
    if only_its_sections:
        sections = {each.name for each in dataclasses.fields(typing.cast(Any, cls))}
        raw = {name: value for name, value in raw.items() if name in sections}
    reader = Reader(path)
    built = reader.table(cls, {**raw, "path": str(path)}, Where(), "(top level)")
    if reader.problems:
        first, *more = reader.problems
        raise ConfigError(first.path, first.key, first.problem, *more)
    return typing.cast(T, built)
