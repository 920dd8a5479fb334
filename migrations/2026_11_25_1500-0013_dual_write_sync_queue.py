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
    `make downgrade` puts back 0012's synchronous body (read from 0012 itself), unschedules
    the job and drops the drain function and the queue. Rows still queued at that moment
    are not lost: their legacy rows differ from migration.sync_state, so `make drift` shows
    them and `make resync` syncs them; the downgrade says how many with a WARNING.
"""
from alembic import context, op

revision = "0013_dual_write_sync_queue"
down_revision = "0012_dual_write_trigger_sync"
branch_labels = None
depends_on = None

SYNCHRONOUS_REVISION = "0012_dual_write_trigger_sync"
DRAIN_JOB_NAME = "drain-sync-queue"

CREATE_SYNC_QUEUE = """\
CREATE TABLE migration.sync_queue (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    legacy_id BIGINT NOT NULL,
    operation TEXT NOT NULL,
    enqueued_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""

# The legacy rows of one child-week: the predicate of 0010's duplicate_week rule and 0012's
# child_week_rows(), for a (user, child, Monday) known without a row (the sync state's, or a
# request's). Written to use idx_habit_tracker_child_name and the week start date.
CREATE_CHILD_WEEK_IDS = """\
CREATE FUNCTION migration.child_week_ids(user_id UUID, child_name TEXT, monday DATE)
RETURNS SETOF BIGINT
LANGUAGE sql STABLE
AS $$
    SELECT o.id
    FROM public.habit_tracker AS o
    WHERE o.user_id = child_week_ids.user_id AND o.child_name = child_week_ids.child_name
        AND (o.week_start_date IN (child_week_ids.monday, child_week_ids.monday - 1) OR o.week_start_date IS NULL)
        AND migration.week_start(o) = child_week_ids.monday
$$"""

# The queued rows and the other rows of their child-weeks, as they are now and as they were
# at their last sync (migration.sync_state of 0011).
CREATE_CHILD_WEEK_MEMBERS = """\
CREATE FUNCTION migration.child_week_members(legacy_ids BIGINT[])
RETURNS BIGINT[]
LANGUAGE sql STABLE
AS $$
    SELECT array_agg(DISTINCT m.id ORDER BY m.id) FROM (
        SELECT unnest(legacy_ids) AS id
        UNION
        SELECT migration.child_week_ids(h.user_id, h.child_name, migration.week_start(h))
        FROM public.habit_tracker AS h
        WHERE h.id = ANY(legacy_ids)
        UNION
        SELECT migration.child_week_ids(st.user_id, st.child_name, st.monday)
        FROM migration.sync_state AS st
        WHERE st.legacy_id = ANY(legacy_ids) AND st.monday IS NOT NULL
    ) AS m
$$"""

CREATE_DRAIN_SYNC_QUEUE = """\
CREATE FUNCTION migration.drain_sync_queue(batch_size INTEGER DEFAULT 1000)  -- squawk-ignore prefer-bigint-over-int
RETURNS TABLE (queued INTEGER, synced INTEGER, failed INTEGER)
LANGUAGE plpgsql
AS $$
DECLARE
    taken BIGINT[];
    operations TEXT[];
    affected BIGINT[];
    former_children UUID[];
    legacy BIGINT;
    failure TEXT;
    n_failed INTEGER := 0;
BEGIN
    -- One drain at a time: pg_cron, `make sync-worker` and `make sync-drain` may overlap.
    IF NOT pg_try_advisory_xact_lock(hashtextextended('migration.drain_sync_queue', 0)) THEN
        RETURN QUERY SELECT 0, 0, 0;
        RETURN;
    END IF;

    WITH batch AS (
        DELETE FROM migration.sync_queue AS q
        WHERE q.id IN (SELECT b.id FROM migration.sync_queue AS b ORDER BY b.id LIMIT batch_size)
        RETURNING q.id, q.legacy_id, q.operation
    )
    SELECT array_agg(b.legacy_id ORDER BY b.id), array_agg(b.operation ORDER BY b.id) INTO taken, operations
    FROM batch AS b;
    IF taken IS NULL THEN
        RETURN QUERY SELECT 0, 0, 0;
        RETURN;
    END IF;

    affected := migration.child_week_members(taken);
    -- The children these rows mapped to at their last sync: a row renamed, re-owned or
    -- deleted since may leave its former child without weeks.
    former_children := ARRAY(
        SELECT DISTINCT migration.child_id(s.user_id, s.child_name) FROM migration.sync_state AS s
        WHERE s.legacy_id = ANY(affected) AND s.user_id IS NOT NULL);

    BEGIN
        -- The per-child locks of sync_legacy_row(), in key order, until COMMIT.
        PERFORM pg_advisory_xact_lock(k.key)
        FROM (SELECT DISTINCT hashtextextended(child::TEXT, 0) AS key
              FROM unnest(former_children || ARRAY(
                  SELECT migration.child_id(h.user_id, h.child_name) FROM public.habit_tracker AS h
                  WHERE h.id = ANY(affected) AND h.user_id IS NOT NULL)) AS child
              ORDER BY 1) AS k;

        PERFORM migration.sync_legacy_ids(affected, 'dual_write');

        PERFORM 1 FROM public.children AS ch WHERE ch.id = ANY(former_children) FOR UPDATE;
        DELETE FROM public.children AS ch
        WHERE ch.id = ANY(former_children) AND ch.source_version IN ('migration', 'dual_write')
            AND NOT EXISTS (SELECT 1 FROM public.weeks AS w WHERE w.child_id = ch.id);

        -- Deferred checks fire here, inside the subtransaction, not at COMMIT.
        SET CONSTRAINTS ALL IMMEDIATE;
        DELETE FROM migration.sync_failures AS f WHERE f.legacy_id = ANY(affected);
    EXCEPTION WHEN OTHERS THEN
        -- Some row cannot be synced: one row at a time, so the others go in and each
        -- failure is recorded against its own row.
        FOREACH legacy IN ARRAY affected LOOP
            failure := migration.try_sync_legacy_row(legacy, coalesce(
                operations[(SELECT max(p) FROM unnest(array_positions(taken, legacy)) AS p)], 'DRAIN'));
            IF failure IS NOT NULL THEN
                n_failed := n_failed + 1;
                RAISE WARNING 'dual-write sync of habit_tracker id % failed (%); recorded in '
                    'migration.sync_failures, `make resync` repairs it', legacy, failure;
            END IF;
        END LOOP;
    END;
    RETURN QUERY SELECT cardinality(taken), cardinality(affected) - n_failed, n_failed;
END;
$$"""

CREATE_SYNC_FUNCTION_QUEUE_MODE = """\
CREATE OR REPLACE FUNCTION public.sync_old_to_new()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    IF current_setting('migration.skip_sync_trigger', TRUE) = 'on' OR NOT migration.sync_trigger_enabled() THEN
        RETURN NULL;
    END IF;
    INSERT INTO migration.sync_queue (legacy_id, operation)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, TG_OP);
    RETURN NULL;
END;
$$"""

SCHEDULE_DRAIN = f"""\
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        PERFORM cron.schedule('{DRAIN_JOB_NAME}', '* * * * *', 'SELECT * FROM migration.drain_sync_queue(5000)');
    ELSE
        RAISE WARNING 'pg_cron is not installed in this database: migration.drain_sync_queue() is NOT scheduled; '
            'run `make sync-worker` while the sync trigger is on';
    END IF;
END;
$$"""

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


def synchronous_function_body() -> str:
    """0012's synchronous function, read from 0012 itself (a released revision is never edited)."""
    return context.script.get_revision(SYNCHRONOUS_REVISION).module.CREATE_SYNC_FUNCTION_SYNC_MODE


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute(CREATE_SYNC_QUEUE)
    op.execute("COMMENT ON TABLE migration.sync_queue IS "
               "'Legacy writes waiting for migration.drain_sync_queue() (dual-write, Phase 1)'")
    op.execute(CREATE_CHILD_WEEK_IDS)
    op.execute(CREATE_CHILD_WEEK_MEMBERS)
    op.execute(CREATE_DRAIN_SYNC_QUEUE)
    op.execute(CREATE_SYNC_FUNCTION_QUEUE_MODE)
    op.execute("COMMENT ON FUNCTION public.sync_old_to_new() IS 'dual-write mode: queued sync (Phase 1)'")
    op.execute(SCHEDULE_DRAIN)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute(UNSCHEDULE_DRAIN)
    op.execute(synchronous_function_body())
    op.execute("COMMENT ON FUNCTION public.sync_old_to_new() IS 'dual-write mode: sync (Phase 1)'")
    op.execute(WARN_UNDRAINED)
    op.execute("DROP FUNCTION migration.drain_sync_queue(INTEGER)")
    op.execute("DROP FUNCTION migration.child_week_members(BIGINT[])")
    op.execute("DROP FUNCTION migration.child_week_ids(UUID, TEXT, DATE)")
    op.execute("DROP TABLE migration.sync_queue")
