-- migration.dual_write_create_week (function): the statements revision 0018_dual_write_functions ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.dual_write_create_week.sql.

-- statement
CREATE FUNCTION migration.dual_write_create_week(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    monday DATE := (request ->> 'week_start_date')::DATE;
    created_id BIGINT;
    body JSONB;
BEGIN
    -- habit_tracker_child_week_unique is global in the legacy table: any user's row conflicts.
    INSERT INTO public.habit_tracker (child_name, week_period, week_start_date, habits, user_id, theme, reflection,
                                      reward)
    VALUES (request ->> 'child_name', migration.week_label(monday), monday, request -> 'habits', acting_user,
            request ->> 'theme', nullif(request -> 'reflection', 'null'::JSONB), request ->> 'reward')
    ON CONFLICT (child_name, week_period) DO NOTHING
    RETURNING id INTO created_id;
    IF created_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT409', DETAIL = 'week_exists',
            MESSAGE = 'a week of this child name starting on that Monday already exists';
    END IF;

    PERFORM migration.dual_write_sync(created_id, NULL, NULL, 'data.habits');

    SELECT jsonb_build_object(
        'operation', 'create_week', 'legacy_id', created_id, 'week_id', w.id, 'child_id', w.child_id,
        'habits', (SELECT count(*) FROM public.habits AS x WHERE x.week_id = w.id),
        'records', (SELECT count(*) FROM public.habit_records AS r INNER JOIN public.habits AS x ON r.habit_id = x.id
                    WHERE x.week_id = w.id))
    INTO body
    FROM public.weeks AS w WHERE w.id = migration.week_id(created_id);
    RETURN jsonb_build_object('status', 201, 'body', body);
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.dual_write_create_week(UUID, JSONB) FROM PUBLIC;
