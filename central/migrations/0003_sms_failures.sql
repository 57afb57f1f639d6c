-- Failed SMS (central/failures.py) are found in Gammu's sentitems through this partial index,
-- so that the scan every tick reads only the failed rows. Gammu's tables are made before the
-- migrations (central/migrate.py); where they live elsewhere and do not exist yet, the index
-- is skipped and the scan still works, slower.
DO $$
BEGIN
    IF to_regclass('sentitems') IS NOT NULL THEN
        CREATE INDEX IF NOT EXISTS sentitems_failed ON sentitems ("ID")
            WHERE "Status" IN ('SendingError', 'DeliveryFailed', 'Error');
    END IF;
END
$$;
