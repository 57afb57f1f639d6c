"""Start-up guards on the state directory: it must be usable, and only one daemon may run on it.

A second `printstation run` on the same state directory would share the database, take over
the MQTT session and, on its stop, delete the first one's control socket. The lock is an
`flock` on `<state_dir>/daemon.lock`, held for the life of the process (the kernel drops it
when the process dies, SIGKILL included, so a stale lock never blocks a restart).
"""

from __future__ import annotations

import fcntl
import os
import pwd
from pathlib import Path
from typing import IO

LOCK_NAME = "daemon.lock"


class StartupError(Exception):
    """The daemon cannot start; the message is one line for the admin."""


def _user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


def prepare_state_dir(directory: Path) -> None:
    """Create `directory` if needed and check that this user may write to it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(
            f"state_dir {directory} cannot be created as user {_user()}: {exc.strerror or exc}"
        ) from None
    if not directory.is_dir():
        raise StartupError(f"state_dir {directory} is not a directory")
    if os.statvfs(directory).f_flag & os.ST_RDONLY:
        raise StartupError(f"state_dir {directory} is on a read-only file system")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise StartupError(
            f"state_dir {directory} is not writable by user {_user()} "
            f"(owner uid {directory.stat().st_uid}, mode {directory.stat().st_mode & 0o7777:o})"
        )


class InstanceLock:
    """The state directory's single-instance lock (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_NAME
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise StartupError naming the daemon that holds it."""
        try:
            handle = self.path.open("a+")
        except OSError as exc:
            raise StartupError(
                f"cannot open {self.path} as user {_user()}: {exc.strerror or exc}"
            ) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "not recorded"
            handle.close()
            raise StartupError(
                f"another printstation daemon (pid {holder}) is running on {self.path.parent}; "
                "stop it first (systemctl stop printstation)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the flock
            self._file = None
