"""Messages from the broker: jobs and commands, each acknowledged only once it is on disk.

Runs on paho's network thread. A job is acknowledged after `Intake.submit` returned (the job or
its rejection is committed); a command after its reply is committed and published. When the
store fails, the message stays unacknowledged: the broker keeps it in the station's session and
delivers it again on the next connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from controller.mqtt.commands import CommandProcessor, Reply
from controller.mqtt.connection import Connection
from controller.mqtt.topics import Topics
from controller.queue.db import StoreError
from controller.queue.intake import Intake, IntakeResult

log = structlog.get_logger(__name__)


class Inbound:
    def __init__(
        self,
        topics: Topics,
        intake: Intake,
        commands: CommandProcessor,
        *,
        on_job: Callable[[IntakeResult], None],
        on_unacked: Callable[[Exception], None],
    ) -> None:
        self._topics, self._intake, self._commands = topics, intake, commands
        self._on_job, self._on_unacked = on_job, on_unacked

    def handle(self, connection: Connection, message: mqtt.MQTTMessage) -> None:
        """Process one message; never raises (paho's thread must go on)."""
        try:
            self._dispatch(connection, message)
        except (StoreError, sqlite3.Error) as exc:
            log.error("store failed; message not acknowledged", topic=message.topic, error=str(exc))
            self._on_unacked(exc if isinstance(exc, StoreError) else StoreError(str(exc)))
        except Exception as exc:
            log.exception("message handling failed; not acknowledged", topic=message.topic)
            self._on_unacked(exc)

    def _dispatch(self, connection: Connection, message: mqtt.MQTTMessage) -> None:
        if message.topic == self._topics.job:
            result = self._intake.submit(message.payload, source="mqtt")
            connection.ack(message.mid, message.qos)
            self._on_job(result)
            return
        name = self._topics.command_name(message.topic)
        if name is None:
            log.warning("message on an unexpected topic ignored", topic=message.topic)
        elif message.retain:
            log.warning("retained command ignored", topic=message.topic)
        else:
            reply = self._commands.process(name, message.payload)
            self._send_reply(connection, reply, message.properties)
        connection.ack(message.mid, message.qos)

    def _send_reply(self, connection: Connection, reply: Reply, request: Properties | None) -> None:
        """Publish to `{st}/reply`, and to the request's Response Topic when it is one the
        station may publish to (below `{st}/reply/`)."""
        correlation = getattr(request, "CorrelationData", None)
        response_topic = getattr(request, "ResponseTopic", None)
        properties = Properties(PacketTypes.PUBLISH)
        if correlation is not None:
            properties.CorrelationData = correlation
        connection.publish(self._topics.reply, reply.payload, properties=properties)
        if response_topic is None or response_topic == self._topics.reply:
            return
        if self._topics.accepts_response_topic(response_topic):
            connection.publish(response_topic, reply.payload, properties=properties)
        else:
            log.warning(
                "response topic outside the station's reply subtree; answered on reply only",
                response_topic=response_topic,
                cmd_id=reply.cmd_id,
            )
