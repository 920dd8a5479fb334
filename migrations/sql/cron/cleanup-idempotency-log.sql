-- cleanup-idempotency-log: the pg_cron job's current definition (where pg_cron is installed), as the database holds it at head (revisions 0008).
-- No revision runs this file: each runs its own frozen cleanup-idempotency-log@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
SELECT cron.schedule('cleanup-idempotency-log', '0 2 * * *', 'SELECT public.cleanup_idempotency_log()');
