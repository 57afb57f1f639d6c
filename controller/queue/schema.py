"""The station database's schema, as an ordered list of migrations.

Each migration runs once, in its own transaction, and `PRAGMA user_version` records how far a
database has come. Never edit a released migration: append a new one. The migrations are history,
so they spell out the vocabulary's names; tests/contract/test_vocabulary.py checks that the
`CHECK (... IN (...))` lists of the migrated schema still agree with
contract/vocabulary.py.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: jobs, their print attempts, the event outbox, the consumables ledger.
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE jobs (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order
        job_id         TEXT NOT NULL UNIQUE,
        content_sha256 TEXT NOT NULL,
        nik            TEXT NOT NULL,
        reason         TEXT NOT NULL CHECK (reason IN ('new', 'damaged', 'lost', 'data_change')),
        not_after      TEXT,                               -- RFC 3339 UTC, sortable
        state          TEXT NOT NULL CHECK (state IN ('queued', 'printing', 'needs_review',
                                       'printed', 'failed', 'cancelled', 'expired')),
        attempts       INTEGER NOT NULL DEFAULT 0,         -- blanks this job has used
        card_json      TEXT NOT NULL,                      -- card fields, photo and signature apart
        photo          BLOB,                               -- deleted when the job ends
        signature      BLOB,                               -- deleted when the job ends
        source         TEXT NOT NULL,
        received_at    TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        ended_at       TEXT
    );
    CREATE UNIQUE INDEX jobs_one_active_per_nik ON jobs (nik)
        WHERE state IN ('queued', 'printing', 'needs_review');
    CREATE INDEX jobs_by_state ON jobs (state, seq);
    CREATE INDEX jobs_new_by_state ON jobs (state, reason, seq);
    CREATE INDEX jobs_by_expiry ON jobs (state, not_after) WHERE not_after IS NOT NULL;

    CREATE TABLE attempts (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id         TEXT NOT NULL REFERENCES jobs (job_id),
        started_at     TEXT NOT NULL,                      -- RFC 3339 UTC with microseconds
        counter_before INTEGER NOT NULL,                   -- printer card counter at the start
        ended_at       TEXT,
        outcome        TEXT CHECK (outcome IN ('printed', 'spoiled', 'unknown', 'not_printed')),
        cause          TEXT,
        counter_after  INTEGER
    );
    CREATE INDEX attempts_by_start ON attempts (started_at);
    CREATE INDEX attempts_by_job ON attempts (job_id, id);

    CREATE TABLE outbox (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,    -- never reused
        type         TEXT NOT NULL,
        job_id       TEXT,
        time         TEXT NOT NULL,
        data         TEXT NOT NULL,                        -- JSON object
        delivered_at TEXT
    );
    CREATE INDEX outbox_pending ON outbox (seq) WHERE delivered_at IS NULL;

    CREATE TABLE consumables (
        consumable TEXT PRIMARY KEY CHECK (consumable IN ('cards', 'ribbon', 'film')),
        remaining  INTEGER NOT NULL CHECK (remaining >= 0),
        capacity   INTEGER NOT NULL CHECK (capacity >= 0),
        low        INTEGER NOT NULL DEFAULT 0,             -- consumable.low sent, not re-armed
        lot        TEXT
    );
    CREATE TABLE ledger (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        time       TEXT NOT NULL,
        consumable TEXT NOT NULL,
        kind       TEXT NOT NULL CHECK (kind IN ('load', 'printed', 'spoiled', 'adjust')),
        delta      INTEGER NOT NULL,                       -- change to `remaining`
        job_id     TEXT,
        lot        TEXT,
        note       TEXT
    );
    CREATE INDEX ledger_by_consumable ON ledger (consumable, kind);

    CREATE TABLE command_replies (
        cmd_id TEXT PRIMARY KEY,
        name   TEXT NOT NULL,
        reply  TEXT NOT NULL,
        time   TEXT NOT NULL
    );
    CREATE TABLE alerts (
        code     TEXT PRIMARY KEY,
        severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
        message  TEXT NOT NULL,
        since    TEXT NOT NULL
    );
    """,
    # 2: the audit of manual actions (issue 15): who asked, how, the job, the arguments, and
    # what came of it.
    """
    CREATE TABLE audit (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        time    TEXT NOT NULL,
        how     TEXT NOT NULL CHECK (how IN ('local', 'remote', 'panel')),
        who     TEXT NOT NULL,                            -- user, account or requester
        command TEXT NOT NULL,
        job_id  TEXT,
        args    TEXT NOT NULL,                            -- JSON object, no personal data
        outcome TEXT NOT NULL,                            -- ok, or the error code
        effect  TEXT NOT NULL                             -- JSON: the result or the message
    );
    CREATE INDEX audit_by_job ON audit (job_id) WHERE job_id IS NOT NULL;
    """,
    # 3: what a command asked (its name and arguments, hashed), so that a cmd_id used again for
    # another request is refused instead of answered with the first one's reply (issue 15).
    """
    ALTER TABLE command_replies ADD COLUMN request_sha256 TEXT;
    """,
    # 4: the messages rejected for what they are (a digest, no content), so that a delivery of
    # the same message again is acknowledged without a second job.rejected.
    """
    CREATE TABLE rejected_messages (
        message_sha256 TEXT PRIMARY KEY,
        job_id         TEXT,
        code           TEXT NOT NULL,
        time           TEXT NOT NULL
    );
    CREATE INDEX rejected_messages_by_time ON rejected_messages (time);
    """,
    # 5: the number a print queue (CUPS, driver = "ipp") gave the attempt's job, stored before
    # the card's document is sent, so that a stop mid-card is settled by how that job ended.
    """
    ALTER TABLE attempts ADD COLUMN printer_job INTEGER;
    """,
)
