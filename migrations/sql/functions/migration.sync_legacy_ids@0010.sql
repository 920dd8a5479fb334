-- migration.sync_legacy_ids (function): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.sync_legacy_ids.sql.

-- statement
CREATE FUNCTION migration.sync_legacy_ids(legacy_ids BIGINT[], source TEXT)
RETURNS TABLE (legacy_rows INTEGER, quarantined INTEGER, weeks_written INTEGER, habits_written INTEGER,
               records_written INTEGER, rows_deleted INTEGER)
LANGUAGE plpgsql
AS $$
DECLARE
    n_legacy INTEGER;
    n_quarantined INTEGER;
    n_weeks INTEGER;
    n_habits INTEGER;
    n_records INTEGER;
    n_deleted INTEGER := 0;
    n INTEGER;
BEGIN
    -- Renames and swaps inside one week pass through states the deferrable uniques would
    -- reject mid-statement; they are checked at COMMIT instead.
    SET CONSTRAINTS uq_habits_week_name, uq_habit_records_habit_date, uq_weeks_child_start_date DEFERRED;

    -- Classify each legacy row once; weeks, habits and records all expand from this.
    DROP TABLE IF EXISTS pg_temp.sync_rows;
    CREATE TEMP TABLE sync_rows ON COMMIT DROP AS
    SELECT * FROM migration.classified_legacy_rows WHERE legacy_id = ANY(legacy_ids);
    DROP TABLE IF EXISTS pg_temp.sync_weeks;
    CREATE TEMP TABLE sync_weeks ON COMMIT DROP AS
    SELECT w.* FROM pg_temp.sync_rows AS c CROSS JOIN LATERAL migration.map_week(c.legacy, c.monday) AS w
    WHERE c.reason IS NULL;
    DROP TABLE IF EXISTS pg_temp.sync_habits;
    CREATE TEMP TABLE sync_habits ON COMMIT DROP AS
    SELECT m.* FROM pg_temp.sync_rows AS c CROSS JOIN LATERAL migration.map_habits(c.legacy_id, (c.legacy).habits) AS m
    WHERE c.reason IS NULL;
    DROP TABLE IF EXISTS pg_temp.sync_records;
    CREATE TEMP TABLE sync_records ON COMMIT DROP AS
    SELECT m.* FROM pg_temp.sync_rows AS c
    CROSS JOIN LATERAL migration.map_records(c.legacy_id, c.monday, (c.legacy).habits) AS m
    WHERE c.reason IS NULL;
    SELECT count(*) INTO n_legacy FROM pg_temp.sync_rows;

    -- Quarantine: record why each unmappable row is out, release the rows that map again.
    INSERT INTO migration.backfill_quarantine AS q (legacy_id, reason, detail)
    SELECT c.legacy_id, c.reason, c.detail FROM pg_temp.sync_rows AS c WHERE c.reason IS NOT NULL
    ON CONFLICT (legacy_id) DO UPDATE SET reason = excluded.reason, detail = excluded.detail,
        quarantined_at = now()
    WHERE (q.reason, q.detail) IS DISTINCT FROM (excluded.reason, excluded.detail);
    DELETE FROM migration.backfill_quarantine AS q
    WHERE q.legacy_id = ANY(legacy_ids)
        AND NOT EXISTS (SELECT 1 FROM pg_temp.sync_rows AS c WHERE c.legacy_id = q.legacy_id AND c.reason IS NOT NULL);
    SELECT count(*) INTO n_quarantined FROM pg_temp.sync_rows WHERE reason IS NOT NULL;

    -- Weeks whose legacy row is gone or no longer maps: delete (habits and records cascade).
    DELETE FROM public.weeks AS w
    WHERE w.id IN (SELECT migration.week_id(i) FROM unnest(legacy_ids) AS i)
        AND w.id NOT IN (SELECT id FROM pg_temp.sync_weeks);
    GET DIAGNOSTICS n = ROW_COUNT;
    n_deleted := n_deleted + n;

    -- A mapping-written week holding this child-week under another id is stale: the
    -- duplicate_week rule lets only one clean legacy row claim a child-week.
    DELETE FROM public.weeks AS w USING pg_temp.sync_weeks AS s
    WHERE w.child_id = s.child_id AND w.week_start_date = s.week_start_date AND w.id <> s.id
        AND w.source_version IN ('migration', 'dual_write');
    GET DIAGNOSTICS n = ROW_COUNT;
    n_deleted := n_deleted + n;

    INSERT INTO public.children AS c (id, user_id, name, source_version, created_at)
    SELECT DISTINCT ON (w.child_id) w.child_id, w.user_id, w.child_name, source, w.created_at
    FROM pg_temp.sync_weeks AS w
    ORDER BY w.child_id, w.created_at
    ON CONFLICT (id) DO NOTHING;

    INSERT INTO public.weeks AS t (id, user_id, child_id, week_start_date, week_end_date, theme, reflection,
                                   reward, source_version, created_at, updated_at)
    SELECT w.id, w.user_id, w.child_id, w.week_start_date, w.week_end_date, w.theme, w.reflection, w.reward,
           source, w.created_at, w.updated_at
    FROM pg_temp.sync_weeks AS w
    ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, child_id = excluded.child_id,
        week_start_date = excluded.week_start_date, week_end_date = excluded.week_end_date,
        theme = excluded.theme, reflection = excluded.reflection, reward = excluded.reward,
        source_version = excluded.source_version
    WHERE (t.user_id, t.child_id, t.week_start_date, t.week_end_date, t.theme, t.reflection, t.reward)
        IS DISTINCT FROM (excluded.user_id, excluded.child_id, excluded.week_start_date, excluded.week_end_date,
                          excluded.theme, excluded.reflection, excluded.reward);
    GET DIAGNOSTICS n_weeks = ROW_COUNT;

    DELETE FROM public.habits AS h
    WHERE h.week_id IN (SELECT id FROM pg_temp.sync_weeks)
        AND h.id NOT IN (SELECT id FROM pg_temp.sync_habits);
    GET DIAGNOSTICS n = ROW_COUNT;
    n_deleted := n_deleted + n;

    INSERT INTO public.habits AS t (id, week_id, name, display_order, source_version)
    SELECT h.id, h.week_id, h.name, h.display_order, source FROM pg_temp.sync_habits AS h
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, display_order = excluded.display_order,
        source_version = excluded.source_version
    WHERE (t.name, t.display_order) IS DISTINCT FROM (excluded.name, excluded.display_order);
    GET DIAGNOSTICS n_habits = ROW_COUNT;

    DELETE FROM public.habit_records AS r
    WHERE r.habit_id IN (SELECT id FROM pg_temp.sync_habits)
        AND r.id NOT IN (SELECT id FROM pg_temp.sync_records);
    GET DIAGNOSTICS n = ROW_COUNT;
    n_deleted := n_deleted + n;

    INSERT INTO public.habit_records AS t (id, habit_id, record_date, status, source_version)
    SELECT r.id, r.habit_id, r.record_date, r.status, source FROM pg_temp.sync_records AS r
    ON CONFLICT (id) DO UPDATE SET record_date = excluded.record_date, status = excluded.status,
        source_version = excluded.source_version
    WHERE (t.record_date, t.status) IS DISTINCT FROM (excluded.record_date, excluded.status);
    GET DIAGNOSTICS n_records = ROW_COUNT;

    -- A child the mapping created goes once no week refers to it.
    DELETE FROM public.children AS c
    WHERE c.source_version IN ('migration', 'dual_write')
        AND c.id IN (SELECT migration.child_id((s.legacy).user_id, (s.legacy).child_name) FROM pg_temp.sync_rows AS s
                     WHERE (s.legacy).user_id IS NOT NULL)
        AND NOT EXISTS (SELECT 1 FROM public.weeks AS w WHERE w.child_id = c.id);
    GET DIAGNOSTICS n = ROW_COUNT;
    n_deleted := n_deleted + n;

    RETURN QUERY SELECT n_legacy, n_quarantined, n_weeks, n_habits, n_records, n_deleted;
END;
$$;
