"""systemd's notify protocol: READY, STATUS, WATCHDOG and STOPPING as datagrams.

A no-op when `NOTIFY_SOCKET` is not set (a terminal, a test without systemd). An `@` prefix
names an abstract socket.
"""

from __future__ import annotations

import os
import socket

import structlog

log = structlog.get_logger(__name__)


class Notifier:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        self._address = "\0" + address[1:] if address.startswith("@") else address
        usec = env.get("WATCHDOG_USEC", "")
        # systemd's advice: ping at half the watchdog timeout.
        self.watchdog_interval_s = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else None

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def ready(self, status: str = "") -> None:
        self._send("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def status(self, text: str) -> None:
        self._send(f"STATUS={text}")

    def watchdog(self) -> None:
        self._send("WATCHDOG=1")

    def stopping(self) -> None:
        self._send("STOPPING=1")

    def _send(self, message: str) -> None:
        if not self._address:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                # Never block the caller (the core loop) on a receiver that is not reading.
                sock.sendto(message.encode(), socket.MSG_DONTWAIT, self._address)
        except BlockingIOError:
            log.debug("systemd notify dropped: receiver busy", message=message)
        except OSError as exc:
            log.warning("systemd notify failed", error=str(exc))
