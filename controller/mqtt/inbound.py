"""Messages from the broker: jobs and commands, each acknowledged only once it is on disk.

paho's network thread validates each job (`Intake.check`, no I/O) and hands every message, in
arrival order, to the link's intake thread. That thread stores the jobs waiting at that moment
in one transaction (group commit: one fsync for the lot), then acknowledges each of them; a
command is processed, its reply committed and published, then acknowledged, in its turn. So
every PUBACK still follows the commit of its message, and PUBACKs go out in arrival order.
When the store fails, the messages stay unacknowledged: the broker keeps them in the
station's session and delivers them again on the next connection. Nothing else leaves a message
unacknowledged: a message that breaks the station in any other way is acknowledged once it was
logged, or a poison message would be redelivered at every connection and hold an in-flight
slot for ever.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contract.jobspec import JobSpec, Rejection
from contract.topics import Topics
from contract.vocabulary import CommandErrorCode, RejectCode, Requester
from controller.mqtt.connection import Connection
from controller.mqtt.requests import Answer, CommandProcessor, requester_of
from controller.queue.db import StoreError
from controller.queue.intake import Intake, IntakeResult

log = structlog.get_logger(__name__)

BATCH_LIMIT = 64  # jobs per transaction at most (the broker sends 20 at a time by default)


@dataclass(frozen=True)
class _Received:
    connection: Connection
    message: mqtt.MQTTMessage
    job: JobSpec | Rejection | None  # None: not a job


UNSAFE_JOB = (
    "a job must be published at QoS 1 and not retained (a retained job stays at the broker with"
    " its personal data, a QoS 0 job may be lost): not printed"
)
UNSAFE_COMMAND = "a command must be published at QoS 1: not run"


def _unsafe(message: mqtt.MQTTMessage, checked: JobSpec | Rejection) -> JobSpec | Rejection:
    """A valid job delivered at QoS 0 or retained is rejected `unsafe_delivery`."""
    if isinstance(checked, JobSpec) and (message.qos == 0 or message.retain):
        log.warning("job at QoS 0 or retained rejected", qos=message.qos, retain=message.retain)
        return Rejection(RejectCode.UNSAFE_DELIVERY, UNSAFE_JOB, checked.job_id)
    return checked


class Inbound:
    def __init__(
        self,
        topics: Topics,
        intake: Intake,
        commands: CommandProcessor,
        *,
        on_job: Callable[[IntakeResult], None],
        on_unacked: Callable[[StoreError], None],
        on_acked: Callable[[], None] = lambda: None,
    ) -> None:
        """`on_unacked`: a store failure left messages unacknowledged; `on_acked`: messages
        were acknowledged again after that."""
        self._topics, self._intake, self._commands = topics, intake, commands
        self._on_job, self._on_unacked, self._on_acked = on_job, on_unacked, on_acked
        self._holding = False  # messages are left unacknowledged since the last store failure
        self._queue: queue.SimpleQueue[_Received | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mqtt-intake", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float) -> None:
        """End the intake thread once the messages already handed over are done."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.error("mqtt intake thread did not stop in time")

    def handle(self, connection: Connection, message: mqtt.MQTTMessage) -> None:
        """On paho's thread: validate a job, then queue the message; never raises."""
        job: JobSpec | Rejection | None = None
        if message.topic == self._topics.job:
            try:
                job = _unsafe(message, self._intake.check(message.payload))
            except Exception:  # parse_job never raises; a check that does rejects the job
                log.exception("job validation failed; rejected", topic=message.topic)
                job = Rejection(RejectCode.INVALID_FIELD, "message could not be validated")
        self._queue.put(_Received(connection, message, job))

    # -- the intake thread -----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = [first], False
            while len(batch) < BATCH_LIMIT:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._process(batch)
            if stop:
                return

    def _process(self, batch: list[_Received]) -> None:
        """Runs of jobs are stored together; a command is handled in its place."""
        jobs: list[_Received] = []
        for received in batch:
            if received.job is not None:
                jobs.append(received)
                continue
            self._store_jobs(jobs)
            jobs = []
            self._guarded(self._command, received)
        self._store_jobs(jobs)

    def _store_jobs(self, jobs: list[_Received]) -> None:
        if jobs:
            self._guarded(self._jobs, jobs)

    def _jobs(self, jobs: list[_Received]) -> None:
        """Store the jobs in one transaction. When that fails other than in the store, the
        transaction is rolled back and each job is stored on its own, so that a job that trips a
        bug is dropped alone and the others in its batch are kept."""
        try:
            results = self._intake.store(
                [r.job for r in jobs if r.job is not None], source=Requester.MQTT
            )
        except (StoreError, sqlite3.Error):
            raise
        except Exception:
            if len(jobs) == 1:
                raise
            log.warning("storing a batch of jobs failed; storing them one by one", jobs=len(jobs))
            for received in jobs:
                self._guarded(self._jobs, [received])
            return
        for received, result in zip(jobs, results, strict=True):
            self._ack(received)
            self._on_job(result)

    def _ack(self, received: _Received) -> None:
        received.connection.ack(received.message.mid, received.message.qos)
        if self._holding:
            self._holding = False
            self._on_acked()

    def _guarded(self, step: Callable[..., None], what: _Received | list[_Received]) -> None:
        """Run one step; never ends the thread. Only a store failure leaves the step's
        messages unacknowledged (to be delivered again once the store works); after any other
        failure they are acknowledged, so that no message can wedge the session."""
        try:
            step(what)
        except (StoreError, sqlite3.Error) as exc:
            log.error("store failed; message(s) not acknowledged", error=str(exc))
            self._holding = True
            self._on_unacked(exc if isinstance(exc, StoreError) else StoreError(str(exc)))
        except Exception:
            messages = what if isinstance(what, list) else [what]
            log.exception(
                "message handling failed; acknowledged and dropped",
                topics=sorted({m.message.topic for m in messages}),
            )
            for received in messages:
                self._ack(received)

    def _command(self, received: _Received) -> None:
        """Process a command, publish its reply on `{st}/reply`, acknowledge it, and only then
        answer on its Response Topic: that optional publish never decides whether the command
        is acknowledged (were the broker to drop the connection over it, the PUBACK is out)."""
        connection, message = received.connection, received.message
        name = self._topics.command_name(message.topic)
        reply: Answer | None = None
        if name is None:
            log.warning("message on an unexpected topic ignored", topic=message.topic)
        elif message.retain:
            log.warning("retained command ignored", topic=message.topic)
        elif message.qos == 0:
            log.warning("command at QoS 0 refused", topic=message.topic)
            reply = self._commands.refuse(
                message.payload, CommandErrorCode.UNSAFE_DELIVERY, UNSAFE_COMMAND
            )
            connection.publish(self._topics.reply, reply.payload, properties=self._answer(message))
        else:
            reply = self._commands.process(name, message.payload, requester_of(message.properties))
            connection.publish(self._topics.reply, reply.payload, properties=self._answer(message))
        self._ack(received)
        if reply is not None:
            self._answer_response_topic(connection, reply, message)

    @staticmethod
    def _answer(message: mqtt.MQTTMessage) -> Properties:
        """A reply's properties: the request's Correlation Data, if any."""
        properties = Properties(PacketTypes.PUBLISH)
        correlation = getattr(message.properties, "CorrelationData", None)
        if correlation is not None:
            properties.CorrelationData = correlation
        return properties

    def _answer_response_topic(
        self, connection: Connection, reply: Answer, message: mqtt.MQTTMessage
    ) -> None:
        """Also publish to the request's Response Topic when it is one the station may publish
        to (below `{st}/reply/`, bounded); otherwise the reply on `{st}/reply` is the answer."""
        response_topic = getattr(message.properties, "ResponseTopic", None)
        if response_topic is None or response_topic == self._topics.reply:
            return
        if self._topics.accepts_response_topic(response_topic):
            connection.publish(response_topic, reply.payload, properties=self._answer(message))
        else:
            log.warning(
                "response topic not accepted; answered on reply only",
                response_topic=response_topic[:120],
                cmd_id=reply.cmd_id,
            )
