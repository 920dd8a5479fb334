-- migration.legacy_weeks: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0023).
-- No revision runs this file: each runs its own frozen migration.legacy_weeks@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.legacy_weeks(legacy_ids BIGINT[])
RETURNS SETOF migration.child_week  -- noqa: CP05
LANGUAGE sql STABLE
AS $$
    -- The child-weeks the rows' days can fall in (the Monday week of their first day and the
    -- next), as the rows are now and as they were at their last sync, and those a sync placed
    -- them in: what a sync of the rows places again.
    SELECT DISTINCT x.user_id, x.child_name, w.monday
    FROM (
        SELECT h.user_id, h.child_name, migration.week_start(h) AS start_date
        FROM public.habit_tracker AS h
        WHERE h.id = ANY(legacy_ids)
        UNION ALL
        SELECT s.user_id, s.child_name, s.start_date
        FROM migration.sync_state AS s
        WHERE s.legacy_id = ANY(legacy_ids)
    ) AS x
    CROSS JOIN LATERAL (VALUES (migration.monday_of(x.start_date)), (migration.monday_of(x.start_date + 6))) AS w (monday)
    WHERE x.user_id IS NOT NULL AND x.child_name IS NOT NULL AND x.start_date IS NOT NULL
    UNION
    -- And wherever a sync placed them (another row's sync places every row of its child-weeks).
    SELECT p.user_id, p.child_name, p.monday
    FROM migration.placed_weeks AS p
    WHERE p.legacy_ids && legacy_weeks.legacy_ids  -- the argument, not the column
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.legacy_weeks(BIGINT[]) FROM PUBLIC;
