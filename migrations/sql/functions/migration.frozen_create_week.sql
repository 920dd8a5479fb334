-- migration.frozen_create_week: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0038, 0039).
-- No revision runs this file: each runs its own frozen migration.frozen_create_week@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.frozen_create_week(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    child TEXT := request ->> 'child_name';
    start_date DATE := (request ->> 'week_start_date')::DATE;
    label TEXT := migration.week_label(start_date);
    first_monday DATE := migration.monday_of(start_date);
    fields JSONB := jsonb_build_object('theme', request -> 'theme', 'reflection', request -> 'reflection',
                                       'reward', request -> 'reward');
    candidate public.habit_tracker_old;
    problem RECORD;
    created_id BIGINT;
    share RECORD;
    week UUID;
    week_ids UUID[] := '{}';
    day RECORD;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('migration.frozen_child/' || child, 0));
    -- The legacy table's unique (child_name, week_period) still holds, over the live rows: global.
    IF EXISTS (SELECT 1 FROM migration.live_legacy_rows AS l WHERE l.child_name = child AND l.week_period = label) THEN
        RAISE EXCEPTION USING ERRCODE = 'PT409', DETAIL = 'week_exists',
            MESSAGE = 'a week of this child name starting on that day already exists';
    END IF;
    -- The row the legacy endpoint would have written, never stored: the mapping's rules judge it.
    candidate := jsonb_populate_record(NULL::public.habit_tracker_old, jsonb_build_object(
        'child_name', child, 'week_period', label, 'week_start_date', start_date, 'habits', request -> 'habits',
        'user_id', acting_user, 'theme', request -> 'theme', 'reflection', nullif(request -> 'reflection', 'null'::JSONB),
        'reward', request -> 'reward'));
    SELECT p.reason, p.detail INTO problem FROM migration.row_problem(candidate) AS p LIMIT 1;
    IF FOUND THEN
        PERFORM migration.frozen_refuse(problem.reason, problem.detail, 'data.habits');
    END IF;

    -- Its id, reserved from the legacy sequence: the response names it as before, and the
    -- rollback writes the row under it.
    created_id := nextval('public.habit_tracker_old_id_seq');
    INSERT INTO migration.frozen_rows (legacy_id, user_id, child_name, week_start_date, week_period, habits, theme,
                                       reflection, reward, state)
    VALUES (created_id, acting_user, child, start_date, label, coalesce(request -> 'habits', '[]'), request ->> 'theme',
            nullif(request -> 'reflection', 'null'::JSONB), request ->> 'reward', 'created');

    -- As the mapping places a row: its home week (four or more of its days) gets every habit,
    -- the other week the habits with a filled day there; habits by name, a day's first status.
    FOR share IN
        SELECT s.monday, s.days_here >= 4 AS home
        FROM (VALUES (first_monday, 7 - (start_date - first_monday)),
                     (first_monday + 7, start_date - first_monday)) AS s (monday, days_here)
        WHERE s.days_here >= 4 OR (s.days_here > 0 AND EXISTS (
            SELECT 1 FROM migration.filled_days(candidate) AS d WHERE migration.monday_of(d.record_date) = s.monday))
        ORDER BY s.monday
    LOOP
        week := migration.frozen_week(acting_user, child, share.monday, created_id, start_date, fields);
        week_ids := week_ids || week;
        INSERT INTO migration.frozen_writes (user_id, child_name, monday, legacy_id, operation)
        VALUES (acting_user, child, share.monday, created_id, 'create_week');
        PERFORM migration.frozen_habit(week, x.name, created_id, x.pos, start_date = share.monday, share.monday)
        FROM (SELECT DISTINCT ON (e.element ->> 'name') e.pos, e.element ->> 'name' AS name
              FROM migration.habit_elements(request -> 'habits') AS e
              WHERE share.home OR EXISTS (SELECT 1 FROM migration.filled_days(candidate) AS d
                                          WHERE d.habit_pos = e.pos AND migration.monday_of(d.record_date) = share.monday)
              ORDER BY e.element ->> 'name', e.pos) AS x
        ORDER BY x.pos;
        FOR day IN
            SELECT DISTINCT ON (d.habit_name, d.record_date) d.habit_name AS name, d.record_date, d.status
            FROM migration.filled_days(candidate) AS d
            WHERE d.day <= 7 AND migration.monday_of(d.record_date) = share.monday
            ORDER BY d.habit_name, d.record_date, d.habit_pos
        LOOP
            PERFORM migration.frozen_set_day(
                (SELECT h.id FROM public.habits AS h WHERE h.week_id = week AND h.name = day.name),
                day.record_date, day.status);
        END LOOP;
    END LOOP;

    RETURN jsonb_build_object('status', 201, 'body', jsonb_build_object(
        'operation', 'create_week', 'legacy_id', created_id,
        'week_id', (SELECT w.id FROM public.weeks AS w
                    WHERE w.id = ANY(week_ids) AND w.week_start_date = migration.monday_of(start_date + 3)),
        'week_ids', to_jsonb(week_ids),
        'child_id', (SELECT c.id FROM public.children AS c WHERE c.user_id = acting_user AND c.name = child),
        'habits', (SELECT count(*) FROM public.habits AS h WHERE h.week_id = ANY(week_ids)),
        'records', (SELECT count(*) FROM public.habit_records AS r INNER JOIN public.habits AS h ON r.habit_id = h.id
                    WHERE h.week_id = ANY(week_ids))));
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.frozen_create_week(UUID, JSONB) FROM PUBLIC;
