"""A clean disconnect logs no error: paho's "Client is not connected" after the end is expected."""

from __future__ import annotations

import logging

import pytest

from controller.mqtt.connection import Connection, Will
from controller.mqtt.settings import MqttSettings
from testkit.broker import Broker
from testkit.waiting import wait_until


class Quiet:
    def connection_up(self, connection: Connection, session_present: bool) -> None: ...
    def connection_message(self, connection: Connection, message: object) -> None: ...
    def connection_published(self, connection: Connection, mid: int, ok: bool) -> None: ...
    def connection_ended(self, connection: Connection) -> None: ...


def test_disconnect_then_close_logs_no_error(
    broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = MqttSettings(host="127.0.0.1", port=broker.port)
    for n in range(3):
        connection = Connection(settings, f"clean-{n}", Will("t/will", b"x"), Quiet())
        connection.open()
        wait_until(lambda c=connection: c.up)
        connection.disconnect()
        wait_until(lambda c=connection: c.ended.is_set())
        connection.close()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
