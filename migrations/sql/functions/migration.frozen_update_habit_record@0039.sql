-- migration.frozen_update_habit_record (function): the statements revision 0039_rename_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.frozen_update_habit_record.sql.

-- statement
CREATE OR REPLACE FUNCTION migration.frozen_update_habit_record(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    target_id BIGINT := migration.frozen_find_week(acting_user, request);
    target RECORD;
    problem RECORD;
    habit_name TEXT := request ->> 'habit_name';
    new_status TEXT := request ->> 'status';
    habit_pos INTEGER;
    day DATE;
    monday DATE;
    week UUID;
    habit UUID;
BEGIN
    SELECT l.* INTO target FROM migration.live_legacy_rows AS l WHERE l.legacy_id = target_id;
    SELECT e.pos INTO habit_pos FROM migration.habit_elements(target.habits) AS e
    WHERE e.element ->> 'name' = habit_name ORDER BY e.pos LIMIT 1;
    IF habit_pos IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT404', DETAIL = 'habit_not_found',
            MESSAGE = format('the week has no habit named %L', habit_name);
    END IF;
    -- What the legacy path refused after writing the row (its quarantine verdict), refused
    -- before writing: a row the mapping cannot place, or a status it does not know.
    SELECT p.reason, p.detail INTO problem
    FROM public.habit_tracker_old AS h, migration.local_problem(h) AS p WHERE h.id = target_id LIMIT 1;
    IF FOUND THEN
        PERFORM migration.frozen_refuse(problem.reason, problem.detail, 'data.status');
    END IF;
    IF new_status NOT IN ('', 'green', 'yellow', 'red', 'none') THEN
        PERFORM migration.frozen_refuse('unknown_status', format('habit %s holds %s', habit_pos, to_jsonb(new_status)),
                                        'data.status');
    END IF;

    day := target.start_date + (request ->> 'day_index')::INTEGER;
    monday := migration.monday_of(day);
    SELECT h.id INTO habit
    FROM public.habits AS h
    INNER JOIN public.weeks AS w ON h.week_id = w.id
    INNER JOIN public.children AS c ON w.child_id = c.id
    WHERE c.user_id = acting_user AND c.name = target.child_name AND w.week_start_date = monday AND h.name = habit_name;
    -- A day filled in a week the row had nothing in yet brings the habit (and the week) there.
    IF habit IS NULL AND new_status <> '' THEN
        week := migration.frozen_week(acting_user, target.child_name, monday, target_id, target.start_date, NULL);
        habit := migration.frozen_habit(week, habit_name, target_id, habit_pos, target.start_date = monday, monday);
    END IF;
    IF habit IS NOT NULL THEN
        PERFORM migration.frozen_set_day(habit, day, new_status);
    END IF;
    INSERT INTO migration.frozen_writes (user_id, child_name, monday, legacy_id, operation)
    VALUES (acting_user, target.child_name, monday, target_id, 'update_habit_record');

    RETURN jsonb_build_object('status', 200, 'body', jsonb_build_object(
        'operation', 'update_habit_record', 'legacy_id', target_id, 'habit_id', habit, 'record_date', day,
        'status', coalesce((SELECT r.status FROM public.habit_records AS r
                            WHERE r.habit_id = habit AND r.record_date = day), '')));
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.frozen_update_habit_record(UUID, JSONB) FROM PUBLIC;
