"""The command processor without a broker: strict JSON, and a cmd_id used again for another
request (issue 15, items 10 and 13)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contract.clock import ManualClock
from controller.mqtt.requests import CommandProcessor
from controller.queue.store import Store
from tests.mqtt.kit import RecordingHandler


@pytest.fixture
def processor(store: Store, clock: ManualClock) -> tuple[CommandProcessor, RecordingHandler]:
    handler = RecordingHandler()
    return CommandProcessor(store.db, handler, clock), handler


def ask(processor: CommandProcessor, name: str, cmd_id: str, **args: Any) -> dict[str, Any]:
    body = {"schema": "ektp.cmd/1", "cmd_id": cmd_id, "args": args}
    return json.loads(processor.process(name, json.dumps(body).encode()).payload)


def test_a_cmd_id_used_again_for_another_request_is_refused(processor) -> None:
    commands, handler = processor
    assert ask(commands, "pause", "c-1")["ok"] is True
    assert ask(commands, "pause", "c-1")["ok"] is True  # the same request: the stored reply
    other_command = ask(commands, "resume", "c-1")
    other_args = ask(commands, "pause", "c-1", why="x")
    for reply in (other_command, other_args):
        assert reply["error"]["code"] == "cmd_id_reused"
    assert handler.calls == [("pause", {})]  # nothing else ran
    assert ask(commands, "pause", "c-1")["ok"] is True  # the first reply is still there


@pytest.mark.parametrize(
    "raw",
    [
        b'{"schema":"ektp.cmd/1","cmd_id":"c-2","cmd_id":"c-3"}',
        b'{"schema":"ektp.cmd/1","cmd_id":"c-4","args":{"count":NaN}}',
        b'{"schema":"ektp.cmd/1","cmd_id":"c-5","args":{"a":1,"a":2}}',
    ],
)
def test_duplicate_keys_and_nan_are_invalid_json(processor, raw: bytes) -> None:
    commands, handler = processor
    reply = json.loads(commands.process("pause", raw).payload)
    assert (reply["cmd_id"], reply["error"]["code"]) == (None, "invalid_json")
    assert handler.calls == []
