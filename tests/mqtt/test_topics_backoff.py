"""Topic names, the Response Topics a station may answer on, and reconnect back-off."""

from __future__ import annotations

import pytest

from contract.topics import Topics
from controller.mqtt.backoff import Backoff

TOPICS = Topics("ektp/v1", "3271-bogor-timur-01")
ST = "ektp/v1/3271-bogor-timur-01"


def test_topic_names_follow_the_contract() -> None:
    assert TOPICS.status == f"{ST}/status"
    assert TOPICS.job == f"{ST}/job"
    assert TOPICS.commands == f"{ST}/cmd/+"
    assert TOPICS.reply == f"{ST}/reply"
    assert TOPICS.event("card.printed") == f"{ST}/event/card.printed"
    assert TOPICS.command_name(f"{ST}/cmd/pause") == "pause"
    assert TOPICS.command_name(f"{ST}/cmd/") is None
    assert TOPICS.command_name("ektp/v1/other-station/cmd/pause") is None


@pytest.mark.parametrize(
    ("topic", "allowed"),
    [
        (f"{ST}/reply/tech-7", True),
        (f"{ST}/reply/tech-7/request-1", True),
        (f"{ST}/reply", False),  # the reply topic itself gets the reply anyway
        (f"{ST}/reply/", False),
        (f"{ST}/reply/+", False),
        (f"{ST}/reply/#", False),
        (f"{ST}/status", False),
        ("ektp/v1/3271-bogor-barat-02/reply/x", False),
        ("central/replies", False),
        (f"{ST}/reply" + "/a" * 8, True),  # the most levels a requester may use
        (f"{ST}/reply" + "/a" * 9, False),
        (f"{ST}/reply" + "/x" * 250, False),  # mosquitto drops a client publishing there
        (f"{ST}/reply/" + "r" * (256 - len(ST) - 7), True),  # 256 bytes in all
        (f"{ST}/reply/" + "r" * (257 - len(ST) - 7), False),
        (f"{ST}/reply/" + "\u00e9" * 120, False),  # 240 bytes below reply/: bytes count
    ],
)
def test_response_topics_must_lie_below_the_stations_reply_topic(topic: str, allowed: bool) -> None:
    assert TOPICS.accepts_response_topic(topic) is allowed


def test_backoff_grows_with_jitter_up_to_the_cap_and_resets() -> None:
    backoff = Backoff(initial_s=1.0, max_s=30.0, jitter_s=2.0)
    delays = [backoff.next_delay() for _ in range(8)]

    for attempt, delay in enumerate(delays[:5]):
        assert 2**attempt <= delay <= 2**attempt + 2.0
    assert delays[5:] == [30.0, 30.0, 30.0]
    assert backoff.failures == 8
    backoff.reset()
    assert 1.0 <= backoff.next_delay() <= 3.0


def test_jitter_spreads_a_fleet_reconnecting_at_once() -> None:
    first_delays = {Backoff(1.0, 120.0, 10.0).next_delay() for _ in range(200)}
    assert len(first_delays) > 150
    assert max(first_delays) - min(first_delays) > 5.0
