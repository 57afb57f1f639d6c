"""The retry rule for spoiled cards (docs/design.md, "The job's life")."""

from __future__ import annotations

from enum import Enum, auto

MAX_ATTEMPTS = 3
"""Three blanks per citizen at most: one jam or ribbon break is routine, three in a row point at
the printer or the job's data, and each further try burns a controlled blank."""


class SpoilDecision(Enum):
    RETRY = auto()  # queue the job again
    FAIL = auto()  # end it as `job.failed`


def after_spoil(attempts: int, max_attempts: int = MAX_ATTEMPTS) -> SpoilDecision:
    """After a spoiled card: queue the job again, or end it as `job.failed`.

    `attempts` counts the attempts that used a blank so far, the spoiled one included.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if attempts < 1:
        raise ValueError("after_spoil needs at least the spoiled attempt")
    return SpoilDecision.RETRY if attempts < max_attempts else SpoilDecision.FAIL
