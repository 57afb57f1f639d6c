"""The web page's sessions, held by the daemon: a random token per login, naming the account,
that ends after IDLE_S without a request, after MAX_S in all, or at logout (and with the
daemon: a restart logs everyone out)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

IDLE_S = 15 * 60.0
MAX_S = 10 * 3600.0  # a working day


@dataclass
class _Session:
    account: str
    opened: float
    used: float


class Sessions:
    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self._open: dict[str, _Session] = {}
        self._lock = threading.Lock()  # the control socket answers on a thread per client

    def open(self, account: str) -> str:
        token, now = secrets.token_urlsafe(32), self._monotonic()
        with self._lock:
            self._forget_ended(now)
            self._open[token] = _Session(account, now, now)
        return token

    def account(self, token: str, *, use: bool = True) -> str | None:
        """The account of a session still open, or None; `use`: the request is the person's
        (not the page's own polling), so the idle time starts again."""
        now = self._monotonic()
        with self._lock:
            self._forget_ended(now)
            session = self._open.get(token)
            if session is None:
                return None
            if use:
                session.used = now
            return session.account

    def close(self, token: str) -> None:
        with self._lock:
            self._open.pop(token, None)

    def _forget_ended(self, now: float) -> None:
        ended = [
            token
            for token, session in self._open.items()
            if now - session.used > IDLE_S or now - session.opened > MAX_S
        ]
        for token in ended:
            del self._open[token]
