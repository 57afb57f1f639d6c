"""structlog set-up: JSON lines under systemd or in a pipe, readable output on a terminal.

Every program of the project logs this way: the station (`printstation`) and the bench
printer's firmware (`python -m firmware.usb_gadget`), which may not import the station. So it is
a package of its own, beside them, that imports neither.

Under systemd, when stderr is the journal's stream (`JOURNAL_STREAM` names its device and
inode), each line starts with its syslog priority, `<3>` for an error: journald strips the
prefix and stores the line at that priority, so `journalctl -p err` finds the errors (systemd's
sd-daemon(3) convention, parsed by journald's default `LevelPrefix=`).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

import structlog

from contract.vocabulary import LogLevel

FORMATS = ("auto", "json", "console")  # auto: console on a terminal, JSON lines elsewhere
DEFAULT_LEVEL = LogLevel.INFO
DEFAULT_FORMAT = "auto"


# Python's levels as syslog priorities (sd-daemon(3)), highest first: <2> crit, <3> err, ...
PRIORITIES = (
    (logging.CRITICAL, 2),
    (logging.ERROR, 3),
    (logging.WARNING, 4),
    (logging.INFO, 6),
)
DEBUG_PRIORITY = 7


def priority(levelno: int) -> int:
    """The syslog priority of a Python log level (levels between take the lower one's)."""
    return next((p for level, p in PRIORITIES if levelno >= level), DEBUG_PRIORITY)


def writes_to_journal(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """Whether `stream` is the journal stream systemd connected (not merely inherited)."""
    expected = (os.environ if environ is None else environ).get("JOURNAL_STREAM", "")
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return expected == f"{info.st_dev}:{info.st_ino}"


class JournalPrefixed(structlog.stdlib.ProcessorFormatter):
    """The line, behind its syslog priority prefix."""

    def format(self, record: logging.LogRecord) -> str:
        return f"<{priority(record.levelno)}>{super().format(record)}"


def configure_logging(
    level: str = DEFAULT_LEVEL, fmt: str = DEFAULT_FORMAT, stream: TextIO | None = None
) -> None:
    """Route structlog and the standard library's logging (paho, tenacity) to one stream."""
    stream = stream or sys.stderr
    use_console = fmt == "console" or (fmt == "auto" and stream.isatty())
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer(colors=False)
        if use_console
        else structlog.processors.JSONRenderer(sort_keys=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    kind = JournalPrefixed if writes_to_journal(stream) else structlog.stdlib.ProcessorFormatter
    formatter = kind(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
