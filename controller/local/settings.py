"""The `[local]` section: who may act through the local control socket."""

from __future__ import annotations

import re
from dataclasses import dataclass

from controller.field_checks import Range, checked
from controller.said import said

POSIX_NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


def all_names(value: tuple[str, ...]) -> str | None:
    """User or group names, as useradd accepts them."""
    bad = [name for name in value if not POSIX_NAME.fullmatch(name)]
    return said("not a user or group name: %(name)r", name=bad[0]) if bad else None


@dataclass(frozen=True)
class LocalSettings:
    """Who may act through the local control socket (checked by the kernel's SO_PEERCRED).

    Anyone who can open the socket may ask `status` and `jobs`; the manual actions (pause,
    resume, cancel, resolve, reload, replay, submit) need a user named in `operators` or a
    member of a group in `operator_groups` (root always may). `submit` prints a genuine card
    from a job handed in at the kiosk: off unless set. A client has `request_deadline_s` to
    send its whole request (`idle_timeout_s` between two reads), and one user (root included)
    holds at most `max_clients_per_user` connections at once: a local user cannot take the
    daemon's file descriptors.
    """

    operators: tuple[str, ...] = checked(all_names, default=())
    operator_groups: tuple[str, ...] = checked(all_names, default=())
    submit: bool = False
    idle_timeout_s: float = checked(Range(0.1, 600), default=10.0)
    request_deadline_s: float = checked(Range(0.1, 600), default=10.0)
    max_clients_per_user: int = checked(Range(1, 1000), default=8)
