"""SIGHUP: read the config again and apply what can change while a card is printing.

Only the log level is applied in place; every other section is built into the running station
(the printer, the store, the MQTT session), so a change there is reported with the restart that
applies it. Nothing here touches the core loop or the card in progress.
"""

from __future__ import annotations

import dataclasses
import logging

import structlog

from controller.app.config import Config, ConfigError, load_config

log = structlog.get_logger(__name__)
IN_PLACE = ("path", "log")  # what a re-read applies (path: the file itself)


def reread_config(running: Config) -> Config:
    """Apply the file's log level; returns the config now in force (`running` on an error)."""
    try:
        fresh = load_config(running.path)
    except ConfigError as exc:
        for problem in exc.errors:
            log.error("config reload refused; the running config stays", problem=str(problem))
        return running
    logging.getLogger().setLevel(fresh.log.level.upper())
    changed = [
        option.name
        for option in dataclasses.fields(Config)
        if option.name not in IN_PLACE
        and getattr(fresh, option.name) != getattr(running, option.name)
    ]
    if changed:
        log.warning(
            "config reloaded: log level applied; the changed sections need a restart "
            "(systemctl restart printstation finishes the card in progress first)",
            sections=changed,
        )
        return dataclasses.replace(running, log=fresh.log)
    log.info("config reloaded", log_level=fresh.log.level)
    return fresh
