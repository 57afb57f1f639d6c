"""Panel inputs: the review button's gestures, the cabinet cover switch, the power-fail line.

Their callbacks run on gpiozero's event threads, so each action is guarded: an exception is
logged, never left to kill the thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import structlog
from gpiozero import Button, DigitalInputDevice

from contract.vocabulary import Resolution

log = structlog.get_logger(__name__)


def guarded(source: str, action: Callable[..., None], *args: Any) -> Callable[[], None]:
    """A gpiozero event handler running `action(*args)`, logging instead of raising."""

    def run() -> None:
        try:
            action(*args)
        except Exception:
            log.exception("panel.action_failed", source=source)

    return run


class ReviewGesture:
    """One gesture on the review button, one outcome: a short press is "printed", holding for
    the button's `hold_time` is "spoiled" (reported while still held; its release reports
    nothing)."""

    def __init__(self, button: Button, resolve: Callable[[Resolution], None]) -> None:
        self.button = button
        self._resolve = resolve
        self._lock = threading.Lock()
        self._open = False
        button.when_pressed = self._pressed
        button.when_held = self._held
        button.when_released = self._released

    def _pressed(self) -> None:
        with self._lock:
            self._open = True

    def _held(self) -> None:
        self._finish(Resolution.SPOILED)

    def _released(self) -> None:
        self._finish(Resolution.PRINTED)

    def _finish(self, outcome: Resolution) -> None:
        with self._lock:
            # The first of hold and release closes the gesture; the other reports nothing.
            if not self._open:
                return
            self._open = False
        log.info("panel.review_button", outcome=outcome)
        guarded("review_button", self._resolve, outcome)()


class CoverWatch:
    """The cabinet cover switch (low while shut): reports the state at start and every change."""

    def __init__(self, switch: DigitalInputDevice, changed: Callable[[bool], None]) -> None:
        self.switch = switch
        self._changed = changed
        switch.when_activated = self._shut
        switch.when_deactivated = self._opened
        self._report(self.is_open)

    @property
    def is_open(self) -> bool:
        return not self.switch.is_active

    def _shut(self) -> None:
        self._report(False)

    def _opened(self) -> None:
        self._report(True)

    def _report(self, is_open: bool) -> None:
        log.info("panel.cover", open=is_open)
        guarded("cover_switch", self._changed, is_open)()


class PowerFailLatch:
    """The UPS's mains-lost line (low = lost): reports the first loss, at start or later, once."""

    def __init__(self, sense: DigitalInputDevice, failed: Callable[[], None]) -> None:
        self.sense = sense
        self._failed = failed
        self._lock = threading.Lock()
        self.fired = False
        sense.when_activated = self._lost
        if sense.is_active:
            self._lost()

    def _lost(self) -> None:
        with self._lock:
            if self.fired:
                return
            self.fired = True
        log.warning("panel.power_fail")
        guarded("power_fail_line", self._failed)()
