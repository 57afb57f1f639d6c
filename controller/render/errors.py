"""The one exception the renderer raises."""

from __future__ import annotations

Problem = tuple[str, str]
"""A `(field, problem)` pair; the problem text never quotes the field's value."""


class RenderError(Exception):
    """A card cannot be rendered without clipping or guessing; `problems` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in self.problems))
