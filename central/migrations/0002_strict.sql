-- Issue 25: jobs bound to their station, event content kept by hash, reminders from receipt,
-- Indonesian mobile numbers only.

-- The station the office sent the job to (filled by the job publisher): an event about the job
-- from any other station changes nothing (operator_events code 'wrong_station'). Jobs already
-- on record are bound to the station that accepted them.
ALTER TABLE citizen_jobs ADD COLUMN station text;
UPDATE citizen_jobs c SET station = a.station
  FROM (SELECT DISTINCT ON (job_id) job_id, station FROM events
         WHERE type = 'job.accepted' AND job_id IS NOT NULL
         ORDER BY job_id, received_at) a
 WHERE a.job_id = c.job_id;

-- +62 8… or 08…: an Indonesian mobile number (checked for new and changed rows).
ALTER TABLE citizen_jobs DROP CONSTRAINT citizen_jobs_phone_check;
ALTER TABLE citizen_jobs ADD CONSTRAINT citizen_jobs_phone_check
    CHECK (phone ~ '^(\+62|0)8[1-9][0-9]{6,10}$') NOT VALID;

-- SHA-256 of the event as received: a repeat of an event_id with other content is kept in
-- bad_messages rather than silently taken for a copy.
ALTER TABLE events ADD COLUMN digest bytea;

-- When the office received the card's event: reminders are due from then (a card the station
-- stamped long ago does not get every reminder at once).
ALTER TABLE printed_cards ADD COLUMN received_at timestamptz;
UPDATE printed_cards SET received_at = printed_at;
ALTER TABLE printed_cards ALTER COLUMN received_at SET NOT NULL;

-- The tail check (central/tail.py): the station session the office last asked to replay its
-- tail for.
ALTER TABLE station_progress ADD COLUMN checked_session bigint NOT NULL DEFAULT 0;
