"""The reliability suite's shared parts: its scale (CI or long), and the summary it prints.

Each test adds what it injected and what held to the session's summary; the summary is
printed in pytest's terminal summary (whatever `-s` says), attached to each test's report as
properties (JUnit XML), and written as JSON to `.pytest_cache/reliability-summary.json` (or to
the path in PRINTSTATION_RELIABILITY_REPORT).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.scale import Scale, current_scale

REPORT_ENV = "PRINTSTATION_RELIABILITY_REPORT"
_SCALE: list[Scale] = []
_SUMMARY: dict[str, dict[str, Any]] = {}

Report = Callable[[str, dict[str, Any]], None]


def session_scale() -> Scale:
    """One scale (and one seed) for the whole session."""
    if not _SCALE:
        _SCALE.append(current_scale())
    return _SCALE[0]


@pytest.fixture(scope="session")
def scale() -> Scale:
    return session_scale()


@pytest.fixture
def report(record_property: Callable[[str, object], None]) -> Report:
    """`report(section, figures)`: add figures to the summary and to the test's report."""

    def add(section: str, figures: dict[str, Any]) -> None:
        _SUMMARY.setdefault(section, {}).update(figures)
        for key, value in figures.items():
            record_property(f"{section}.{key}", value)

    return add


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    if not _SUMMARY:
        return
    scale = session_scale()
    document = {"mode": scale.mode, "seed": scale.seed, "exitstatus": int(exitstatus), **_SUMMARY}
    path = Path(
        os.environ.get(REPORT_ENV)
        or Path(config.rootpath) / ".pytest_cache" / ("reliability-summary.json")
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, sort_keys=True, default=str) + "\n")
    terminalreporter.section(
        f"reliability summary ({scale.mode} mode, seed {scale.seed}; "
        f"replay: PRINTSTATION_RELIABILITY_SEED={scale.seed})"
    )
    for section, figures in _SUMMARY.items():
        terminalreporter.write_line(f"{section}:")
        for key, value in figures.items():
            terminalreporter.write_line(f"  {key:<34} {value}")
    terminalreporter.write_line(f"(written to {path})")
