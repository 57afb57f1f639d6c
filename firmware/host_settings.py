"""What the host sets for its conversation with the printer: the error mode (`Pem`, read back
by `Rem`; replies.py), whether replies carry the status block (`Pps`, on at power-up), and the
session it reserves the printer for (`Psid;<session>;<timeout s>`, shown in the status block
until it is released with session 0 or times out)."""

from __future__ import annotations

from contract.clock import Clock

from . import replies as r
from .protocol import Command

MAX_SESSION = 0xFFFF


class HostSettings:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.mode = 0
        self.status_on = True
        self._session, self._session_until = 0, 0.0

    def ok(self) -> str:
        """The answer of a command with nothing to report, in the error mode."""
        return r.success(self.mode)

    def session(self) -> int:
        """The reserved session, 0 once released or timed out."""
        if self._session and self._clock.monotonic() >= self._session_until:
            self._session = 0
        return self._session

    def set_status(self, command: Command) -> str:
        if command.params not in (("0",), ("1",)):
            raise r.Refused(r.BAD_PARAMETER)
        self.status_on = command.params == ("1",)
        return self.ok()

    def reserve(self, command: Command) -> str:
        params = command.params
        if len(params) != 2 or not all(p.isdigit() for p in params) or int(params[0]) > MAX_SESSION:
            raise r.Refused(r.BAD_PARAMETER)
        self._session = int(params[0])
        self._session_until = self._clock.monotonic() + int(params[1])
        return self.ok()

    def set_error_mode(self, command: Command) -> str:
        if len(command.params) != 1 or not command.params[0].isdigit():
            raise r.Refused(r.BAD_PARAMETER)
        mode = int(command.params[0])
        if mode not in r.ERROR_MODES:
            raise r.Refused(r.BAD_PARAMETER)
        self.mode = mode
        return self.ok()
