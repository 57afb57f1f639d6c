"""The core loop's inbox: what other threads hand the loop, run in order on it."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")
Action = Callable[[], None]


class Inbox:
    def __init__(self) -> None:
        self._queue: queue.Queue[Action] = queue.Queue()

    def post(self, action: Action) -> None:
        self._queue.put(action)

    def call(self, action: Callable[[], T], timeout_s: float = 10.0) -> T:
        """Run `action` on the core loop and return its result (or raise its exception)."""
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(action())
            except BaseException as exc:  # handed to the caller, not lost
                future.set_exception(exc)

        self.post(run)
        return future.result(timeout_s)

    def batch(self, wait_s: float) -> Iterator[Action]:
        """The actions waiting now, after waiting up to `wait_s` for the first one."""
        try:
            yield self._queue.get(timeout=wait_s)
        except queue.Empty:
            return
        while True:
            try:
                yield self._queue.get_nowait()
            except queue.Empty:
                return
