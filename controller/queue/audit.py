"""The audit of manual actions: who asked, how, for which job, with which arguments, and what
came of it. One row per action, refused ones included; rows are never changed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contract.clock import rfc3339
from contract.vocabulary import ActionSource
from controller.queue.db import Database

CENTRAL_REQUESTER = "central"  # who a remote command that names no requester is from
DONE = "ok"  # the outcome of an action that was done; a refused one's is its error code


@dataclass(frozen=True)
class Actor:
    """Who asked for an action: `how` it came, and `who` (a local user as the kernel names the
    socket's peer, the requester a command names, or the panel). `account`: the named person
    (the account the peer's Unix `user` maps to, or the operator on duty at the panel);
    `superuser`: the peer is root."""

    how: ActionSource
    who: str
    account: str | None = None
    user: str | None = None
    superuser: bool = False

    @property
    def person(self) -> str:
        """The name an action is recorded under: the account, else how the asker came."""
        return f"{self.account} ({self.who})" if self.account else self.who


@dataclass(frozen=True)
class AuditEntry:
    time: str
    how: str
    who: str
    command: str
    job_id: str | None
    args: dict[str, Any]
    outcome: str
    effect: Any
    account: str | None = None


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        actor: Actor,
        command: str,
        args: dict[str, Any],
        outcome: str,
        effect: Any,
        at: datetime,
    ) -> None:
        job_id = args.get("job_id")
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO audit (time, how, who, command, job_id, args, outcome, effect,"
                " account) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rfc3339(at),
                    actor.how,
                    actor.who,
                    command,
                    job_id if isinstance(job_id, str) else None,
                    json.dumps(args, sort_keys=True, default=str),
                    outcome,
                    json.dumps(effect, sort_keys=True, default=str),
                    actor.account,
                ),
            )

    def entries(self, job_id: str | None = None) -> list[AuditEntry]:
        """Every entry (or a job's), oldest first."""
        sql = "SELECT time, how, who, command, job_id, args, outcome, effect, account FROM audit"
        params: tuple[str, ...] = ()
        if job_id is not None:
            sql, params = sql + " WHERE job_id = ?", (job_id,)
        with self._db.reading() as conn:
            rows = conn.execute(sql + " ORDER BY id", params).fetchall()
        return [
            AuditEntry(
                row["time"],
                row["how"],
                row["who"],
                row["command"],
                row["job_id"],
                json.loads(row["args"]),
                row["outcome"],
                json.loads(row["effect"]),
                row["account"],
            )
            for row in rows
        ]
