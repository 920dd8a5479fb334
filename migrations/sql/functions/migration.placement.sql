-- migration.placement: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0023).
-- No revision runs this file: each runs its own frozen migration.placement@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.placement(legacy_ids BIGINT[])
RETURNS SETOF migration.placement_line
LANGUAGE sql STABLE
AS $$
    -- The mapping of 0023, written once: where every filled day of the given legacy rows goes.
    -- A day is a fact about a date (start + position); it goes to the Monday week holding that
    -- date. Callers pass every row of the child-weeks they place (migration.week_members()):
    -- a child-week's lines are right only when all its rows are among legacy_ids.
    WITH clean AS MATERIALIZED (
        SELECT c.legacy_id, (c.legacy).user_id, (c.legacy).child_name, c.start_date,
               migration.monday_of(c.start_date) AS first_monday, (c.legacy).habits, (c.legacy).theme,
               (c.legacy).reflection, (c.legacy).reward, coalesce((c.legacy).created_at, now()) AS created_at,
               coalesce((c.legacy).updated_at, now()) AS updated_at
        FROM migration.classified_legacy_rows AS c
        WHERE c.legacy_id = ANY(legacy_ids) AND c.reason IS NULL
    ),
    elements AS MATERIALIZED (
        SELECT r.legacy_id, e.pos, e.element ->> 'name' AS name,
               CASE WHEN jsonb_typeof(e.element -> 'times') = 'array' THEN e.element -> 'times' ELSE '[]' END AS times
        FROM clean AS r
        CROSS JOIN LATERAL migration.habit_elements(r.habits) AS e
    ),
    -- Every filled day, on its own date and in the Monday week of that date.
    days AS MATERIALIZED (
        SELECT e.legacy_id, e.pos, e.name, r.start_date + (d.n - 1)::INTEGER AS record_date,
               migration.monday_of(r.start_date + (d.n - 1)::INTEGER) AS monday, d.status, r.updated_at,
               r.user_id, r.child_name
        FROM elements AS e
        INNER JOIN clean AS r ON r.legacy_id = e.legacy_id
        CROSS JOIN LATERAL jsonb_array_elements_text(e.times) WITH ORDINALITY AS d (status, n)
        WHERE d.n <= 7 AND d.status <> ''
    ),
    -- Each row's share of the (one or two) Monday weeks its seven days fall in. Its home week
    -- holds four or more of them: it gets all the row's habits, and there is always one.
    -- The other week is contributed to only where the row has a filled day in it.
    shares AS MATERIALIZED (
        SELECT r.*, w.monday, w.monday = r.start_date AS starts_here, w.days_here, w.days_here >= 4 AS home
        FROM clean AS r
        CROSS JOIN LATERAL (VALUES (r.first_monday, 7 - (r.start_date - r.first_monday)),
                                   (r.first_monday + 7, r.start_date - r.first_monday)) AS w (monday, days_here)
        WHERE w.days_here >= 4
            OR (w.days_here > 0 AND EXISTS (SELECT 1 FROM days AS d
                                            WHERE d.legacy_id = r.legacy_id AND d.monday = w.monday))
    ),
    -- In each child-week: the week's fields come from the row starting on its Monday, else the
    -- row with the most days in it (then the later updated_at, then the lower id). Its id is
    -- 0010's week_id() of the Monday-start row with the lowest id (unchanged for every week a
    -- Monday row already mapped), else one of the child and the Monday.
    ranked AS MATERIALIZED (
        SELECT s.*,
               row_number() OVER (PARTITION BY s.user_id, s.child_name, s.monday
                                  ORDER BY s.starts_here DESC, s.days_here DESC, s.updated_at DESC, s.legacy_id)
                   AS precedence,
               min(s.legacy_id) FILTER (WHERE s.starts_here) OVER (PARTITION BY s.user_id, s.child_name, s.monday)
                   AS anchor,
               migration.child_id(s.user_id, s.child_name) AS child_id
        FROM shares AS s
    ),
    weeks AS MATERIALIZED (
        SELECT r.user_id, r.child_name, r.monday, r.child_id,
               coalesce(migration.week_id(min(r.anchor)),
                        md5('habit_tracker/week/' || r.child_id::TEXT || '/' || r.monday::TEXT)::UUID) AS week_id,
               min(r.legacy_id) FILTER (WHERE r.precedence = 1) AS fields_from,
               min(r.created_at) AS created_at, max(r.updated_at) AS updated_at,
               array_agg(r.legacy_id ORDER BY r.legacy_id) AS legacy_ids
        FROM ranked AS r
        GROUP BY r.user_id, r.child_name, r.monday, r.child_id
    ),
    -- Habits merge by name. Each row gives its home week all its habits, another week those
    -- with a filled day there. A habit's source is its first occurrence, Monday-start rows
    -- first, then by legacy id and position; it gives the habit its id (0010's habit_id() when
    -- the source starts on this Monday) and its place in the order.
    habit_shares AS MATERIALIZED (
        SELECT s.user_id, s.child_name, s.monday, s.legacy_id, s.starts_here, e.pos, e.name
        FROM shares AS s
        INNER JOIN elements AS e ON e.legacy_id = s.legacy_id
        WHERE s.home OR EXISTS (SELECT 1 FROM days AS d
                                WHERE d.legacy_id = e.legacy_id AND d.pos = e.pos AND d.monday = s.monday)
    ),
    sources AS MATERIALIZED (
        SELECT DISTINCT ON (h.user_id, h.child_name, h.monday, h.name)
               h.user_id, h.child_name, h.monday, h.name, h.legacy_id, h.pos, h.starts_here
        FROM habit_shares AS h
        ORDER BY h.user_id, h.child_name, h.monday, h.name, h.starts_here DESC, h.legacy_id, h.pos
    ),
    habits AS MATERIALIZED (
        SELECT s.*, w.week_id,
               CASE WHEN s.starts_here THEN migration.habit_id(s.legacy_id, s.pos)
                    ELSE md5('habit_tracker/habit/' || s.legacy_id::TEXT || '/' || s.pos::TEXT || '/'
                             || s.monday::TEXT)::UUID
               END AS habit_id,
               (row_number() OVER (PARTITION BY s.user_id, s.child_name, s.monday
                                   ORDER BY s.starts_here DESC, s.legacy_id, s.pos) - 1)::INTEGER AS display_order
        FROM sources AS s
        INNER JOIN weeks AS w USING (user_id, child_name, monday)
    ),
    -- Records merge by (habit, date): the later-updated row's status wins (then the source
    -- order); a different status of another row is a conflict, recorded, never dropped.
    claims AS MATERIALIZED (
        SELECT d.*, h.week_id, h.habit_id, h.starts_here AS source_starts_here, h.legacy_id AS source_id,
               h.pos AS source_pos,
               row_number() OVER (PARTITION BY h.habit_id, d.record_date
                                  ORDER BY d.updated_at DESC, d.legacy_id, d.pos) AS precedence
        FROM days AS d
        INNER JOIN habits AS h USING (user_id, child_name, monday, name)
    ),
    records AS MATERIALIZED (
        SELECT c.*,
               CASE WHEN c.source_starts_here
                        THEN migration.record_id(c.source_id, c.source_pos, c.record_date - c.monday)
                    ELSE md5('habit_tracker/record/' || c.habit_id::TEXT || '/' || c.record_date::TEXT)::UUID
               END AS record_id
        FROM claims AS c WHERE c.precedence = 1
    ),
    -- Week fields a row loses in its home week (another row's fields are the week's) are
    -- recorded when they hold something the kept ones do not.
    field_values AS (
        SELECT r.user_id, r.child_name, r.monday, r.legacy_id, r.precedence, r.home, f.field, f.value
        FROM ranked AS r
        CROSS JOIN LATERAL (VALUES
            ('theme', to_jsonb(nullif(r.theme, ''))),
            ('reflection', CASE WHEN EXISTS (SELECT 1 FROM jsonb_each(CASE WHEN jsonb_typeof(r.reflection) = 'object'
                                                                           THEN r.reflection ELSE '{}' END) AS x
                                             WHERE x.value NOT IN ('""', 'null'))
                                  OR jsonb_typeof(r.reflection) NOT IN ('object', 'null')
                                THEN r.reflection END),
            ('reward', to_jsonb(nullif(r.reward, '')))) AS f (field, value)
    )
    SELECT 'week', w.user_id, w.child_name, w.monday, w.child_id, w.week_id, NULL::UUID, NULL::UUID, NULL::TEXT,
           NULL::INTEGER, NULL::DATE, NULL::TEXT, r.theme, r.reflection, r.reward, w.created_at, w.updated_at,
           w.fields_from, w.legacy_ids, NULL::TEXT, NULL::JSONB, NULL::JSONB, NULL::BIGINT
    FROM weeks AS w
    INNER JOIN ranked AS r ON r.user_id = w.user_id AND r.child_name = w.child_name AND r.monday = w.monday
        AND r.precedence = 1
    UNION ALL
    SELECT 'habit', h.user_id, h.child_name, h.monday, migration.child_id(h.user_id, h.child_name), h.week_id,
           h.habit_id, NULL, h.name, h.display_order, NULL, NULL, NULL, NULL, NULL, NULL, NULL, h.legacy_id, NULL,
           NULL, NULL, NULL, NULL
    FROM habits AS h
    UNION ALL
    SELECT 'record', r.user_id, r.child_name, r.monday, migration.child_id(r.user_id, r.child_name), r.week_id,
           r.habit_id, r.record_id, r.name, NULL, r.record_date, r.status, NULL, NULL, NULL, NULL, NULL, r.legacy_id,
           NULL, NULL, NULL, NULL, NULL
    FROM records AS r
    UNION ALL
    SELECT 'conflict', c.user_id, c.child_name, c.monday, migration.child_id(c.user_id, c.child_name), c.week_id,
           c.habit_id, NULL, c.name, NULL, c.record_date, NULL, NULL, NULL, NULL, NULL, NULL, c.legacy_id, NULL,
           'status', to_jsonb(c.status), to_jsonb(k.status), k.legacy_id
    FROM claims AS c
    INNER JOIN records AS k ON k.habit_id = c.habit_id AND k.record_date = c.record_date
    WHERE c.precedence > 1 AND c.status <> k.status
    UNION ALL
    SELECT 'conflict', f.user_id, f.child_name, f.monday, migration.child_id(f.user_id, f.child_name), w.week_id,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, f.legacy_id, NULL, f.field, f.value,
           k.value, k.legacy_id
    FROM field_values AS f
    INNER JOIN field_values AS k ON k.user_id = f.user_id AND k.child_name = f.child_name AND k.monday = f.monday
        AND k.field = f.field AND k.precedence = 1
    INNER JOIN weeks AS w ON w.user_id = f.user_id AND w.child_name = f.child_name AND w.monday = f.monday
    WHERE f.precedence > 1 AND f.home AND f.value IS NOT NULL AND f.value IS DISTINCT FROM k.value
$$;

-- statement
-- Its plan is estimated dear (the JSON expansions' default row counts), and JIT compiled it for
-- 3 s, for a statement that runs in 17 ms over 34 rows (measured; jit is on by default).
ALTER FUNCTION migration.placement(BIGINT[]) SET jit = off;

-- statement
REVOKE EXECUTE ON FUNCTION migration.placement(BIGINT[]) FROM PUBLIC;
