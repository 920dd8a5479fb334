-- migration.filled_days: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0024; 0039 renamed its argument's type, the legacy table's row type, to habit_tracker_old).
-- No revision runs this file: each runs its own frozen migration.filled_days@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.filled_days(h public.habit_tracker_old)  -- noqa: CP05
RETURNS TABLE (habit_pos INTEGER, habit_name TEXT, day INTEGER, record_date DATE, status TEXT)
LANGUAGE sql STABLE
AS $$
    -- Every non-empty status of a legacy row, whatever its shape: every habit (a repeated name
    -- too; habits written as one object count as one habit), every position of its times (past
    -- Sunday too), on its own date, start + day - 1 (NULL when the start cannot be read). Times
    -- written as an object give their values with no day and no date. What the invariant
    -- counts and `make quarantine` shows.
    WITH elements AS (
        SELECT e.pos, e.element FROM migration.habit_elements(h.habits) AS e
        UNION ALL
        SELECT 0, h.habits WHERE jsonb_typeof(h.habits) = 'object'
    )
    SELECT e.pos, e.element ->> 'name', d.n::INTEGER, migration.week_start(h) + (d.n - 1)::INTEGER, d.status
    FROM elements AS e
    CROSS JOIN LATERAL jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(e.element -> 'times') = 'array' THEN e.element -> 'times' ELSE '[]'::JSONB END
    ) WITH ORDINALITY AS d (status, n)
    WHERE d.status <> ''
    UNION ALL
    SELECT e.pos, e.element ->> 'name', NULL, NULL, o.value
    FROM elements AS e
    CROSS JOIN LATERAL jsonb_each_text(
        CASE WHEN jsonb_typeof(e.element -> 'times') = 'object' THEN e.element -> 'times' ELSE '{}'::JSONB END
    ) AS o
    WHERE o.value <> ''
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.filled_days(public.habit_tracker_old)  -- noqa: CP05
FROM PUBLIC;
