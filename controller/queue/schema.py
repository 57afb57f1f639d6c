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
    # 5: named people and the blanks' custody (issue 26): accounts with a role (the Unix user
    # the control socket maps to one), the audit's named person, lots received and
    # countersigned, each lot's consumption and corrections, the spoiled blanks in custody and
    # the destruction records that close them, and when a printed card was handed over. The
    # operator on duty is in `meta`.
    """
    CREATE TABLE accounts (
        name       TEXT PRIMARY KEY,                      -- the person's account
        full_name  TEXT NOT NULL,
        role       TEXT NOT NULL CHECK (role IN ('operator', 'supervisor')),
        unix_user  TEXT UNIQUE,                           -- the login it is at the kiosk
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    ALTER TABLE audit ADD COLUMN account TEXT;            -- the named person, when known
    ALTER TABLE jobs ADD COLUMN collected_at TEXT;        -- the card handed to the citizen

    CREATE TABLE lots (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,  -- oldest first
        consumable       TEXT NOT NULL CHECK (consumable IN ('cards', 'ribbon', 'film')),
        lot              TEXT NOT NULL,
        quantity         INTEGER NOT NULL CHECK (quantity > 0),
        received_on      TEXT NOT NULL,                   -- the delivery's date, YYYY-MM-DD
        received_at      TEXT NOT NULL,
        received_by      TEXT NOT NULL REFERENCES accounts (name),
        new_share        INTEGER NOT NULL DEFAULT 0       -- percent reserved for `new` cards
                         CHECK (new_share BETWEEN 0 AND 100),
        countersigned_by TEXT REFERENCES accounts (name), -- a supervisor; in stock from then
        countersigned_at TEXT,
        UNIQUE (consumable, lot)
    );
    CREATE TABLE lot_moves (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        time    TEXT NOT NULL,
        lot_id  INTEGER NOT NULL REFERENCES lots (id),
        kind    TEXT NOT NULL CHECK (kind IN ('printed', 'spoiled', 'adjust')),
        delta   INTEGER NOT NULL,                         -- change to the lot's stock
        job_id  TEXT,
        account TEXT,                                     -- who adjusted
        reason  TEXT
    );
    CREATE INDEX lot_moves_by_lot ON lot_moves (lot_id, kind);

    CREATE TABLE destructions (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        destroyed_on TEXT NOT NULL,                       -- YYYY-MM-DD
        count        INTEGER NOT NULL CHECK (count > 0),
        supervisor   TEXT NOT NULL REFERENCES accounts (name),
        witness      TEXT NOT NULL REFERENCES accounts (name),
        time         TEXT NOT NULL,
        CHECK (supervisor <> witness)
    );
    CREATE TABLE spoiled_blanks (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        time           TEXT NOT NULL,
        job_id         TEXT NOT NULL,
        lot_id         INTEGER REFERENCES lots (id),      -- NULL: a blank of no lot received
        cause          TEXT NOT NULL,
        destruction_id INTEGER REFERENCES destructions (id)  -- NULL: still in custody
    );
    CREATE INDEX spoiled_in_custody ON spoiled_blanks (id) WHERE destruction_id IS NULL;
    """,
    # 6: the number a print queue (CUPS, driver = "ipp") gave the attempt's job, stored before
    # the card's document is sent, so that a stop mid-card is settled by how that job ended.
    """
    ALTER TABLE attempts ADD COLUMN printer_job INTEGER;
    """,
    # 7: passwords for the web page (issue 27): an argon2 hash per account, the failed logins
    # in a row, and the lock after too many (lifted by setting a new password).
    """
    CREATE TABLE passwords (
        account    TEXT PRIMARY KEY REFERENCES accounts (name),
        hash       TEXT NOT NULL,                        -- argon2id, with its parameters and salt
        failures   INTEGER NOT NULL DEFAULT 0,           -- failed logins since the last success
        locked_at  TEXT,                                 -- NULL: not locked
        set_at     TEXT NOT NULL,
        set_by     TEXT NOT NULL
    );
    """,
)
