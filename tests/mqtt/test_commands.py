"""Commands: dispatched once per cmd_id, replies stored then published, retained ones ignored,
MQTT 5 Response Topic and Correlation Data honoured inside the station's subtree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from controller.queue.store import Store
from testkit.broker import Broker
from testkit.waiting import wait_until
from tests.mqtt.clients import Peer
from tests.mqtt.kit import ST, LinkedStation, mqtt_settings


def request(cmd_id: str, **args: Any) -> dict[str, Any]:
    return {"schema": "ektp.cmd/1", "cmd_id": cmd_id, "args": args}


def reply_to(cmd_id: str | None) -> Callable[[dict], bool]:
    return lambda reply: reply["cmd_id"] == cmd_id


def connected_station(
    make_station: Callable[..., LinkedStation], broker: Broker, central: Peer
) -> LinkedStation:
    """A station whose subscriptions are in place: it subscribes before it publishes its
    status, and the broker handles one connection's packets in order."""
    station = make_station(mqtt_settings(broker.port))
    wait_until(lambda: station.link.listening, 5, "the link to connect")
    session = station.link.session
    central.wait_for(f"{ST}/status", lambda status: status.get("session") == session)
    return station


def test_a_command_runs_and_is_answered_on_the_reply_topic(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation]
) -> None:
    station = connected_station(make_station, broker, central)

    central.publish_json(f"{ST}/cmd/pause", request("c-1"))

    reply = central.wait_for(f"{ST}/reply", reply_to("c-1"))
    assert reply == {
        "schema": "ektp.reply/1",
        "cmd_id": "c-1",
        "ok": True,
        "result": {"paused": True},
    }
    assert station.handler.calls == [("pause", {})]


def test_a_repeated_cmd_id_gets_the_stored_reply_and_runs_once(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation], store: Store
) -> None:
    first = connected_station(make_station, broker, central)
    central.publish_json(f"{ST}/cmd/pause", request("c-2"))
    central.wait_for(f"{ST}/reply", reply_to("c-2"))
    first.link.stop()
    # After a restart, the same request (a requester retrying) gets the stored reply.
    second = connected_station(make_station, broker, central)
    central.publish_json(f"{ST}/cmd/pause", request("c-2"))
    central.publish_json(f"{ST}/cmd/resume", request("c-3"))  # marker

    central.wait_for(f"{ST}/reply", reply_to("c-3"))
    replies = [m.payload for m in central.received(f"{ST}/reply") if m.json()["cmd_id"] == "c-2"]
    assert len(replies) == 2 and replies[0] == replies[1]
    assert first.handler.calls == [("pause", {})]
    assert second.handler.calls == [("resume", {})]
    with store.db.reading() as conn:
        rows = conn.execute("SELECT cmd_id, name FROM command_replies ORDER BY cmd_id").fetchall()
    assert [tuple(row) for row in rows] == [("c-2", "pause"), ("c-3", "resume")]


def test_bad_requests_get_the_contract_error_codes(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation]
) -> None:
    station = connected_station(make_station, broker, central)

    central.publish(f"{ST}/cmd/pause", b"not json")
    central.publish_json(f"{ST}/cmd/pause", {"schema": "ektp.cmd/1", "args": {}})
    central.publish_json(f"{ST}/cmd/pause", {"schema": "ektp.cmd/9", "cmd_id": "c-4"})
    central.publish_json(f"{ST}/cmd/pause", {"schema": "ektp.cmd/1", "cmd_id": "c-5", "args": []})
    central.publish_json(f"{ST}/cmd/reboot", request("c-6"))
    central.publish_json(f"{ST}/cmd/cancel", request("c-7"))
    central.publish_json(f"{ST}/cmd/cancel", request("c-8", job_id="JOB-X"))
    central.publish_json(f"{ST}/cmd/explode", request("c-9"))

    wait_until(lambda: len(central.received(f"{ST}/reply")) == 8, 20, "eight replies")
    errors = [(r["cmd_id"], r["ok"], r["error"]["code"]) for r in central.bodies(f"{ST}/reply")]
    assert errors == [
        (None, False, "invalid_json"),
        (None, False, "invalid_schema"),
        ("c-4", False, "invalid_schema"),
        ("c-5", False, "invalid_schema"),
        ("c-6", False, "unknown_command"),
        ("c-7", False, "invalid_args"),
        ("c-8", False, "unknown_job"),
        ("c-9", False, "internal_error"),
    ]
    assert [name for name, _ in station.handler.calls] == ["reboot", "cancel", "cancel", "explode"]
    assert station.link.connected


def test_retained_commands_are_ignored(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation]
) -> None:
    central.publish_json(f"{ST}/cmd/pause", request("c-old"), retain=True)
    station = connected_station(make_station, broker, central)
    central.publish_json(f"{ST}/cmd/pause", request("c-live"), retain=True)
    central.publish_json(f"{ST}/cmd/resume", request("c-marker"))  # marker

    central.wait_for(f"{ST}/reply", reply_to("c-marker"))
    assert [reply["cmd_id"] for reply in central.bodies(f"{ST}/reply")] == ["c-marker"]
    assert station.handler.calls == [("resume", {})]


def test_response_topic_and_correlation_data_are_honoured_below_the_reply_topic(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation]
) -> None:
    connected_station(make_station, broker, central)
    assert central.subscribe("central/inbox")[0].value == 1

    def asking(response_topic: str, correlation: bytes) -> Properties:
        properties = Properties(PacketTypes.PUBLISH)
        properties.ResponseTopic = response_topic
        properties.CorrelationData = correlation
        return properties

    central.publish_json(
        f"{ST}/cmd/pause", request("c-10"), properties=asking(f"{ST}/reply/tech-7", b"\x01q")
    )
    central.publish_json(
        f"{ST}/cmd/resume", request("c-11"), properties=asking("central/inbox", b"\x02q")
    )
    central.publish_json(f"{ST}/cmd/resume", request("c-12"))  # marker

    central.wait_for(f"{ST}/reply", reply_to("c-12"))
    replies = central.received(f"{ST}/reply")
    answered = [(m.topic, m.json()["cmd_id"], m.correlation) for m in replies]
    assert (f"{ST}/reply/tech-7", "c-10", b"\x01q") in answered
    assert (f"{ST}/reply", "c-10", b"\x01q") in answered
    assert (f"{ST}/reply", "c-11", b"\x02q") in answered
    assert not central.received("central/")  # never outside the station's subtree


def test_the_requester_named_in_a_user_property_reaches_the_handler(
    broker: Broker, central: Peer, make_station: Callable[..., LinkedStation]
) -> None:
    """Issue 15, item 8: the station could not tell who sent a command."""
    station = connected_station(make_station, broker, central)
    properties = Properties(PacketTypes.PUBLISH)
    properties.UserProperty = ("requester", "tech.bogor")
    central.publish_json(f"{ST}/cmd/pause", request("c-who"), properties=properties)
    central.publish_json(f"{ST}/cmd/resume", request("c-anon"))
    central.wait_for(f"{ST}/reply", reply_to("c-anon"))
    assert [(a.how, a.who) for a in station.handler.actors] == [
        ("remote", "tech.bogor"),
        ("remote", "central"),
    ]
