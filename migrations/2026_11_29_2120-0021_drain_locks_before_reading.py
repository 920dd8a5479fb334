"""The drain and the backfill lock every child they touch before they read it: no child left behind

Revision: 0021_drain_locks_before_reading
Revises: 0020_legacy_truncate_guard
Created: 2026-11-29 21:20:00

What and why
    Issue #17, point 9. With the backfill, a drain worker and legacy renames running together,
    drift found children with no weeks (EXTRA_CHILD: 8, then 5) that neither `make resync`
    nor `make backfill` removes, and a backfill batch could stop on fk_weeks_child_id.
    tests/test_drain_backfill_race.py runs the three together: at 0020 it ended with 1 to 7
    such children in five runs of six, and a backfill batch stopped on the foreign key in
    three. Three causes, one family:

    1. migration.drain_sync_queue() (0013) read the children it would delete (the children
       the rows were last synced to, migration.sync_state) before it took the per-child
       locks, and never read them again. A sync that committed in between moved a week to a
       child the drain did not know, so that child was never locked nor deleted.
    2. migration.sync_legacy_ids() (0011; the backfill's path, and the drain's) takes no
       per-child lock at all, and deletes only the children the rows map to now. When the
       backfill syncs a renamed or re-owned row before the drain does, it moves the week and
       overwrites the row's sync state: the former child is left with no week, and nothing
       remembers it (neither resync nor backfill looks for it again). Reproduced in order,
       without any concurrency: sync a child's rows; rename the child in habit_tracker;
       `make backfill`; `make sync-drain`: the former child stays, with no week.
    3. Unlocked, the drain deleted a child (found without weeks) between the backfill's
       INSERT of that child (ON CONFLICT DO NOTHING: it existed) and the INSERT of its week:
       the backfill batch stopped on fk_weeks_child_id.

    From this revision on:
    - migration.legacy_children(ids) (new): every child those legacy rows touch: the child
      each maps to now (habit_tracker), the one it was last synced to (sync_state) and the
      one its week refers to (weeks).
    - migration.lock_legacy_children(ids, with_members, known) (new): takes the per-child
      advisory locks of 0012 (the same keys, hashtextextended(child, 0), in key order, until
      COMMIT) for those children, then reads the rows (with their child-weeks' other rows when
      with_members) and their children again under the locks. When a concurrent sync moved
      one to a child not yet locked, the locks taken are released (the attempt is a
      subtransaction, rolled back) and all are taken again, the new ones included, in key
      order: the lockers never wait for each other out of key order. It returns the rows and
      the children locked.
    - migration.sync_legacy_ids() takes those locks first, then writes the mapping as before
      (write_mapping() and record_sync_state() of 0011, unchanged). The mapping classifies
      the rows once more after the locks; if a rename committed in between gave a row a
      child not locked, the attempt is undone and made again with that child locked. Then it
      deletes every child among those locked that the mapping created and no week refers to
      any more: the former child of a renamed or re-owned row, whoever syncs it (locked FOR
      UPDATE first, then deleted in a statement of its own, as 0012 does). Its result counts
      those children in rows_deleted.
    - migration.drain_sync_queue() locks the taken rows, the other rows of their
      child-weeks and all their children (lock_legacy_children(taken, TRUE)) before it
      decides which rows to sync, then calls sync_legacy_ids() for them; the former children
      are sync_legacy_ids()' to delete now. Only one drain at a time, the batch, the
      subtransaction and the one-row-at-a-time path on failure are as in 0013.

    The rows written are the mapping's, as before; only who locks what, and the former
    children deleted, change. The backfill now waits for a drain holding a child of its batch
    (and the other way round) instead of interleaving with it; its batches keep lock_timeout
    2s. Measured on 6,000 seeded rows (5% dirty), `make backfill BATCH=1000` alone: 6.2 s, then
    4.2 s for the re-run, against 7.0 s and 3.7 s at 0020 (the same within this machine's
    noise). migration.sync_legacy_row() (0012, 0016, 0017; the endpoint's, resync's and the
    drain's one-row path) is not changed here. Both new functions have EXECUTE revoked from
    PUBLIC (0019's rule: migration.* are called by postgres only).

Locks taken, and for how long
    CREATE FUNCTION, CREATE OR REPLACE FUNCTION and REVOKE only: catalog rows, no table lock.
    A drain or backfill batch running at that moment finishes with the bodies it started
    with; the next call uses the new ones. Timeouts: lock_timeout '5s', statement_timeout
    '60s'. At run time a drain or backfill batch holds the advisory locks of its children
    until it commits, as the row sync of 0012 always did.

How to verify
    SELECT p.oid::REGPROCEDURE, has_function_privilege('public', p.oid, 'EXECUTE')
    FROM pg_proc AS p WHERE p.proname IN ('legacy_children', 'lock_legacy_children');
    -- two functions, f
    tests/test_drain_backfill_race.py: backfill, drain and renames together, then `make drift`
    clean and no child without a week. By hand: sync a child's rows, rename the child in
    habit_tracker, `make backfill`, `make sync-drain`: the former child is gone.

How to roll back
    `make downgrade` (to 0020) puts back 0011's sync_legacy_ids() and 0013's
    drain_sync_queue(), written out below as they were (neither had a SET clause), and drops
    the two new functions. Children left without a week by a later race stay until removed
    by hand (drift shows them as EXTRA_CHILD). No data is touched by the downgrade itself.
"""
from alembic import op

revision = "0021_drain_locks_before_reading"
down_revision = "0020_legacy_truncate_guard"
branch_labels = None
depends_on = None

CREATE_LEGACY_CHILDREN = """\
CREATE FUNCTION migration.legacy_children(legacy_ids BIGINT[])
RETURNS UUID[]
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(array_agg(DISTINCT c.child ORDER BY c.child), '{}') FROM (
        SELECT migration.child_id(h.user_id, h.child_name) AS child
        FROM public.habit_tracker AS h
        WHERE h.id = ANY(legacy_ids) AND h.user_id IS NOT NULL
        UNION ALL
        SELECT migration.child_id(s.user_id, s.child_name)
        FROM migration.sync_state AS s
        WHERE s.legacy_id = ANY(legacy_ids) AND s.user_id IS NOT NULL
        UNION ALL
        SELECT w.child_id
        FROM public.weeks AS w
        WHERE w.id = ANY(ARRAY(SELECT migration.week_id(i) FROM unnest(legacy_ids) AS i))
    ) AS c
$$"""

CREATE_LOCK_LEGACY_CHILDREN = """\
CREATE FUNCTION migration.lock_legacy_children(
    legacy_ids BIGINT[], with_members BOOLEAN, known UUID[] DEFAULT '{}', OUT ids BIGINT[], OUT children UUID[]
)
LANGUAGE plpgsql
AS $$
DECLARE
    wanted UUID[];
BEGIN
    ids := CASE WHEN with_members THEN migration.child_week_members(legacy_ids) ELSE legacy_ids END;
    wanted := ARRAY(SELECT DISTINCT c FROM unnest(migration.legacy_children(ids) || known) AS c WHERE c IS NOT NULL);
    LOOP
        BEGIN
            -- The per-child locks of 0012, in key order, until COMMIT.
            PERFORM pg_advisory_xact_lock(k.key)
            FROM (SELECT DISTINCT hashtextextended(c::TEXT, 0) AS key FROM unnest(wanted) AS c ORDER BY 1) AS k;
            -- Read again under them: a sync that committed meanwhile may have moved a row.
            ids := CASE WHEN with_members THEN migration.child_week_members(legacy_ids) ELSE legacy_ids END;
            children := migration.legacy_children(ids);
            IF children <@ wanted THEN
                children := wanted;
                RETURN;
            END IF;
            -- A child not locked: release the locks (this block's subtransaction) and take
            -- them all again in key order, never out of order.
            wanted := ARRAY(SELECT DISTINCT c FROM unnest(wanted || children) AS c);
            RAISE EXCEPTION USING ERRCODE = 'MGLCK', MESSAGE = 'a child to lock appeared: locking again';
        EXCEPTION WHEN SQLSTATE 'MGLCK' THEN
            NULL;
        END;
    END LOOP;
END;
$$"""

REPLACE_SYNC_LEGACY_IDS = """\
CREATE OR REPLACE FUNCTION migration.sync_legacy_ids(legacy_ids BIGINT[], source TEXT)
RETURNS TABLE (legacy_rows INTEGER, quarantined INTEGER, weeks_written INTEGER, habits_written INTEGER,
               records_written INTEGER, rows_deleted INTEGER)
LANGUAGE plpgsql
AS $$
DECLARE
    held UUID[] := '{}';
    unlocked UUID[];
    written RECORD;
    n_children INTEGER;
BEGIN
    LOOP
        BEGIN
            -- Every child the rows touch, locked before anything is read for the sync.
            held := (migration.lock_legacy_children(legacy_ids, FALSE, held)).children;
            SELECT m.* INTO written FROM migration.write_mapping(legacy_ids, source) AS m;
            -- write_mapping() classified the rows after the locks: a rename committed in between
            -- gives a row a child not locked. Undo, and again with that child locked.
            unlocked := ARRAY(
                SELECT migration.child_id((s.legacy).user_id, (s.legacy).child_name)
                FROM pg_temp.sync_rows AS s WHERE (s.legacy).user_id IS NOT NULL
                EXCEPT
                SELECT unnest(held));
            IF cardinality(unlocked) > 0 THEN
                held := held || unlocked;
                RAISE EXCEPTION USING ERRCODE = 'MGLCK', MESSAGE = 'a row moved to a child not locked: syncing again';
            END IF;
            EXIT;
        EXCEPTION WHEN SQLSTATE 'MGLCK' THEN
            NULL;
        END;
    END LOOP;
    PERFORM migration.record_sync_state(legacy_ids);

    -- A child the mapping created goes once no week refers to it: the children the rows map
    -- to now, and the ones they mapped to before (a renamed or re-owned row's former child).
    -- Locked first, so that a week added to it is seen (or waits for us).
    PERFORM 1 FROM public.children AS ch WHERE ch.id = ANY(held) FOR UPDATE;
    DELETE FROM public.children AS ch
    WHERE ch.id = ANY(held) AND ch.source_version IN ('migration', 'dual_write')
        AND NOT EXISTS (SELECT 1 FROM public.weeks AS w WHERE w.child_id = ch.id);
    GET DIAGNOSTICS n_children = ROW_COUNT;

    RETURN QUERY SELECT written.legacy_rows, written.quarantined, written.weeks_written, written.habits_written,
                        written.records_written, written.rows_deleted + n_children;
END;
$$"""

REPLACE_DRAIN_SYNC_QUEUE = """\
CREATE OR REPLACE FUNCTION migration.drain_sync_queue(batch_size INTEGER DEFAULT 1000)  -- squawk-ignore prefer-bigint-over-int
RETURNS TABLE (queued INTEGER, synced INTEGER, failed INTEGER)
LANGUAGE plpgsql
AS $$
DECLARE
    taken BIGINT[];
    operations TEXT[];
    affected BIGINT[];
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

    -- Read without the locks: only for the one-row-at-a-time path, if the locking fails.
    affected := migration.child_week_members(taken);
    BEGIN
        -- The per-child locks of every child the taken rows and the other rows of their
        -- child-weeks touch (now, at their last sync, in weeks), until COMMIT; which rows
        -- and children, read again under the locks.
        affected := (migration.lock_legacy_children(taken, TRUE)).ids;

        -- Syncs them, and deletes the children among them left without a week (a renamed or
        -- re-owned row's former child).
        PERFORM migration.sync_legacy_ids(affected, 'dual_write');

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

# The previous definitions, as 0011 and 0013 wrote them (restored exactly by the downgrade).
PREVIOUS_SYNC_LEGACY_IDS = """\
CREATE OR REPLACE FUNCTION migration.sync_legacy_ids(legacy_ids BIGINT[], source TEXT)
RETURNS TABLE (legacy_rows INTEGER, quarantined INTEGER, weeks_written INTEGER, habits_written INTEGER,
               records_written INTEGER, rows_deleted INTEGER)
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN QUERY SELECT * FROM migration.write_mapping(legacy_ids, source);
    PERFORM migration.record_sync_state(legacy_ids);
END;
$$"""

PREVIOUS_DRAIN_SYNC_QUEUE = """\
CREATE OR REPLACE FUNCTION migration.drain_sync_queue(batch_size INTEGER DEFAULT 1000)  -- squawk-ignore prefer-bigint-over-int
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

NEW_FUNCTIONS = (
    ("migration.legacy_children(BIGINT[])", CREATE_LEGACY_CHILDREN),
    ("migration.lock_legacy_children(BIGINT[], BOOLEAN, UUID[])", CREATE_LOCK_LEGACY_CHILDREN),
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for signature, create in NEW_FUNCTIONS:
        op.execute(create)
        op.execute(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")
    op.execute(REPLACE_SYNC_LEGACY_IDS)
    op.execute(REPLACE_DRAIN_SYNC_QUEUE)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute(PREVIOUS_DRAIN_SYNC_QUEUE)
    op.execute(PREVIOUS_SYNC_LEGACY_IDS)
    for signature, _ in reversed(NEW_FUNCTIONS):
        op.execute(f"DROP FUNCTION {signature}")
