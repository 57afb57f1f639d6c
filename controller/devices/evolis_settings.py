"""The Evolis driver's settings (`[printer]`'s timeouts), apart from the driver: reading the
config (the web process reads it too) loads no driver, USB or retry library."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EvolisSettings:
    command_timeout_s: float = 10.0
    card_timeout_s: float = 120.0
    status_poll_s: float = 0.25
    virtual_extensions: bool = False  # the peer is the virtual printer: Xst and Xrl
