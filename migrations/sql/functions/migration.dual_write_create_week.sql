-- migration.dual_write_create_week: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0018, 0023).
-- No revision runs this file: each runs its own frozen migration.dual_write_create_week@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.dual_write_create_week(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    start_date DATE := (request ->> 'week_start_date')::DATE;
    created_id BIGINT;
    body JSONB;
BEGIN
    -- habit_tracker_child_week_unique is global in the legacy table: any user's row conflicts.
    INSERT INTO public.habit_tracker (child_name, week_period, week_start_date, habits, user_id, theme, reflection,
                                      reward)
    VALUES (request ->> 'child_name', migration.week_label(start_date), start_date, request -> 'habits', acting_user,
            request ->> 'theme', nullif(request -> 'reflection', 'null'::JSONB), request ->> 'reward')
    ON CONFLICT (child_name, week_period) DO NOTHING
    RETURNING id INTO created_id;
    IF created_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT409', DETAIL = 'week_exists',
            MESSAGE = 'a week of this child name starting on that day already exists';
    END IF;

    PERFORM migration.dual_write_sync(created_id, NULL, 'data.habits');

    -- The Monday weeks its days went to (merged with the child's other rows there); week_id is
    -- its home week's, the one holding most of its seven days.
    SELECT jsonb_build_object(
        'operation', 'create_week', 'legacy_id', created_id,
        'week_id', (SELECT w.id FROM public.weeks AS w
                    WHERE w.child_id = migration.child_id(acting_user, request ->> 'child_name')
                        AND w.week_start_date = migration.monday_of(start_date + 3)),
        'week_ids', coalesce(jsonb_agg(w.id ORDER BY w.week_start_date), '[]'),
        'child_id', migration.child_id(acting_user, request ->> 'child_name'),
        'habits', coalesce(sum((SELECT count(*) FROM public.habits AS x WHERE x.week_id = w.id)), 0),
        'records', coalesce(sum((SELECT count(*) FROM public.habit_records AS r
                                 INNER JOIN public.habits AS x ON r.habit_id = x.id
                                 WHERE x.week_id = w.id)), 0))
    INTO body
    FROM public.weeks AS w
    WHERE w.child_id = migration.child_id(acting_user, request ->> 'child_name')
        AND w.week_start_date IN (migration.monday_of(start_date), migration.monday_of(start_date + 6));
    RETURN jsonb_build_object('status', 201, 'body', body);
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.dual_write_create_week(UUID, JSONB) FROM PUBLIC;
