-- migration.sync_legacy_row (function): the statements revision 0012_dual_write_trigger_sync ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.sync_legacy_row.sql.

-- statement
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
$$;
