-- migration.endpoint_update_habit_record (function): the statements revision 0040_drop_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.endpoint_update_habit_record.sql.

-- statement
CREATE FUNCTION migration.endpoint_update_habit_record(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    habit_name TEXT := request ->> 'habit_name';
    new_status TEXT := request ->> 'status';
    day DATE := (request ->> 'week_start_date')::DATE + (request ->> 'day_index')::INTEGER;
    target RECORD;
    habit RECORD;
BEGIN
    SELECT f.child_key, f.week_key INTO target FROM migration.endpoint_find_week(acting_user, request, TRUE) AS f;
    SELECT h.id, h.display_order INTO habit FROM public.habits AS h WHERE h.week_id = target.week_key AND h.name = habit_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PT404', DETAIL = 'habit_not_found',
            MESSAGE = format('the week has no habit named %L', habit_name);
    END IF;
    IF new_status IS NULL OR new_status NOT IN ('', 'green', 'yellow', 'red', 'none') THEN
        PERFORM migration.endpoint_refuse('unknown_status',
                                          format('habit %s holds %s', habit.display_order, to_jsonb(new_status)),
                                          'data.status');
    END IF;

    -- '' un-checks the day: no record. An existing record keeps its id and source_version; a
    -- new one takes the columns' defaults.
    IF new_status = '' THEN
        DELETE FROM public.habit_records AS r WHERE r.habit_id = habit.id AND r.record_date = day;
    ELSIF EXISTS (SELECT 1 FROM public.habit_records AS r WHERE r.habit_id = habit.id AND r.record_date = day) THEN
        UPDATE public.habit_records AS r SET status = new_status
        WHERE r.habit_id = habit.id AND r.record_date = day AND r.status IS DISTINCT FROM new_status;
    ELSE
        INSERT INTO public.habit_records (habit_id, record_date, status) VALUES (habit.id, day, new_status);
    END IF;

    RETURN jsonb_build_object('status', 200, 'body', jsonb_build_object(
        'operation', 'update_habit_record', 'legacy_id', NULL, 'habit_id', habit.id, 'record_date', day,
        'status', coalesce((SELECT r.status FROM public.habit_records AS r
                            WHERE r.habit_id = habit.id AND r.record_date = day), '')));
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.endpoint_update_habit_record(UUID, JSONB) FROM PUBLIC;
