"""The `[mqtt]` section: the broker, the station's credentials, and its session's terms."""

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

TOPIC_ROOT = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
WEEK_S = 7 * 24 * 3600


@dataclass(frozen=True)
class MqttSettings:
    host: str = checked(not_empty, default="localhost")
    port: int = checked(Range(1, 65535), default=8883)
    topic_root: str = checked(
        Matches(TOPIC_ROOT, "topic levels without wildcards"), default=DEFAULT_ROOT
    )
    username: str = ""
    password: str = ""
    tls_ca: str = checked(file_or_empty, default="")
    tls_cert: str = checked(file_or_empty, default="")
    tls_key: str = checked(file_or_empty, default="")
    keepalive_s: int = checked(Range(5, 600), default=30)
    session_expiry_s: int = WEEK_S
    max_inflight: int = checked(Range(1, 1000), default=20)

    def _outlives_a_week_offline(self) -> Iterator[RuleProblem]:
        if self.session_expiry_s < WEEK_S:
            got = self.session_expiry_s
            yield "session_expiry_s", f"must be at least {WEEK_S} (7 days), got {got}"

    def _tls_pair(self) -> Iterator[RuleProblem]:
        if bool(self.tls_cert) != bool(self.tls_key):
            yield "tls_cert", "tls_cert and tls_key go together"

    RULES: ClassVar[Rules] = (_outlives_a_week_offline, _tls_pair)
