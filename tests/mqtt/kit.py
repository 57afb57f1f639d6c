"""What the MQTT tests share: the station's names, fast timing, a command handler, and a link
assembled the way the daemon assembles it."""

from __future__ import annotations

import dataclasses
from typing import Any

from contract.clock import Clock
from contract.errors import CommandError
from controller.mqtt.link import MqttLink
from controller.mqtt.settings import MqttSettings
from controller.mqtt.timing import LinkTiming
from controller.queue.audit import Actor
from controller.queue.db import StoreError
from controller.queue.intake import IntakeResult
from controller.queue.store import Store

STATION = "3271-bogor-timur-01"
ROOT = "ektp/v1"
ST = f"{ROOT}/{STATION}"
LOW = {"cards": 10, "ribbon": 10, "film": 20}
LOADED = {"cards": 100, "ribbon": 200, "film": 400}

# Real periods shortened so that the suite stays fast; the logic is the same.
FAST = LinkTiming(
    status_heartbeat_s=60.0,
    status_coalesce_s=0.3,
    outbox_poll_s=0.2,
    reconnect_initial_s=0.05,
    reconnect_max_s=0.4,
    reconnect_jitter_s=0.1,
    stable_after_s=2.0,
    redeliver_after_s=0.5,
    connect_timeout_s=2.0,
    stop_timeout_s=2.0,
)


class RecordingHandler:
    """A command handler for tests: `pause`/`resume`, `cancel` that knows no job, and
    `explode`, a handler bug."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.actors: list[Actor | None] = []
        self.paused = False

    def handle(self, name: str, args: dict[str, Any], actor: Actor | None = None) -> dict[str, Any]:
        self.calls.append((name, args))
        self.actors.append(actor)
        if name in ("pause", "resume"):
            self.paused = name == "pause"
            return {"paused": self.paused}
        if name == "cancel":
            if not isinstance(args.get("job_id"), str):
                raise CommandError("invalid_args", "job_id must be a string")
            raise CommandError("unknown_job", f"no job {args['job_id']}")
        if name == "explode":
            raise RuntimeError("a bug in the handler")
        raise CommandError("unknown_command", f"no command {name!r}")


@dataclasses.dataclass
class LinkedStation:
    """A link under test, with what the daemon would give it and what it reported back."""

    link: MqttLink
    store: Store
    handler: RecordingHandler
    status: dict[str, Any]
    store_errors: list[StoreError]
    jobs: list[IntakeResult]
    holding: list[bool]  # what on_holding said, in order


def mqtt_settings(port: int, **overrides: Any) -> MqttSettings:
    base = MqttSettings(host="127.0.0.1", port=port, topic_root=ROOT, keepalive_s=5)
    return dataclasses.replace(base, **overrides)


def linked_station(
    settings: MqttSettings, store: Store, clock: Clock, timing: LinkTiming = FAST
) -> LinkedStation:
    handler = RecordingHandler()
    status: dict[str, Any] = {"state": "ready", "queue": {"queued": 0, "printing": 0}}
    store_errors: list[StoreError] = []
    jobs: list[IntakeResult] = []
    holding: list[bool] = []

    def provider() -> dict[str, Any]:
        """The status; raises while the test has put a "broken" key in it."""
        if "broken" in status:
            raise RuntimeError(status["broken"])
        return dict(status)

    link = MqttLink(
        settings,
        STATION,
        store,
        clock,
        status_provider=provider,
        commands=handler,
        on_store_error=store_errors.append,
        on_job=jobs.append,
        on_holding=holding.append,
        timing=timing,
    )
    return LinkedStation(link, store, handler, status, store_errors, jobs, holding)
