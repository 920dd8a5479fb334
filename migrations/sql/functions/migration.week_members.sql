-- migration.week_members: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0023).
-- No revision runs this file: each runs its own frozen migration.week_members@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.week_members(keys migration.child_week[])
RETURNS BIGINT[]
LANGUAGE sql STABLE
AS $$
    -- Every legacy row with a day in one of the child-weeks: what migration.placement() needs
    -- to place them whole. By idx_habit_tracker_user_child_week.
    SELECT coalesce(array_agg(DISTINCT h.id ORDER BY h.id), '{}')
    FROM unnest(keys) AS k
    INNER JOIN public.habit_tracker AS h
        ON h.user_id = k.user_id AND h.child_name = k.child_name
        AND (h.week_start_date BETWEEN k.monday - 6 AND k.monday + 6 OR h.week_start_date IS NULL)
    WHERE migration.week_start(h) BETWEEN k.monday - 6 AND k.monday + 6
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.week_members(migration.child_week[]) FROM PUBLIC;
