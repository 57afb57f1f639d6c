"""journald priorities: on the journal's stream each line carries its syslog priority."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import structlog

from logsetup import configure_logging


def log_lines(tmp_path: Path, journal: bool) -> list[str]:
    path = tmp_path / "stream"
    with path.open("w") as stream:
        info = os.fstat(stream.fileno())
        old = os.environ.get("JOURNAL_STREAM")
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        os.environ["JOURNAL_STREAM"] = f"{info.st_dev}:{info.st_ino}" if journal else "0:0"
        try:
            configure_logging("debug", "json", stream=stream)
            log = structlog.get_logger("test")
            log.error("broken", part="printer")
            log.warning("careful")
            log.info("fine")
            logging.getLogger("paho.mqtt.client").debug("foreign")
        finally:
            structlog.reset_defaults()
            root.handlers[:], root.level = handlers, level
            if old is None:
                os.environ.pop("JOURNAL_STREAM")
            else:
                os.environ["JOURNAL_STREAM"] = old
    return path.read_text().splitlines()


def test_lines_to_the_journal_start_with_their_priority(tmp_path: Path) -> None:
    lines = log_lines(tmp_path, journal=True)
    assert [line[:3] for line in lines] == ["<3>", "<4>", "<6>", "<7>"]
    assert json.loads(lines[0][3:])["event"] == "broken"


def test_lines_elsewhere_are_plain_json(tmp_path: Path) -> None:
    lines = log_lines(tmp_path, journal=False)
    assert [json.loads(line)["level"] for line in lines] == ["error", "warning", "info", "debug"]
