"""Dual-write trigger: queue each legacy write and sync it set-based in a drain, off the write path

Revision: 0013_dual_write_sync_queue
Revises: 0012_dual_write_trigger_sync
Created: 2026-11-25 15:00:00

What and why
    Measured under 0012 (`make bench-trigger`, durable server, weeks of 5-7 habits): syncing
    inside the trigger made a legacy insert 16.7x and an update 13.7x slower than without
    the trigger (8.4 ms against 0.5 ms). A synchronous sync writes about 30 rows with their
    index and foreign-key checks; it cannot reach the 3x budget, and it ties every legacy
    write to the new tables' locks and constraints. Nothing reads the new tables in Phase 1
    except the drift check, so they may follow the legacy table by a few seconds.

    From this revision on the trigger only appends the legacy id to migration.sync_queue
    (one row, in the write's transaction, so a committed write is never missed and a
    rolled-back one never queued). migration.drain_sync_queue(batch_size) takes the oldest
    entries and syncs them set-based with migration.sync_legacy_ids() (the backfill's path,
    revision 0010/0011), together with the other rows of their child-weeks before and after
    the write (the duplicate_week rule looks across them); it deletes a child the mapping
    created once no week refers to it (a renamed or re-owned row leaves its former child,
    known from migration.sync_state). Rows it writes carry source_version 'dual_write'.

    The drain runs every minute from pg_cron where pg_cron is installed (job
    'drain-sync-queue'; with pg_cron >= 1.5, as on Supabase, a DBA may reschedule it to
    '5 seconds'), or continuously from `make sync-worker`; `make sync-drain` empties the
    queue once. Only one drain runs at a time (a transaction-level advisory lock; a second
    caller returns at once with nothing done). It takes the same per-child advisory locks,
    in key order, as migration.sync_legacy_row(), so it never interleaves with a row sync of
    the same child.

    Failures. The batch runs in a subtransaction ending with SET CONSTRAINTS ALL IMMEDIATE.
    If it fails, it is undone and the batch's rows are synced one at a time through
    migration.try_sync_legacy_row() (0012): the clean rows go in, and each failing row is
    recorded in migration.sync_failures (with the legacy write's operation) and raises a
    WARNING; `make drift` reports it (HIGH, SYNC_FAILED) and `make resync` repairs it. The
    queue entries are consumed either way, so a failing row cannot block the queue.

    Unchanged from 0012: the skip switch (SET LOCAL migration.skip_sync_trigger = 'on', for
    the application endpoint that writes both schemas itself) and the global switch
    (`make sync-trigger MODE=off`): while either applies, nothing is queued.

    `make drift` treats queued rows (and the other rows of their children) as in flight and
    leaves them out of the comparison, like --min-age; it reports HIGH SYNC_BACKLOG when the
    oldest queued write is older than 5 minutes (no drain is running).

Locks taken, and for how long
    CREATE TABLE and CREATE FUNCTION in the migration schema; CREATE OR REPLACE FUNCTION
    sync_old_to_new() takes no table lock (the trigger itself is unchanged; the next write
    uses the new body). cron.schedule inserts one row into cron.job. No lock on
    habit_tracker or the new tables. Timeouts: lock_timeout '5s', statement_timeout '60s'.

How to verify
    `make verify`: "mode queued sync (Phase 1), syncing ON; queue 0 rows ..., cron job
    'drain-sync-queue'". INSERT a legacy row: one row in migration.sync_queue; after `make
    sync-drain` its week is in weeks with source_version 'dual_write' and `make drift` is
    clean.

How to roll back
    `make downgrade` puts back 0012's synchronous body (its frozen file, @0012), unschedules
    the job and drops the drain function and the queue. Rows still queued at that moment
    are not lost: their legacy rows differ from migration.sync_state, so `make drift` shows
    them and `make resync` syncs them; the downgrade says how many with a WARNING.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0013_dual_write_sync_queue"
down_revision = "0012_dual_write_trigger_sync"
branch_labels = None
depends_on = None

DRAIN_JOB_NAME = "drain-sync-queue"

# Created in this order; their SQL is migrations/sql/functions/migration.<name>@0013.sql:
# child_week_ids() (the legacy rows of one child-week, for a (user, child, Monday) known without
# a row), child_week_members() (the queued rows and the other rows of their child-weeks, now and
# at their last sync) and drain_sync_queue().
NEW_FUNCTIONS = ("child_week_ids", "child_week_members", "drain_sync_queue")

CREATE_SYNC_QUEUE = """\
CREATE TABLE migration.sync_queue (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    legacy_id BIGINT NOT NULL,
    operation TEXT NOT NULL,
    enqueued_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""

UNSCHEDULE_DRAIN = f"""\
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        PERFORM cron.unschedule(jobid) FROM cron.job WHERE jobname = '{DRAIN_JOB_NAME}';
    END IF;
END;
$$"""

WARN_UNDRAINED = """\
DO $$
DECLARE
    waiting BIGINT := (SELECT count(DISTINCT legacy_id) FROM migration.sync_queue);
BEGIN
    IF waiting > 0 THEN
        RAISE WARNING '% queued legacy rows were not drained: `make resync` syncs them', waiting;
    END IF;
END;
$$"""


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute(CREATE_SYNC_QUEUE)
    op.execute("COMMENT ON TABLE migration.sync_queue IS "
               "'Legacy writes waiting for migration.drain_sync_queue() (dual-write, Phase 1)'")
    for function in NEW_FUNCTIONS:
        execute(f"functions/migration.{function}", "0013")
    execute("functions/public.sync_old_to_new", "0013")
    execute("cron/drain-sync-queue", "0013")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute(UNSCHEDULE_DRAIN)
    execute("functions/public.sync_old_to_new", "0012")  # 0012's synchronous body and comment
    op.execute(WARN_UNDRAINED)
    op.execute("DROP FUNCTION migration.drain_sync_queue(INTEGER)")
    op.execute("DROP FUNCTION migration.child_week_members(BIGINT[])")
    op.execute("DROP FUNCTION migration.child_week_ids(UUID, TEXT, DATE)")
    op.execute("DROP TABLE migration.sync_queue")
