"""The retry limit after a spoiled card."""

from __future__ import annotations

import pytest

from controller.policy.retry import MAX_ATTEMPTS, SpoilDecision, after_spoil


def test_default_is_three_attempts() -> None:
    assert MAX_ATTEMPTS == 3
    retry, fail = SpoilDecision.RETRY, SpoilDecision.FAIL
    assert [after_spoil(a) for a in (1, 2, 3, 4)] == [retry, retry, fail, fail]


def test_a_limit_of_one_never_retries() -> None:
    assert after_spoil(1, max_attempts=1) is SpoilDecision.FAIL


@pytest.mark.parametrize(("attempts", "limit"), [(0, 3), (1, 0)])
def test_nonsense_is_refused(attempts: int, limit: int) -> None:
    with pytest.raises(ValueError):
        after_spoil(attempts, limit)
