-- drain-sync-queue (cro): the statements revision 0013_dual_write_sync_queue ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is cron/drain-sync-queue.sql.

-- statement
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        PERFORM cron.schedule('drain-sync-queue', '* * * * *', 'SELECT * FROM migration.drain_sync_queue(5000)');
    ELSE
        RAISE WARNING 'pg_cron is not installed in this database: migration.drain_sync_queue() is NOT scheduled; '
            'run `make sync-worker` while the sync trigger is on';
    END IF;
END;
$$;
