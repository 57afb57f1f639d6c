"""A config file's problems, each phrased for the operator as ``path: key: problem``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
