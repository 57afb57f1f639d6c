"""One replica of the central service: the consumer's batches committed, then acknowledged;
a periodic tick for gaps (replay) and reminders. Time comes from an injected `Clock`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from zoneinfo import ZoneInfo

import psycopg
import structlog
from tenacity import Retrying, retry_if_exception, wait_exponential_jitter

from central.consumer import Consumer, ConsumerSettings
from central.failures import record_failures
from central.gaps import GapPolicy, Plan, QuietStations, replay_payload, sweep, tail_payload
from central.gateway import GammuOutbox, SmsGateway
from central.intake import Message, TimeWindow
from central.metrics import CentralMetrics
from central.sms import ReminderSchedule
from central.store import OFFICE_ZONE, BatchResult, Effects, keep_bad
from contract.clock import Clock, SystemClock
from contract.topics import Topics
from contract.vocabulary import CommandName

log = structlog.get_logger("central.service")


@dataclass(frozen=True)
class ServiceSettings:
    dsn: str
    mqtt: ConsumerSettings = field(default_factory=ConsumerSettings)
    gaps: GapPolicy = field(default_factory=GapPolicy)
    reminders: ReminderSchedule = field(default_factory=ReminderSchedule.days)
    window: TimeWindow = field(default_factory=TimeWindow)  # an event's time around receipt
    zone: ZoneInfo = OFFICE_ZONE  # the office's: the dates in an SMS
    max_batch: int = 500  # messages per transaction
    batch_wait_s: float = 0.2
    tick_s: float = 1.0


class ReconnectingConnection:
    """One PostgreSQL connection, opened again (with backoff) whenever it is lost.

    Only a lost connection, a deadlock or a serialization failure is retried: any other error
    (a value the database refuses, a limit) would fail the same way again, and is raised."""

    def __init__(self, dsn: str, stopping: threading.Event) -> None:
        self._dsn, self._stopping = dsn, stopping
        self._conn: psycopg.Connection | None = None

    def run(self, work: Callable[[psycopg.Connection], object]) -> object:
        """`work(conn)`, retried on a lost connection, a deadlock or a serialization failure."""
        retrying = Retrying(
            retry=retry_if_exception(self.transient),
            wait=wait_exponential_jitter(multiplier=0.05, max=10),
            stop=lambda state: self._stopping.is_set(),
            before_sleep=lambda state: log.warning(
                "database_retry", error=str(state.outcome.exception()), attempt=state.attempt_number
            ),
            reraise=True,
        )
        return retrying(self._attempt, work)

    def transient(self, exc: BaseException) -> bool:
        """A lost connection, a deadlock or a serialization failure: worth trying again."""
        if isinstance(exc, psycopg.errors.TransactionRollback):
            return True
        lost = self._conn is None or self._conn.closed or self._conn.broken
        return isinstance(exc, psycopg.OperationalError) and lost

    def _attempt(self, work: Callable[[psycopg.Connection], object]) -> object:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self._dsn, autocommit=True)
        return work(self._conn)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def database_answers(dsn: str, timeout_s: int = 2) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=timeout_s) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


class Service:
    def __init__(
        self,
        settings: ServiceSettings,
        clock: Clock | None = None,
        gateway: SmsGateway | None = None,
        metrics: CentralMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.effects = Effects(
            gateway or GammuOutbox(),
            settings.reminders,
            settings.mqtt.root,
            settings.window,
            settings.zone,
        )
        self.metrics = metrics or CentralMetrics(replica=settings.mqtt.client_id)
        self.consumer = Consumer(settings.mqtt)
        self.quiet = QuietStations(settings.gaps)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.finished = threading.Event()  # a worker ended: the replica must end too
        self.failed = False  # ... because a worker died

    def start(self, ticking: bool = True) -> None:
        """Connect and consume; `ticking`: also run `tick` every `tick_s` (tests call it)."""
        self.consumer.start()
        self._spawn(self._consume, "consume")
        if ticking:
            self._spawn(self._tick_loop, "tick")

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.consumer.stop()

    def workers(self) -> dict[str, bool]:
        """Each worker thread (consume, tick): whether it is alive."""
        return {thread.name: thread.is_alive() for thread in self._threads}

    def workers_alive(self) -> bool:
        return bool(self._threads) and all(self.workers().values())

    def health(self) -> dict[str, bool]:
        """/healthz: the worker threads live, the broker session is up, the database answers."""
        return {
            **self.workers(),
            "broker": self.consumer.connected.is_set(),
            "database": database_answers(self.settings.dsn),
        }

    def tick(self, database: ReconnectingConnection | None = None) -> tuple[Plan | None, int]:
        """Sweep for gaps (sending `replay`s), queue due reminders and record the SMS the
        gateway failed, at the clock's now."""
        database = database or ReconnectingConnection(self.settings.dsn, self._stopping)
        now = self.clock.now()
        plan = database.run(lambda conn: sweep(conn, now, self.settings.gaps))
        if plan is not None:
            for gap in plan.replays:
                topic = Topics(self.settings.mqtt.root, gap.station).command(CommandName.REPLAY)
                self.consumer.publish(topic, replay_payload(gap))
                log.warning(
                    "gap_replay", station=gap.station, from_seq=gap.from_seq, to_seq=gap.to_seq
                )
            for gap in plan.reports:
                log.error(
                    "gap_persistent", station=gap.station, from_seq=gap.from_seq, to_seq=gap.to_seq
                )
            for station, from_seq, asked in self.quiet.due(plan, now):
                topic = Topics(self.settings.mqtt.root, station).command(CommandName.REPLAY)
                self.consumer.publish(topic, tail_payload(station, from_seq, asked))
                log.info("quiet_replay", station=station, from_seq=from_seq)
        reminders = database.run(lambda conn: self.effects.send_reminders(conn, now))
        failures = database.run(lambda conn: record_failures(conn, now))
        for job_id, status in failures:
            log.warning("sms_failed", job_id=job_id, status=status)
        self.metrics.tick(plan, len(reminders), [status for _, status in failures], now)
        return plan, len(reminders)

    def _consume(self) -> None:
        database = ReconnectingConnection(self.settings.dsn, self._stopping)
        while not self._stopping.is_set():
            batch = self.consumer.take(self.settings.max_batch, self.settings.batch_wait_s)
            if not batch:
                continue
            try:
                result = self.commit(database, [item.message for item in batch])
            except psycopg.OperationalError:
                return  # stopping while the database is away: nothing acknowledged
            self.consumer.ack(batch)
            for check in result.tail_checks:
                topic = Topics(self.settings.mqtt.root, check.station).command(CommandName.REPLAY)
                self.consumer.publish(topic, check.payload())
                log.info("tail_replay", station=check.station, from_seq=check.from_seq)
            self.metrics.batch(result, self.clock.now())
            log.info(
                "batch_committed",
                new=result.new,
                duplicates=result.duplicates,
                bad=result.bad,
                sms=len(result.sms),
            )
        database.close()

    def commit(self, database: ReconnectingConnection, messages: list[Message]) -> BatchResult:
        """Commit `messages` in one transaction; if that fails for any reason but a lost
        connection, one transaction per message, a message that still fails kept in
        `bad_messages` (so that one poison message can never hold the others back)."""
        try:
            return database.run(partial(self._apply, messages))  # type: ignore[return-value]
        except Exception as exc:  # whatever it is, it must not stop intake
            if self._stopping.is_set() or database.transient(exc):
                raise
            log.warning("batch_failed", error=repr(exc), messages=len(messages))
        result = BatchResult()
        for message in messages:
            try:
                result.add(database.run(partial(self._apply, [message])))  # type: ignore[arg-type]
            except Exception as exc:  # as above: kept, never retried
                if self._stopping.is_set() or database.transient(exc):
                    raise
                log.error("message_refused", topic=message.topic, error=repr(exc))
                problem = f"refused while stored: {exc!r}"
                database.run(lambda conn, m=message, p=problem: keep_bad(conn, [(m, p)]))
                result.add(BatchResult(bad=1))
        return result

    def _apply(self, messages: list[Message], conn: psycopg.Connection) -> BatchResult:
        return self.effects.apply(conn, messages, self.clock.now())

    def _tick_loop(self) -> None:
        database = ReconnectingConnection(self.settings.dsn, self._stopping)
        while not self._stopping.wait(self.settings.tick_s):
            try:
                self.tick(database)
            except psycopg.OperationalError:
                return
        database.close()

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(
            target=self._guarded, args=(target,), name=f"central-{name}", daemon=True
        )
        thread.start()
        self._threads.append(thread)

    def _guarded(self, target: Callable[[], None]) -> None:
        """Run a worker; if it dies, the whole replica ends (`finished`), so that systemd
        starts it again rather than a process that consumes nothing."""
        try:
            target()
        except BaseException:
            log.exception("worker_died", thread=threading.current_thread().name)
            self.failed = True
            self._stopping.set()
        finally:
            self.finished.set()
