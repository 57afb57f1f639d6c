"""The hand-off to the real gammu-smsd (dummy phone): the printed SMS and the reminders on a
manual clock reach `sentitems`; none after the card is collected."""

from __future__ import annotations

from datetime import timedelta

import pytest

from central.gateway import GammuOutbox
from central.sms import ReminderSchedule
from central.store import Effects, mark_collected
from contract.clock import ManualClock
from tests.central.conftest import add_citizen, sentitems, wait_sent
from tests.central.test_store import NOW, event

pytestmark = pytest.mark.slow


def test_gammu_sends_the_printed_sms_and_the_reminders_until_collected(db, gammu) -> None:
    clock = ManualClock(NOW)
    effects = Effects(GammuOutbox(), ReminderSchedule.days((1.0, 2.0, 3.0)))
    add_citizen(db, "JOB-1", "+6281200000001", "Senin 08.00-10.00")
    add_citizen(db, "JOB-2", "+6281200000002")
    effects.apply(db, [event(1, "card.printed", "JOB-1"), event(2, "card.printed", "JOB-2")], NOW)
    wait_sent(db, 2)
    clock.advance(timedelta(days=1).total_seconds())
    assert len(effects.send_reminders(db, clock.now())) == 2
    wait_sent(db, 4)
    mark_collected(db, "JOB-1", clock.now())
    clock.advance(timedelta(days=5).total_seconds())
    assert len(effects.send_reminders(db, clock.now())) == 1
    assert len(effects.send_reminders(db, clock.now())) == 1
    rows = wait_sent(db, 6)
    assert {status for _, _, status, _ in rows} == {"SendingOKNoReport"}
    assert sorted(creator for creator, *_ in rows) == [
        "ps:JOB-1:printed:0",
        "ps:JOB-1:reminder:1",
        "ps:JOB-2:printed:0",
        "ps:JOB-2:reminder:1",
        "ps:JOB-2:reminder:2",
        "ps:JOB-2:reminder:3",
    ]
    assert len(sentitems(db)) == 6
