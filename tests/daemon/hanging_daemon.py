"""`python -m controller` with one more local command, `hang`, that blocks the core loop as a
bug would: the watchdog test's way in, injected here so that production carries no test hook."""

from __future__ import annotations

import sys
import threading

from controller.app.cli import main
from controller.core import commands

HANG = "hang"
_plain_init = commands.StationCommands.__init__


def _with_hang(self: commands.StationCommands, *args: object, **kwargs: object) -> None:
    _plain_init(self, *args, **kwargs)  # type: ignore[arg-type]
    if kwargs.get("local"):
        self.commands[HANG] = lambda args: {"hung": threading.Event().wait()}


if __name__ == "__main__":
    commands.StationCommands.__init__ = _with_hang  # type: ignore[method-assign]
    sys.exit(main())
