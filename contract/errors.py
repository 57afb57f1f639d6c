"""Refusals with a contract code, shared by every way a command arrives."""

from __future__ import annotations


class CommandError(Exception):
    """A refused command: `code` is one of the contract's error codes (`unknown_command`,
    `invalid_args`, `unknown_job`, `invalid_state`), `message` says why, for a person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message
