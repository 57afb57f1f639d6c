from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.clock import ManualClock
from controller.queue.store import Store
from testkit.broker import Broker

LOW = {"cards": 10, "ribbon": 10, "film": 20}
LOADED = {"cards": 100, "ribbon": 200, "film": 400}


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line in English, which the tests assert (tests/station/test_cli_language.py
    checks the Indonesian default and the catalog)."""
    monkeypatch.setenv("LANGUAGE", "en")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[Store]:
    opened = Store.open(
        tmp_path / "station.db",
        "3271-bogor-timur-01",
        clock,
        low_thresholds=LOW,
        initial_load=LOADED,
        max_attempts=3,
    )
    yield opened
    opened.close()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A real mosquitto on a free port, without TLS (the MQTT and doctor tests)."""
    running = Broker.plain(tmp_path / "broker")
    running.start()
    yield running
    running.kill()
