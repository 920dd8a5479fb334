-- migration.dual_write_update_habit_record: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0018, 0023).
-- No revision runs this file: each runs its own frozen migration.dual_write_update_habit_record@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.dual_write_update_habit_record(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    target_id BIGINT := migration.dual_write_find_week(acting_user, request);
    day_index INTEGER := (request ->> 'day_index')::INTEGER;
    habit_pos INTEGER;
    body JSONB;
BEGIN
    UPDATE public.habit_tracker AS h
    SET habits = jsonb_set(h.habits, ARRAY[p.pos::TEXT, 'times'], (
            SELECT jsonb_agg(CASE WHEN d = day_index THEN request -> 'status'
                                  ELSE coalesce(h.habits -> p.pos -> 'times' -> d, '""') END ORDER BY d)
            FROM generate_series(0, greatest(6, jsonb_array_length(coalesce(h.habits -> p.pos -> 'times', '[]')) - 1))
                AS d)),
        updated_at = now()
    FROM (SELECT e.pos FROM public.habit_tracker AS x, migration.habit_elements(x.habits) AS e
          WHERE x.id = target_id AND e.element ->> 'name' = request ->> 'habit_name' ORDER BY e.pos LIMIT 1) AS p
    WHERE h.id = target_id
    RETURNING p.pos INTO habit_pos;
    IF habit_pos IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT404', DETAIL = 'habit_not_found',
            MESSAGE = format('the week has no habit named %L', request ->> 'habit_name');
    END IF;

    PERFORM migration.dual_write_sync(target_id, NULL, 'data.status');

    -- The day's date, and the habit and record holding it in that date's Monday week.
    SELECT jsonb_build_object(
        'operation', 'update_habit_record', 'legacy_id', target_id, 'habit_id', x.id, 'record_date', d.day,
        'status', coalesce((SELECT r.status FROM public.habit_records AS r
                            WHERE r.habit_id = x.id AND r.record_date = d.day), ''))
    INTO body
    FROM public.habit_tracker AS h
    CROSS JOIN LATERAL (SELECT migration.week_start(h) + day_index AS day) AS d
    LEFT JOIN public.weeks AS w
        ON w.child_id = migration.child_id(h.user_id, h.child_name) AND w.week_start_date = migration.monday_of(d.day)
    LEFT JOIN public.habits AS x ON x.week_id = w.id AND x.name = request ->> 'habit_name'
    WHERE h.id = target_id;
    RETURN jsonb_build_object('status', 200, 'body', body);
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.dual_write_update_habit_record(UUID, JSONB) FROM PUBLIC;
