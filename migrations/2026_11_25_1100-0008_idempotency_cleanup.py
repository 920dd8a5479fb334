"""Cleanup of expired idempotency keys, scheduled daily through pg_cron

Revision: 0008_idempotency_cleanup
Revises: 0007_idempotency_log
Created: 2026-11-25 11:00:00

What and why
    `cleanup_idempotency_log()` deletes the keys whose `expires_at` has passed and returns
    how many it deleted; an expired key is free to be used again. Where the pg_cron
    extension is installed in this database (Supabase: Database → Extensions → pg_cron), the
    revision schedules it daily at 02:00 UTC as job `cleanup-idempotency-log`
    (`cron.schedule` replaces a job of the same name, so re-running is harmless). Where it is
    not, the revision says so with a WARNING and creates the function only; `make verify`
    then reports the job as missing, and the function must be run daily by other means
    (`SELECT cleanup_idempotency_log();`). The revision does not install the extension:
    that is a platform decision, not a schema change.

Locks taken, and for how long
    CREATE FUNCTION: none on any table. cron.schedule inserts one row into cron.job.
    Timeouts: lock_timeout '5s', statement_timeout '60s'.

How to verify
    SELECT cleanup_idempotency_log();   -- returns the number of expired keys deleted
    SELECT jobname, schedule, command FROM cron.job WHERE jobname = 'cleanup-idempotency-log';
    `make verify` reports both.

How to roll back
    `make downgrade` unschedules the job (if pg_cron is there) and drops the function.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0008_idempotency_cleanup"
down_revision = "0007_idempotency_log"
branch_labels = None
depends_on = None

CLEANUP_JOB_NAME = "cleanup-idempotency-log"

DROP_CLEANUP_FUNCTION = "DROP FUNCTION cleanup_idempotency_log()"

UNSCHEDULE_CLEANUP = f"""\
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        PERFORM cron.unschedule(jobid) FROM cron.job WHERE jobname = '{CLEANUP_JOB_NAME}';
    END IF;
END
$$"""


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    execute("functions/public.cleanup_idempotency_log", "0008")
    execute("cron/cleanup-idempotency-log", "0008")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute(UNSCHEDULE_CLEANUP)
    op.execute(DROP_CLEANUP_FUNCTION)
