"""Issue 15, item 16: `replay` had no rate limit; now at most MAX_REPLAY events per window."""

from __future__ import annotations

import pytest

from contract.errors import CommandError
from controller.core import commands
from controller.core.commands import REPLAY_WINDOW_S, ReplayBudget, StationCommands
from testkit.jobs import make_job, payload


def test_the_budget_refuses_past_the_limit_and_frees_with_time() -> None:
    budget = ReplayBudget()
    assert budget.wait_s(6000, now=0.0) == 0.0
    assert budget.wait_s(4000, now=10.0) == 0.0
    assert budget.wait_s(1, now=20.0) == REPLAY_WINDOW_S - 20  # the first one frees at 600 s
    assert budget.wait_s(3000, now=REPLAY_WINDOW_S) == 0.0  # the first one has aged out
    assert budget.wait_s(5000, now=REPLAY_WINDOW_S + 1) == pytest.approx(9.0)


def test_a_replay_past_the_budget_is_refused(make_station, monkeypatch) -> None:
    monkeypatch.setattr(commands, "MAX_REPLAY", 6)
    running = make_station()
    for n in (1, 2, 3):
        running.store.intake.submit(payload(make_job(n)))
    remote = StationCommands(running.station)
    last = running.store.outbox.last_seq()
    for _ in range(2):  # 3 events each: the budget of 6
        assert remote.handle("replay", {"from_seq": last - 2})["to_seq"] == last
    with pytest.raises(CommandError) as refused:
        remote.handle("replay", {"from_seq": last})
    assert refused.value.code == "invalid_state" and "try again" in refused.value.message
