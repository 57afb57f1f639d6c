"""The `[mqtt]` section: the broker, the station's credentials, and its session's terms.

The secrets (the broker password, the TLS key) belong in files of their own, 0600 to the
service user (`password_file`, `tls_key`): the config is readable by group `printstation`, the
technicians' group. Only the daemon reads them, when it connects; loading the config (as every
command line does) only checks that they exist. An inline `password` still works, but `doctor`
fails it when the config is readable by anyone but its owner.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from contract.topics import DEFAULT_ROOT
from controller.field_checks import (
    Matches,
    Range,
    RuleProblem,
    Rules,
    checked,
    file_or_empty,
    not_empty,
)
from controller.said import said

TOPIC_ROOT = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
WEEK_S = 7 * 24 * 3600


@dataclass(frozen=True)
class MqttSettings:
    host: str = checked(not_empty, default="localhost")
    port: int = checked(Range(1, 65535), default=8883)
    topic_root: str = checked(
        Matches(TOPIC_ROOT, said("topic levels without wildcards")), default=DEFAULT_ROOT
    )
    username: str = ""
    password: str = ""  # kept for old configs: use password_file
    password_file: str = checked(file_or_empty, default="")
    tls_ca: str = checked(file_or_empty, default="")
    tls_cert: str = checked(file_or_empty, default="")
    tls_key: str = checked(file_or_empty, default="")
    keepalive_s: int = checked(Range(5, 600), default=30)
    session_expiry_s: int = WEEK_S
    max_inflight: int = checked(Range(1, 1000), default=20)

    def _outlives_a_week_offline(self) -> Iterator[RuleProblem]:
        if self.session_expiry_s < WEEK_S:
            got = self.session_expiry_s
            yield (
                "session_expiry_s",
                said("must be at least %(least)s (7 days), got %(got)s", least=WEEK_S, got=got),
            )

    def _tls_pair(self) -> Iterator[RuleProblem]:
        if bool(self.tls_cert) != bool(self.tls_key):
            yield "tls_cert", said("tls_cert and tls_key go together")

    def _one_password(self) -> Iterator[RuleProblem]:
        if self.password and self.password_file:
            yield "password", said("give password_file or password, not both")

    RULES: ClassVar[Rules] = (_outlives_a_week_offline, _tls_pair, _one_password)

    def broker_password(self) -> str | None:
        """The password, read from `password_file` (its first line) when given: the daemon's
        and the doctor's probe's business, never a command line's."""
        if self.password_file:
            with open(self.password_file, encoding="utf-8") as secret:
                return secret.readline().rstrip("\r\n") or None
        return self.password or None
