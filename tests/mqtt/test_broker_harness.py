"""The tests' own mosquitto (testkit.broker): a start returns only once this broker listens on
every port of its config, and the ports it is given cannot be taken by the kernel meanwhile."""

from __future__ import annotations

import socket
from contextlib import ExitStack
from pathlib import Path

import pytest

from testkit.broker import Broker, ephemeral_port_range, free_port, plain_config


def test_ports_that_answer_for_another_process_are_no_start(tmp_path: Path) -> None:
    """Every port answers, but another process's listeners hold them: mosquitto exits on the
    bind, and the start says so instead of returning."""
    with ExitStack() as stack:
        ports = []
        for _ in range(2):
            taken = stack.enter_context(socket.socket())
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            ports.append(taken.getsockname()[1])
        config = plain_config(ports[0], tmp_path) + f"\nlistener {ports[1]} 127.0.0.1"
        with pytest.raises(RuntimeError, match="Address already in use"):
            Broker(tmp_path, config, ports).start()


def test_free_ports_are_distinct_and_outside_the_ephemeral_range() -> None:
    low, high = ephemeral_port_range()
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    assert not [port for port in ports if low <= port <= high or port == 1883]


def test_a_broker_logging_without_its_running_line_is_refused(tmp_path: Path) -> None:
    """The start waits for an `information` line: a config that would never write it fails
    at once, not at every start's timeout (CI met that in the central's burst test)."""
    port = free_port()
    config = f"listener {port} 127.0.0.1\nlog_dest file {tmp_path / 'mosquitto.log'}\n"
    with pytest.raises(ValueError, match="information"):
        Broker(tmp_path, config + "log_type error", [port])
    Broker(tmp_path, config + "log_type information", [port])
