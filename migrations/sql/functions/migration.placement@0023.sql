-- migration.placement (function): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.placement.sql.

-- statement
CREATE FUNCTION migration.placement(legacy_ids BIGINT[])
RETURNS SETOF migration.placement_line  -- noqa: CP05
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
    -- The weeks, and the habits, each row has a filled day in. (Joined, not probed with EXISTS:
    -- a CTE has no index, and a probe per row scanned every day, quadratic in a batch.)
    filled_weeks AS MATERIALIZED (
        SELECT DISTINCT d.legacy_id, d.monday FROM days AS d
    ),
    filled_habit_weeks AS MATERIALIZED (
        SELECT DISTINCT d.legacy_id, d.pos, d.monday FROM days AS d
    ),
    -- Each row's share of the (one or two) Monday weeks its seven days fall in. Its home week
    -- holds four or more of them: it gets all the row's habits, and there is always one.
    -- The other week is contributed to only where the row has a filled day in it.
    shares AS MATERIALIZED (
        SELECT r.*, w.monday, w.monday = r.start_date AS starts_here, w.days_here, w.days_here >= 4 AS home
        FROM clean AS r
        CROSS JOIN LATERAL (VALUES (r.first_monday, 7 - (r.start_date - r.first_monday)),
                                   (r.first_monday + 7, r.start_date - r.first_monday)) AS w (monday, days_here)
        LEFT JOIN filled_weeks AS f ON f.legacy_id = r.legacy_id AND f.monday = w.monday
        WHERE w.days_here >= 4 OR (w.days_here > 0 AND f.legacy_id IS NOT NULL)
    ),
    -- In each child-week: the week's fields come from the row starting on its Monday, else the
    -- row with the most days in it (then the later updated_at, then the lower id). Its id is
    -- 0010's week_id() of the Monday-start row with the lowest id (unchanged for every week a
    -- Monday row already mapped), else one of the child and the Monday. Window functions, not
    -- joins between these CTEs: a CTE has no statistics, and a join planned as a nested loop
    -- over two of them was quadratic (100 s at 10,000 rows).
    ranked AS MATERIALIZED (
        SELECT s.*, migration.child_id(s.user_id, s.child_name) AS child_id,
               row_number() OVER week_order AS precedence,
               coalesce(migration.week_id(min(s.legacy_id) FILTER (WHERE s.starts_here) OVER week_rows),
                        md5('habit_tracker/week/' || migration.child_id(s.user_id, s.child_name)::TEXT || '/'
                            || s.monday::TEXT)::UUID) AS week_id,
               min(s.created_at) OVER week_rows AS week_created_at,
               max(s.updated_at) OVER week_rows AS week_updated_at,
               array_agg(s.legacy_id) OVER (week_rows ORDER BY s.legacy_id
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS legacy_ids
        FROM shares AS s
        WINDOW week_rows AS (PARTITION BY s.user_id, s.child_name, s.monday),
               week_order AS (week_rows ORDER BY s.starts_here DESC, s.days_here DESC, s.updated_at DESC, s.legacy_id)
    ),
    -- Habits merge by name. Each row gives its home week all its habits, another week those
    -- with a filled day there. A habit's source is its first occurrence, Monday-start rows
    -- first, then by legacy id and position; it gives the habit its id (0010's habit_id() when
    -- the source starts on this Monday) and its place in the order.
    habit_shares AS MATERIALIZED (
        SELECT s.user_id, s.child_name, s.monday, s.week_id, s.legacy_id, s.starts_here, e.pos, e.name
        FROM ranked AS s
        INNER JOIN elements AS e ON e.legacy_id = s.legacy_id
        LEFT JOIN filled_habit_weeks AS f ON f.legacy_id = e.legacy_id AND f.pos = e.pos AND f.monday = s.monday
        WHERE s.home OR f.legacy_id IS NOT NULL
    ),
    habits AS MATERIALIZED (
        SELECT h.*,
               CASE WHEN h.starts_here THEN migration.habit_id(h.legacy_id, h.pos)
                    ELSE md5('habit_tracker/habit/' || h.legacy_id::TEXT || '/' || h.pos::TEXT || '/'
                             || h.monday::TEXT)::UUID
               END AS habit_id,
               (row_number() OVER (PARTITION BY h.user_id, h.child_name, h.monday
                                   ORDER BY h.starts_here DESC, h.legacy_id, h.pos) - 1)::INTEGER AS display_order
        FROM (
            SELECT DISTINCT ON (x.user_id, x.child_name, x.monday, x.name) x.*
            FROM habit_shares AS x
            ORDER BY x.user_id, x.child_name, x.monday, x.name, x.starts_here DESC, x.legacy_id, x.pos
        ) AS h
    ),
    -- Records merge by (habit, date): the later-updated row's status wins (then the source
    -- order); a different status of another row is a conflict, recorded, never dropped.
    claims AS MATERIALIZED (
        SELECT d.*, h.week_id, h.habit_id, h.starts_here AS source_starts_here, h.legacy_id AS source_id,
               h.pos AS source_pos,
               row_number() OVER claim_order AS precedence,
               first_value(d.status) OVER claim_order AS kept_status,
               first_value(d.legacy_id) OVER claim_order AS kept_legacy_id
        FROM days AS d
        INNER JOIN habits AS h USING (user_id, child_name, monday, name)
        WINDOW claim_order AS (PARTITION BY h.habit_id, d.record_date ORDER BY d.updated_at DESC, d.legacy_id, d.pos)
    ),
    -- Week fields a row loses in its home week (another row's fields are the week's) are
    -- recorded when they hold something the kept ones do not.
    field_values AS MATERIALIZED (
        SELECT v.*,
               first_value(v.value) OVER field_order AS kept_value,
               first_value(v.legacy_id) OVER field_order AS kept_legacy_id
        FROM (
            SELECT r.user_id, r.child_name, r.monday, r.child_id, r.week_id, r.legacy_id, r.precedence, r.home,
                   f.field, f.value
            FROM ranked AS r
            CROSS JOIN LATERAL (VALUES
                ('theme', to_jsonb(nullif(r.theme, ''))),
                ('reflection', CASE WHEN jsonb_typeof(r.reflection) NOT IN ('object', 'null')
                                         OR EXISTS (SELECT 1 FROM jsonb_each(CASE WHEN jsonb_typeof(r.reflection) = 'object'
                                                                                  THEN r.reflection ELSE '{}' END) AS x
                                                    WHERE x.value NOT IN ('""', 'null'))
                                    THEN r.reflection END),
                ('reward', to_jsonb(nullif(r.reward, '')))) AS f (field, value)
        ) AS v
        WINDOW field_order AS (PARTITION BY v.user_id, v.child_name, v.monday, v.field ORDER BY v.precedence)
    )
    SELECT 'week', r.user_id, r.child_name, r.monday, r.child_id, r.week_id, NULL::UUID, NULL::UUID, NULL::TEXT,
           NULL::INTEGER, NULL::DATE, NULL::TEXT, r.theme, r.reflection, r.reward, r.week_created_at,
           r.week_updated_at, r.legacy_id, r.legacy_ids, NULL::TEXT, NULL::JSONB, NULL::JSONB, NULL::BIGINT
    FROM ranked AS r
    WHERE r.precedence = 1
    UNION ALL
    SELECT 'habit', h.user_id, h.child_name, h.monday, migration.child_id(h.user_id, h.child_name), h.week_id,
           h.habit_id, NULL, h.name, h.display_order, NULL, NULL, NULL, NULL, NULL, NULL, NULL, h.legacy_id, NULL,
           NULL, NULL, NULL, NULL
    FROM habits AS h
    UNION ALL
    SELECT 'record', c.user_id, c.child_name, c.monday, migration.child_id(c.user_id, c.child_name), c.week_id,
           c.habit_id,
           CASE WHEN c.source_starts_here
                    THEN migration.record_id(c.source_id, c.source_pos, c.record_date - c.monday)
                ELSE md5('habit_tracker/record/' || c.habit_id::TEXT || '/' || c.record_date::TEXT)::UUID
           END,
           c.name, NULL, c.record_date, c.status, NULL, NULL, NULL, NULL, NULL, c.legacy_id, NULL, NULL, NULL, NULL,
           NULL
    FROM claims AS c
    WHERE c.precedence = 1
    UNION ALL
    SELECT 'conflict', c.user_id, c.child_name, c.monday, migration.child_id(c.user_id, c.child_name), c.week_id,
           c.habit_id, NULL, c.name, NULL, c.record_date, NULL, NULL, NULL, NULL, NULL, NULL, c.legacy_id, NULL,
           'status', to_jsonb(c.status), to_jsonb(c.kept_status), c.kept_legacy_id
    FROM claims AS c
    WHERE c.precedence > 1 AND c.status <> c.kept_status
    UNION ALL
    SELECT 'conflict', f.user_id, f.child_name, f.monday, f.child_id, f.week_id, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, f.legacy_id, NULL, f.field, f.value, f.kept_value, f.kept_legacy_id
    FROM field_values AS f
    WHERE f.precedence > 1 AND f.home AND f.value IS NOT NULL AND f.value IS DISTINCT FROM f.kept_value
$$;

-- statement
-- Its plan is estimated dear (the JSON expansions' default row counts), and JIT compiled it for
-- 3 s, for a statement that runs in 17 ms over 34 rows (measured; jit is on by default).
ALTER FUNCTION migration.placement(BIGINT[]) SET jit = off;

-- statement
REVOKE EXECUTE ON FUNCTION migration.placement(BIGINT[]) FROM PUBLIC;
