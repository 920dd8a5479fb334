-- drain-sync-queue: the pg_cron job's current definition (where pg_cron is installed), as the database holds it at head (revisions 0013).
-- No revision runs this file: each runs its own frozen drain-sync-queue@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
SELECT cron.schedule('drain-sync-queue', '* * * * *', 'SELECT * FROM migration.drain_sync_queue(5000)');
