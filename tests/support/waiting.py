"""Waiting for a condition in a test: poll with a deadline, never a blind sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    what: str = "condition",
    every: float = 0.01,
) -> T:
    """Poll `predicate` every `every` s; return its first truthy value, or fail after `timeout`
    s. (A predicate that asks another process, under emulation, wants a longer `every`.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)
