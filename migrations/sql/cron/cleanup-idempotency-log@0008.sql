-- cleanup-idempotency-log (cro): the statements revision 0008_idempotency_cleanup ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is cron/cleanup-idempotency-log.sql.

-- statement
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        PERFORM cron.schedule('cleanup-idempotency-log', '0 2 * * *', 'SELECT public.cleanup_idempotency_log()');
    ELSE
        RAISE WARNING 'pg_cron is not installed in this database: cleanup_idempotency_log() is NOT scheduled; run it daily by other means';
    END IF;
END
$$;
