"""How long personal data stays after a job ends: the photo and the signature not at all, the
card's text `[retention] ended_job_hours` (the core loop reduces older jobs)."""

from __future__ import annotations

from dataclasses import dataclass

from controller.field_checks import Range, checked


@dataclass(frozen=True)
class RetentionSettings:
    """The `[retention]` section."""

    ended_job_hours: float = checked(Range(0, 24 * 90), default=24.0)
