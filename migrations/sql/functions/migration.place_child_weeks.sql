-- migration.place_child_weeks: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0023, 0026).
-- No revision runs this file: each runs its own frozen migration.place_child_weeks@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.place_child_weeks(keys migration.child_week[], source TEXT)  -- noqa: CP05
RETURNS TABLE (weeks_written INTEGER, habits_written INTEGER, records_written INTEGER, rows_deleted INTEGER,
               conflicts_recorded INTEGER)
LANGUAGE plpgsql
AS $$
DECLARE
    placed migration.placement_line[];
    week_lines migration.placement_line[];
    habit_lines migration.placement_line[];
    record_lines migration.placement_line[];
    conflict_lines migration.placement_line[];
    week_ids UUID[];
    habit_ids UUID[];
    n INTEGER;
    n_weeks INTEGER;
    n_habits INTEGER;
    n_records INTEGER;
    n_deleted INTEGER := 0;
    n_conflicts INTEGER;
BEGIN
    -- Renames and swaps inside one week pass through states the deferrable uniques would
    -- reject mid-statement; they are checked at COMMIT instead.
    SET CONSTRAINTS uq_habits_week_name, uq_habit_records_habit_date, uq_weeks_child_start_date DEFERRED;

    -- The child-weeks placed whole, from every row with a day in them; computed once.
    placed := ARRAY(
        SELECT p FROM migration.placement(migration.week_members(keys)) AS p
        WHERE (p.user_id, p.child_name, p.monday) IN (SELECT k.user_id, k.child_name, k.monday FROM unnest(keys) AS k));
    week_lines := ARRAY(SELECT p FROM unnest(placed) AS p WHERE p.kind = 'week');
    habit_lines := ARRAY(SELECT p FROM unnest(placed) AS p WHERE p.kind = 'habit');
    record_lines := ARRAY(SELECT p FROM unnest(placed) AS p WHERE p.kind = 'record');
    conflict_lines := ARRAY(SELECT p FROM unnest(placed) AS p WHERE p.kind = 'conflict');
    week_ids := ARRAY(SELECT p.week_id FROM unnest(week_lines) AS p);
    habit_ids := ARRAY(SELECT p.habit_id FROM unnest(habit_lines) AS p);
    -- Set differences below are NOT IN (SELECT ...), hashed once, never `<> ALL(array)`
    -- (compared element by element for every row: quadratic in a backfill batch).

    -- A week the mapping wrote on one of these child-weeks under another id, or on one no row
    -- places anything in any more: gone (its habits and records cascade).
    DELETE FROM public.weeks AS w
    USING unnest(keys) AS k
    WHERE w.child_id = migration.child_id(k.user_id, k.child_name) AND w.week_start_date = k.monday
        AND w.source_version IN ('migration', 'dual_write') AND w.id NOT IN (SELECT unnest(week_ids));
    GET DIAGNOSTICS n = ROW_COUNT;
    n_deleted := n_deleted + n;

    INSERT INTO public.children AS c (id, user_id, name, source_version, created_at)
    SELECT DISTINCT ON (p.child_id) p.child_id, p.user_id, p.child_name, source, p.created_at
    FROM unnest(week_lines) AS p
    ORDER BY p.child_id, p.created_at
    ON CONFLICT (id) DO NOTHING;

    -- Each upsert leaves out the rows already equal to the mapping (ON CONFLICT DO UPDATE would
    -- lock them even when its WHERE is false): one primary-key probe per placed row.
    INSERT INTO public.weeks AS t (id, user_id, child_id, week_start_date, week_end_date, theme, reflection, reward,
                                   source_version, created_at, updated_at)
    SELECT p.week_id, p.user_id, p.child_id, p.monday, p.monday + 6, p.theme, p.reflection, p.reward, source,
           p.created_at, p.updated_at
    FROM unnest(week_lines) AS p
    WHERE (SELECT ROW(x.user_id, x.child_id, x.week_start_date, x.week_end_date, x.theme, x.reflection, x.reward)
             FROM public.weeks AS x WHERE x.id = p.week_id)
            IS DISTINCT FROM ROW(p.user_id, p.child_id, p.monday, p.monday + 6, p.theme, p.reflection, p.reward)
    ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, child_id = excluded.child_id,
        week_start_date = excluded.week_start_date, week_end_date = excluded.week_end_date, theme = excluded.theme,
        reflection = excluded.reflection, reward = excluded.reward, source_version = excluded.source_version
    WHERE (t.user_id, t.child_id, t.week_start_date, t.week_end_date, t.theme, t.reflection, t.reward)
        IS DISTINCT FROM (excluded.user_id, excluded.child_id, excluded.week_start_date, excluded.week_end_date,
                          excluded.theme, excluded.reflection, excluded.reward);
    GET DIAGNOSTICS n_weeks = ROW_COUNT;

    DELETE FROM public.habits AS h
    WHERE h.week_id IN (SELECT unnest(week_ids)) AND h.id NOT IN (SELECT unnest(habit_ids));
    GET DIAGNOSTICS n = ROW_COUNT;
    n_deleted := n_deleted + n;

    INSERT INTO public.habits AS t (id, week_id, name, display_order, source_version)
    SELECT p.habit_id, p.week_id, p.name, p.display_order, source
    FROM unnest(habit_lines) AS p
    WHERE (SELECT ROW(x.week_id, x.name, x.display_order) FROM public.habits AS x WHERE x.id = p.habit_id)
            IS DISTINCT FROM ROW(p.week_id, p.name, p.display_order)
    ON CONFLICT (id) DO UPDATE SET week_id = excluded.week_id, name = excluded.name,
        display_order = excluded.display_order, source_version = excluded.source_version
    WHERE (t.week_id, t.name, t.display_order) IS DISTINCT FROM (excluded.week_id, excluded.name, excluded.display_order);
    GET DIAGNOSTICS n_habits = ROW_COUNT;

    DELETE FROM public.habit_records AS r
    WHERE r.habit_id IN (SELECT unnest(habit_ids))
        AND r.id NOT IN (SELECT p.record_id FROM unnest(record_lines) AS p);
    GET DIAGNOSTICS n = ROW_COUNT;
    n_deleted := n_deleted + n;

    INSERT INTO public.habit_records AS t (id, habit_id, record_date, status, source_version)
    SELECT p.record_id, p.habit_id, p.record_date, p.status, source
    FROM unnest(record_lines) AS p
    WHERE (SELECT ROW(x.habit_id, x.record_date, x.status) FROM public.habit_records AS x WHERE x.id = p.record_id)
            IS DISTINCT FROM ROW(p.habit_id, p.record_date, p.status)
    ON CONFLICT (id) DO UPDATE SET habit_id = excluded.habit_id, record_date = excluded.record_date,
        status = excluded.status, source_version = excluded.source_version
    WHERE (t.habit_id, t.record_date, t.status) IS DISTINCT FROM (excluded.habit_id, excluded.record_date,
                                                                  excluded.status);
    GET DIAGNOSTICS n_records = ROW_COUNT;

    -- The conflicts of these child-weeks, as the mapping finds them now: one line per value lost
    -- (two positions of one row losing the same value on a day are one line).
    DELETE FROM migration.placement_conflicts AS c
    USING unnest(keys) AS k
    WHERE c.user_id = k.user_id AND c.child_name = k.child_name AND c.monday = k.monday
        AND NOT EXISTS (
            SELECT 1 FROM unnest(conflict_lines) AS p
            WHERE p.user_id = c.user_id AND p.child_name = c.child_name
                AND p.monday = c.monday AND p.legacy_id = c.legacy_id AND p.field = c.field
                AND p.name IS NOT DISTINCT FROM c.habit_name AND p.record_date IS NOT DISTINCT FROM c.record_date
                AND p.lost_value = c.lost_value
                AND (p.week_id, p.kept_value, p.kept_legacy_id) = (c.week_id, c.kept_value, c.kept_legacy_id));
    INSERT INTO migration.placement_conflicts AS c (user_id, child_name, monday, week_id, legacy_id, field,
                                                    habit_name, record_date, lost_value, kept_value, kept_legacy_id)
    SELECT p.user_id, p.child_name, p.monday, p.week_id, p.legacy_id, p.field, p.name, p.record_date, p.lost_value,
           p.kept_value, p.kept_legacy_id
    FROM unnest(conflict_lines) AS p
    ON CONFLICT ON CONSTRAINT uq_placement_conflicts_item DO NOTHING;
    n_conflicts := cardinality(conflict_lines);

    -- What was placed, per child-week: the state `make drift` trusts until a row changes.
    DELETE FROM migration.placed_weeks AS s
    USING unnest(keys) AS k
    WHERE s.user_id = k.user_id AND s.child_name = k.child_name AND s.monday = k.monday
        AND s.week_id NOT IN (SELECT unnest(week_ids));
    -- conflicts: the md5 of the child-week's conflict lines (NULL when none), so that `make drift`
    -- also sees a recorded conflict deleted or altered since (0026).
    INSERT INTO migration.placed_weeks AS t (user_id, child_name, monday, week_id, legacy_ids, fingerprint, conflicts)
    SELECT w.user_id, w.child_name, w.monday, w.week_id, w.legacy_ids,
           migration.week_fingerprint(w.child_id, w.user_id, w.monday, w.monday + 6, w.theme, w.reflection, w.reward,
                                      hs.lines, rs.lines),
           md5(cs.lines)::UUID
    FROM unnest(week_lines) AS w
    LEFT JOIN (SELECT h.week_id,
                      string_agg(migration.habit_line(h.habit_id, h.name, h.display_order), ';' ORDER BY h.habit_id) AS lines
               FROM unnest(habit_lines) AS h GROUP BY h.week_id) AS hs ON hs.week_id = w.week_id
    LEFT JOIN (SELECT r.week_id,
                      string_agg(migration.record_line(r.record_id, r.habit_id, r.record_date, r.status), ';'
                                 ORDER BY r.record_id) AS lines
               FROM unnest(record_lines) AS r GROUP BY r.week_id) AS rs ON rs.week_id = w.week_id
    LEFT JOIN (SELECT c.user_id, c.child_name, c.monday,
                      string_agg(DISTINCT migration.conflict_line(c.legacy_id, c.field, c.name, c.record_date,
                                                                  c.lost_value, c.kept_value, c.kept_legacy_id), ';'
                                 ORDER BY migration.conflict_line(c.legacy_id, c.field, c.name, c.record_date,
                                                                  c.lost_value, c.kept_value, c.kept_legacy_id)) AS lines
               FROM unnest(conflict_lines) AS c GROUP BY c.user_id, c.child_name, c.monday) AS cs
        ON (cs.user_id, cs.child_name, cs.monday) = (w.user_id, w.child_name, w.monday)
    ON CONFLICT (user_id, child_name, monday) DO UPDATE SET week_id = excluded.week_id,
        legacy_ids = excluded.legacy_ids, fingerprint = excluded.fingerprint, conflicts = excluded.conflicts,
        placed_at = now()
    WHERE (t.week_id, t.legacy_ids, t.fingerprint, t.conflicts)
        IS DISTINCT FROM (excluded.week_id, excluded.legacy_ids, excluded.fingerprint, excluded.conflicts);

    RETURN QUERY SELECT n_weeks, n_habits, n_records, n_deleted, n_conflicts;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.place_child_weeks(migration.child_week[], TEXT)  -- noqa: CP05
FROM PUBLIC;
