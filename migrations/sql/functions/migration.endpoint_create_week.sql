-- migration.endpoint_create_week: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0040).
-- No revision runs this file: each runs its own frozen migration.endpoint_create_week@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.endpoint_create_week(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    child TEXT := request ->> 'child_name';
    monday DATE := (request ->> 'week_start_date')::DATE;
    habit_list JSONB := CASE WHEN jsonb_typeof(request -> 'habits') = 'array' THEN request -> 'habits' ELSE '[]' END;
    target RECORD;
    problem RECORD;
    child_key UUID;
    week_key UUID;
BEGIN
    SELECT f.child_key, f.week_key INTO target FROM migration.endpoint_find_week(acting_user, request, FALSE) AS f;
    IF target.week_key IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT409', DETAIL = 'week_exists',
            MESSAGE = 'a week of this child name starting on that day already exists';
    END IF;
    -- What the mapping refused (migration.local_problem()), refused before writing.
    IF char_length(child) NOT BETWEEN 1 AND 100 THEN
        PERFORM migration.endpoint_refuse('bad_child_name', format('child_name has %s characters', char_length(child)),
                                          'data.child_name');
    END IF;
    SELECT p.reason, p.detail INTO problem FROM migration.endpoint_habits_problem(request -> 'habits') AS p LIMIT 1;
    IF FOUND THEN
        PERFORM migration.endpoint_refuse(problem.reason, problem.detail, 'data.habits');
    END IF;

    -- New rows take the columns' defaults: their ids (gen_random_uuid()) and source_version
    -- ('new_schema'). An existing child keeps its id and provenance.
    child_key := target.child_key;
    IF child_key IS NULL THEN
        INSERT INTO public.children (user_id, name) VALUES (acting_user, child) RETURNING id INTO child_key;
    END IF;
    INSERT INTO public.weeks (user_id, child_id, week_start_date, week_end_date, theme, reflection, reward)
    VALUES (acting_user, child_key, monday, monday + 6, request ->> 'theme',
            nullif(request -> 'reflection', 'null'::JSONB), request ->> 'reward')
    RETURNING id INTO week_key;
    -- Habits merge by name, as the mapping merges them: a repeated name is one habit, placed
    -- where it first appears; display_order is the habit's place among them.
    INSERT INTO public.habits (week_id, name, display_order)
    SELECT week_key, k.name, (row_number() OVER (ORDER BY k.n) - 1)::INTEGER
    FROM (SELECT DISTINCT ON (e.element ->> 'name') e.element ->> 'name' AS name, e.n
          FROM jsonb_array_elements(habit_list) WITH ORDINALITY AS e (element, n)
          ORDER BY e.element ->> 'name', e.n) AS k;
    -- A day's status is the first habit of that name's holding one; '' and null are no record.
    INSERT INTO public.habit_records (habit_id, record_date, status)
    SELECT DISTINCT ON (h.id, d.n) h.id, monday + (d.n - 1)::INTEGER, d.status
    FROM jsonb_array_elements(habit_list) WITH ORDINALITY AS e (element, n)
    CROSS JOIN LATERAL jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(e.element -> 'times') = 'array' THEN e.element -> 'times' ELSE '[]'::JSONB END
    ) WITH ORDINALITY AS d (status, n)
    INNER JOIN public.habits AS h ON h.week_id = week_key AND h.name = e.element ->> 'name'
    WHERE d.status <> '' AND d.n <= 7
    ORDER BY h.id, d.n, e.n;

    RETURN jsonb_build_object('status', 201, 'body', jsonb_build_object(
        'operation', 'create_week', 'legacy_id', NULL, 'week_id', week_key, 'week_ids', jsonb_build_array(week_key),
        'child_id', child_key,
        'habits', (SELECT count(*) FROM public.habits AS h WHERE h.week_id = week_key),
        'records', (SELECT count(*) FROM public.habit_records AS r INNER JOIN public.habits AS h ON r.habit_id = h.id
                    WHERE h.week_id = week_key)));
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.endpoint_create_week(UUID, JSONB) FROM PUBLIC;
