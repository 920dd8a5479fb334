"""Dual-write trigger, Phase 1 form: keep the new tables in step with every legacy write

Revision: 0012_dual_write_trigger_sync
Revises: 0011_sync_state
Created: 2026-11-25 14:00:00

What and why
    Phase 1 (T0.20): the application's dual-write endpoint writes both schemas; this trigger
    is its backup, so that a legacy write made any other way (an old client, a manual fix)
    still reaches the new tables. `sync_old_to_new()` (revision 0009, log-only) is replaced
    by the sync below; the trigger itself is unchanged.

    For each legacy row written (INSERT, UPDATE or DELETE), under a transaction-level
    advisory lock per child (syncs of one child's rows run one at a time, so the
    duplicate_week rule never reads a sibling row mid-change),
    migration.sync_legacy_row(id, 'dual_write', previous child) makes the new tables equal to
    what the mapping of 0010 gives for the row as it now is: the child (if new), the week,
    its habits and records are inserted or updated where they differ and deleted where they
    no longer map (a renamed child or a changed week start moves the week; the previous
    child goes once no week refers to it); a row the mapping cannot take is quarantined, and
    released when an UPDATE makes it clean; the sync state of 0011 is recorded. The rows of
    the same child-week (before and after the write) are re-synced too, because the
    duplicate_week rule looks across them. Rows it writes carry source_version 'dual_write'.
    It uses the mapping functions only (row_problem via classified_legacy_rows, map_week,
    map_habits, map_records): no rule is restated. It is a row-at-a-time twin of
    sync_legacy_ids() without temporary tables, because a trigger must cost little; the
    property test and `make drift` hold both to the same result.

    Skip switch (the application endpoint). A transaction that has already written both
    schemas itself runs
        SET LOCAL migration.skip_sync_trigger = 'on';
    and the trigger does nothing for its writes. SET LOCAL ends with the transaction.

    Global switch (the plan's rollback scenario 3, without a migration or a table lock):
        UPDATE migration.settings SET value = 'false' WHERE name = 'sync_trigger';
    (`make sync-trigger MODE=off`; `MODE=on` turns it back). While off, legacy writes are not
    synced; `make drift` shows them and `make resync` brings them in. `ALTER TABLE
    habit_tracker DISABLE TRIGGER trigger_habit_tracker_dual_write` (the plan's form) works
    too but takes a SHARE ROW EXCLUSIVE lock. `make verify` reports the mode.

    A legacy write is never lost because of the new schema. The sync runs in a
    subtransaction (BEGIN ... EXCEPTION, in migration.try_sync_legacy_row(), which `make
    resync` calls too) and ends with SET CONSTRAINTS ALL IMMEDIATE, so
    that deferred unique checks fire inside it rather than at COMMIT. If anything fails (a
    constraint of the new tables, a deadlock with another sync, a bug), the subtransaction's
    writes are rolled back, the failure is upserted into migration.sync_failures (legacy id,
    operation, SQLSTATE, message, attempts) with a WARNING, and the legacy write commits.
    `make drift` reports each recorded failure (HIGH, SYNC_FAILED) besides the drift it
    causes; `make resync` re-syncs them and every other row changed since its last sync, and
    a successful sync of a row clears its failure record.

    SECURITY DEFINER (owner: the migration role) with a fixed search_path: the app's roles
    write habit_tracker but have no rights on the migration schema.

Locks taken, and for how long
    CREATE OR REPLACE FUNCTION sync_old_to_new(): no table lock; the next trigger firing uses
    the new body. New objects in the migration schema; ALTER TABLE migration.settings (two
    rows) takes ACCESS EXCLUSIVE on that table for milliseconds. No lock on habit_tracker.
    Timeouts: lock_timeout '5s', statement_timeout '60s'.

How to verify
    `make verify`: "dual-write trigger: ... enabled; mode sync (Phase 1), syncing on".
    INSERT a legacy row: its week appears in weeks with source_version 'dual_write';
    `make drift` stays clean.

How to roll back
    `make downgrade` puts back 0009's log-only body (read from 0009 itself) and drops the
    objects below, the switch setting and the failure records with them. Rows the trigger
    wrote stay (they are the mapping's rows; `make drift` still checks them).
"""
from alembic import context, op

revision = "0012_dual_write_trigger_sync"
down_revision = "0011_sync_state"
branch_labels = None
depends_on = None

PHASE0_REVISION = "0009_dual_write_trigger_phase0"

CREATE_SYNC_FAILURES = """\
CREATE TABLE migration.sync_failures (
    legacy_id BIGINT PRIMARY KEY,
    operation TEXT NOT NULL,
    sqlstate TEXT NOT NULL,
    message TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,  -- squawk-ignore prefer-bigint-over-int
    first_failed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_failed_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""

CREATE_SYNC_TRIGGER_ENABLED = """\
CREATE FUNCTION migration.sync_trigger_enabled()
RETURNS BOOLEAN
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT value = 'true' FROM migration.settings WHERE name = 'sync_trigger'), TRUE)
$$"""

# The other legacy rows of a child-week: their outcome (duplicate_week) depends on this one.
CREATE_CHILD_WEEK_ROWS = """\
CREATE FUNCTION migration.child_week_rows(h public.habit_tracker)  -- noqa: CP05
RETURNS SETOF BIGINT
LANGUAGE sql STABLE
AS $$
    SELECT o.id
    FROM public.habit_tracker AS o
    WHERE o.user_id = h.user_id AND o.child_name = h.child_name AND o.id <> h.id
        AND (o.week_start_date IN (migration.week_start(h), migration.week_start(h) - 1) OR o.week_start_date IS NULL)
        AND migration.week_start(o) = migration.week_start(h)
$$"""

CREATE_SYNC_LEGACY_ROW = """\
CREATE FUNCTION migration.sync_legacy_row(target_id BIGINT, source TEXT, previous_child UUID DEFAULT NULL)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    c RECORD;
    target_week UUID := migration.week_id(target_id);
    target_child UUID;
    recorded_child UUID;
    current_child UUID;
BEGIN
    -- As in sync_legacy_ids(): renames and swaps inside a week are checked at the end.
    SET CONSTRAINTS uq_habits_week_name, uq_habit_records_habit_date, uq_weeks_child_start_date DEFERRED;

    -- One sync per child at a time, until COMMIT: the duplicate_week rule reads the child's
    -- other legacy rows, which must not change under it. Locks are taken in key order (no
    -- deadlock between syncs); the classification below starts after them, so it sees every
    -- write committed by a sync it waited for.
    SELECT migration.child_id(s.user_id, s.child_name) INTO recorded_child
    FROM migration.sync_state AS s WHERE s.legacy_id = target_id;
    SELECT migration.child_id(h.user_id, h.child_name) INTO current_child
    FROM public.habit_tracker AS h WHERE h.id = target_id;
    PERFORM pg_advisory_xact_lock(k.key)
    FROM (SELECT DISTINCT hashtextextended(child::TEXT, 0) AS key
          FROM unnest(ARRAY[recorded_child, previous_child, current_child]) AS child
          WHERE child IS NOT NULL ORDER BY 1) AS k;

    SELECT v.legacy, v.monday, v.reason, v.detail INTO c
    FROM migration.classified_legacy_rows AS v WHERE v.legacy_id = target_id;

    IF c.legacy IS NULL OR c.reason IS NOT NULL THEN
        -- Gone, or not mappable: no week; quarantined with its reason while it exists.
        IF c.legacy IS NULL THEN
            DELETE FROM migration.backfill_quarantine AS q WHERE q.legacy_id = target_id;
        ELSE
            INSERT INTO migration.backfill_quarantine AS q (legacy_id, reason, detail)
            VALUES (target_id, c.reason, c.detail)
            ON CONFLICT (legacy_id) DO UPDATE SET reason = excluded.reason, detail = excluded.detail,
                quarantined_at = now()
            WHERE (q.reason, q.detail) IS DISTINCT FROM (excluded.reason, excluded.detail);
        END IF;
        DELETE FROM public.weeks AS w WHERE w.id = target_week;
    ELSE
        DELETE FROM migration.backfill_quarantine AS q WHERE q.legacy_id = target_id;
        target_child := migration.child_id((c.legacy).user_id, (c.legacy).child_name);

        -- Another mapping-written week holding this child-week is stale (duplicate_week).
        DELETE FROM public.weeks AS w
        WHERE w.child_id = target_child AND w.week_start_date = c.monday AND w.id <> target_week
            AND w.source_version IN ('migration', 'dual_write');

        INSERT INTO public.children AS t (id, user_id, name, source_version, created_at)
        SELECT w.child_id, w.user_id, w.child_name, source, w.created_at
        FROM migration.map_week(c.legacy, c.monday) AS w
        ON CONFLICT (id) DO NOTHING;

        INSERT INTO public.weeks AS t (id, user_id, child_id, week_start_date, week_end_date, theme, reflection,
                                       reward, source_version, created_at, updated_at)
        SELECT w.id, w.user_id, w.child_id, w.week_start_date, w.week_end_date, w.theme, w.reflection, w.reward,
               source, w.created_at, w.updated_at
        FROM migration.map_week(c.legacy, c.monday) AS w
        ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, child_id = excluded.child_id,
            week_start_date = excluded.week_start_date, week_end_date = excluded.week_end_date,
            theme = excluded.theme, reflection = excluded.reflection, reward = excluded.reward,
            source_version = excluded.source_version
        WHERE (t.user_id, t.child_id, t.week_start_date, t.week_end_date, t.theme, t.reflection, t.reward)
            IS DISTINCT FROM (excluded.user_id, excluded.child_id, excluded.week_start_date,
                              excluded.week_end_date, excluded.theme, excluded.reflection, excluded.reward);

        DELETE FROM public.habits AS h
        WHERE h.week_id = target_week
            AND NOT EXISTS (SELECT 1 FROM migration.map_habits(target_id, (c.legacy).habits) AS m WHERE m.id = h.id);

        INSERT INTO public.habits AS t (id, week_id, name, display_order, source_version)
        SELECT m.id, m.week_id, m.name, m.display_order, source
        FROM migration.map_habits(target_id, (c.legacy).habits) AS m
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, display_order = excluded.display_order,
            source_version = excluded.source_version
        WHERE (t.name, t.display_order) IS DISTINCT FROM (excluded.name, excluded.display_order);

        -- ANY(ARRAY(...)): the week's few habits drive an index scan of habit_records (a join
        -- here was planned as a sequential scan of the whole table).
        DELETE FROM public.habit_records AS r
        WHERE r.habit_id = ANY(ARRAY(SELECT h.id FROM public.habits AS h WHERE h.week_id = target_week))
            AND NOT EXISTS (SELECT 1 FROM migration.map_records(target_id, c.monday, (c.legacy).habits) AS m
                            WHERE m.id = r.id);

        INSERT INTO public.habit_records AS t (id, habit_id, record_date, status, source_version)
        SELECT m.id, m.habit_id, m.record_date, m.status, source
        FROM migration.map_records(target_id, c.monday, (c.legacy).habits) AS m
        ON CONFLICT (id) DO UPDATE SET record_date = excluded.record_date, status = excluded.status,
            source_version = excluded.source_version
        WHERE (t.record_date, t.status) IS DISTINCT FROM (excluded.record_date, excluded.status);
    END IF;

    -- The child the row mapped to before goes once no week refers to it. Its row is locked
    -- first, so that a concurrent sync adding a week to it is seen (or waits for us).
    IF recorded_child IS DISTINCT FROM target_child OR previous_child IS DISTINCT FROM target_child THEN
        PERFORM 1 FROM public.children AS ch
        WHERE ch.id IN (recorded_child, previous_child) AND ch.id IS DISTINCT FROM target_child
        FOR UPDATE;
        DELETE FROM public.children AS ch
        WHERE ch.id IN (recorded_child, previous_child) AND ch.id IS DISTINCT FROM target_child
            AND ch.source_version IN ('migration', 'dual_write')
            AND NOT EXISTS (SELECT 1 FROM public.weeks AS w WHERE w.child_id = ch.id);
    END IF;

    -- The sync state of 0011, from the mapping's output.
    IF c.legacy IS NULL THEN
        DELETE FROM migration.sync_state AS s WHERE s.legacy_id = target_id;
    ELSE
        INSERT INTO migration.sync_state AS t (legacy_id, row_hash, user_id, child_name, monday, week_id, fingerprint)
        SELECT target_id, migration.row_hash(c.legacy), (c.legacy).user_id, (c.legacy).child_name, c.monday,
               CASE WHEN c.reason IS NULL THEN w.id END,
               CASE WHEN c.reason IS NULL THEN
                   migration.week_fingerprint(
                       w.child_id, w.user_id, w.week_start_date, w.week_end_date, w.theme, w.reflection, w.reward,
                       (SELECT string_agg(migration.habit_line(m.id, m.name, m.display_order), ';' ORDER BY m.id)
                        FROM migration.map_habits(target_id, (c.legacy).habits) AS m),
                       (SELECT string_agg(migration.record_line(m.id, m.habit_id, m.record_date, m.status), ';'
                                          ORDER BY m.id)
                        FROM migration.map_records(target_id, c.monday, (c.legacy).habits) AS m))
               END
        FROM migration.map_week(c.legacy, c.monday) AS w
        ON CONFLICT (legacy_id) DO UPDATE SET row_hash = excluded.row_hash, user_id = excluded.user_id,
            child_name = excluded.child_name, monday = excluded.monday, week_id = excluded.week_id,
            fingerprint = excluded.fingerprint, synced_at = now()
        WHERE (t.row_hash, t.week_id, t.fingerprint) IS DISTINCT FROM (excluded.row_hash, excluded.week_id,
                                                                        excluded.fingerprint);
    END IF;
END;
$$"""

# Sync a legacy row (and the rows of its child-weeks) in a subtransaction; on any error undo
# it, record the failure and return its message instead of raising. The trigger and
# `make resync` both go through here, so a failure is recorded and cleared one way only.
CREATE_TRY_SYNC_LEGACY_ROW = """\
CREATE FUNCTION migration.try_sync_legacy_row(
    target_id BIGINT, operation TEXT, previous_child UUID DEFAULT NULL, siblings BIGINT[] DEFAULT '{}'
)
RETURNS TEXT
LANGUAGE plpgsql
AS $$
DECLARE
    sibling BIGINT;
    error_state TEXT;
    error_message TEXT;
BEGIN
    BEGIN
        PERFORM migration.sync_legacy_row(target_id, 'dual_write', previous_child);
        FOREACH sibling IN ARRAY siblings LOOP
            PERFORM migration.sync_legacy_row(sibling, 'dual_write');
        END LOOP;
        -- Deferred checks fire here, inside the subtransaction, not at the caller's COMMIT.
        SET CONSTRAINTS ALL IMMEDIATE;
        DELETE FROM migration.sync_failures AS f WHERE f.legacy_id = target_id;
        RETURN NULL;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS error_state = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT;
        INSERT INTO migration.sync_failures AS f (legacy_id, operation, sqlstate, message)
        VALUES (target_id, operation, error_state, error_message)
        ON CONFLICT (legacy_id) DO UPDATE SET operation = excluded.operation, sqlstate = excluded.sqlstate,
            message = excluded.message, attempts = f.attempts + 1, last_failed_at = now();
        RETURN format('%s: %s', error_state, error_message);
    END;
END;
$$"""

CREATE_SYNC_FUNCTION_SYNC_MODE = """\
CREATE OR REPLACE FUNCTION public.sync_old_to_new()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    target_id BIGINT := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
    previous_child UUID;
    failure TEXT;
BEGIN
    IF current_setting('migration.skip_sync_trigger', TRUE) = 'on' OR NOT migration.sync_trigger_enabled() THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.user_id IS NOT NULL THEN
        previous_child := migration.child_id(OLD.user_id, OLD.child_name);
    END IF;
    failure := migration.try_sync_legacy_row(target_id, TG_OP, previous_child, ARRAY(
        SELECT s FROM migration.child_week_rows(OLD) AS s WHERE TG_OP <> 'INSERT'
        UNION
        SELECT s FROM migration.child_week_rows(NEW) AS s WHERE TG_OP <> 'DELETE'));
    IF failure IS NOT NULL THEN
        RAISE WARNING 'dual-write sync of habit_tracker id % failed (%); recorded in migration.sync_failures, '
            '`make resync` repairs it', target_id, failure;
    END IF;
    RETURN NULL;
END;
$$"""


def phase0_function_body() -> str:
    """0009's log-only function, read from 0009 itself (a released revision is never edited)."""
    phase0 = context.script.get_revision(PHASE0_REVISION).module
    return phase0.CREATE_SYNC_FUNCTION_LOG_ONLY.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def widen_known_settings(names: str) -> None:
    """Replace ck_settings_known on migration.settings (two rows, read only by this repository's
    tools): the ACCESS EXCLUSIVE lock lasts milliseconds, so validating in the same
    transaction blocks nobody; squawk's rules for large tables are set aside with that reason."""
    op.execute("-- squawk-ignore ban-drop-constraint\n"
               "ALTER TABLE migration.settings DROP CONSTRAINT ck_settings_known")
    op.execute("-- squawk-ignore constraint-missing-not-valid\n"
               f"ALTER TABLE migration.settings ADD CONSTRAINT ck_settings_known CHECK (name IN {names}) NOT VALID")
    op.execute("-- squawk-ignore constraint-missing-not-valid\n"
               "ALTER TABLE migration.settings VALIDATE CONSTRAINT ck_settings_known")


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    widen_known_settings("('repair_sunday_starts', 'sync_trigger')")
    op.execute("INSERT INTO migration.settings (name, value) VALUES ('sync_trigger', 'true')")
    op.execute(CREATE_SYNC_FAILURES)
    op.execute(CREATE_SYNC_TRIGGER_ENABLED)
    op.execute(CREATE_CHILD_WEEK_ROWS)
    op.execute(CREATE_SYNC_LEGACY_ROW)
    op.execute(CREATE_TRY_SYNC_LEGACY_ROW)
    op.execute(CREATE_SYNC_FUNCTION_SYNC_MODE)
    op.execute("COMMENT ON FUNCTION public.sync_old_to_new() IS 'dual-write mode: sync (Phase 1)'")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    # CREATE OR REPLACE replaces every property: SECURITY DEFINER and the SET go with the body.
    op.execute(phase0_function_body())
    op.execute("COMMENT ON FUNCTION public.sync_old_to_new() IS 'dual-write mode: log-only (Phase 0)'")
    op.execute("DROP FUNCTION migration.try_sync_legacy_row(BIGINT, TEXT, UUID, BIGINT[])")
    op.execute("DROP FUNCTION migration.sync_legacy_row(BIGINT, TEXT, UUID)")
    op.execute("DROP FUNCTION migration.child_week_rows(public.habit_tracker)")
    op.execute("DROP FUNCTION migration.sync_trigger_enabled()")
    op.execute("DROP TABLE migration.sync_failures")
    op.execute("DELETE FROM migration.settings WHERE name = 'sync_trigger'")
    widen_known_settings("('repair_sunday_starts')")
