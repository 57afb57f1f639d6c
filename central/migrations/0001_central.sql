-- The central office's own tables (docs/central.md). Gammu's tables (outbox, sentitems, ...)
-- are created from the SQL file gammu-smsd ships (`printstation-central migrate --gammu-schema`).

-- Every station event once: the unique key is the contract's event_id.
CREATE TABLE events (
    event_id    text PRIMARY KEY,
    station     text NOT NULL,
    seq         bigint NOT NULL CHECK (seq >= 1),
    type        text NOT NULL,
    job_id      text,
    time        timestamptz NOT NULL,
    data        jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_station_seq ON events (station, seq);

-- Filled by the office's job publisher when it sends a job to a station: what the station
-- never has (the citizen's phone) and where the card is collected.
CREATE TABLE citizen_jobs (
    job_id        text PRIMARY KEY,
    phone         text NOT NULL CHECK (phone ~ '^\+?[0-9]{8,15}$'),
    pickup_office text NOT NULL CHECK (length(pickup_office) BETWEEN 1 AND 40),
    pickup_slot   text CHECK (length(pickup_slot) <= 30),
    created_at    timestamptz NOT NULL DEFAULT now(),
    collected_at  timestamptz
);

-- One row per printed card (a job prints at most one good card), and its reminders.
CREATE TABLE printed_cards (
    job_id           text PRIMARY KEY,
    event_id         text NOT NULL REFERENCES events (event_id),
    station          text NOT NULL,
    printed_at       timestamptz NOT NULL,
    reminders_sent   integer NOT NULL DEFAULT 0,
    next_reminder_at timestamptz
);
CREATE INDEX printed_cards_due ON printed_cards (next_reminder_at)
    WHERE next_reminder_at IS NOT NULL;

-- Every SMS handed to the gateway: at most one per (job, kind, ordinal).
CREATE TABLE sms_log (
    id         bigserial PRIMARY KEY,
    job_id     text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('printed', 'reminder')),
    ordinal    integer NOT NULL DEFAULT 0,
    phone      text NOT NULL,
    text       text NOT NULL,
    gateway_id text,
    queued_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_id, kind, ordinal)
);

-- What operators must see: rejected, failed, expired and review jobs, consumables, alerts,
-- and cards printed for a job the office has no phone number for.
CREATE TABLE operator_events (
    event_id text PRIMARY KEY,
    station  text NOT NULL,
    type     text NOT NULL,
    job_id   text,
    code     text,
    time     timestamptz NOT NULL,
    data     jsonb NOT NULL
);
CREATE INDEX operator_events_station_time ON operator_events (station, time);

-- Messages that were not an event of the contract (kept, acknowledged, never retried).
CREATE TABLE bad_messages (
    id          bigserial PRIMARY KEY,
    topic       text NOT NULL,
    payload     bytea NOT NULL,
    problem     text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Gap tracking: every seq up to `contiguous` has arrived.
CREATE TABLE station_progress (
    station    text PRIMARY KEY,
    contiguous bigint NOT NULL DEFAULT 0
);

-- Gaps in seq seen by the sweep, the replays asked for, and when a persistent one was reported.
CREATE TABLE gaps (
    station        text NOT NULL,
    from_seq       bigint NOT NULL,
    to_seq         bigint NOT NULL,
    first_seen     timestamptz NOT NULL,
    replays        integer NOT NULL DEFAULT 0,
    last_replay_at timestamptz,
    reported_at    timestamptz,
    PRIMARY KEY (station, from_seq)
);

-- Every station's last retained status (the fleet view).
CREATE TABLE station_status (
    station   text PRIMARY KEY,
    status    jsonb NOT NULL,
    time      timestamptz,
    last_seen timestamptz NOT NULL
);
