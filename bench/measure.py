"""What a benchmark is given and what it returns.

A benchmark is a function from a `Context` (shortened or not, where it may write) to its
`Measure`s: each a value beside the raw baseline measured in the same run, the target it is
held to, and whether it was met. bench/runner.py runs them and prints the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Measure:
    """One line of the table: a measured value, its raw baseline, the target and the verdict."""

    key: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    met: bool | None = None  # None: shown for context, no target
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


@dataclass(frozen=True)
class Context:
    """How a benchmark runs: shortened (`quick`) or not, and where it may write."""

    workdir: Path
    quick: bool = False

    def dir(self, name: str) -> Path:
        path = self.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


Benchmark = Callable[[Context], list[Measure]]
