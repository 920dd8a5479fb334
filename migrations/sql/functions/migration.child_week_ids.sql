-- migration.child_week_ids: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0013, 0019).
-- No revision runs this file: each runs its own frozen migration.child_week_ids@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.child_week_ids(user_id UUID, child_name TEXT, monday DATE)
RETURNS SETOF BIGINT
LANGUAGE sql STABLE
AS $$
    SELECT o.id
    FROM public.habit_tracker AS o
    WHERE o.user_id = child_week_ids.user_id AND o.child_name = child_week_ids.child_name
        AND (o.week_start_date IN (child_week_ids.monday, child_week_ids.monday - 1) OR o.week_start_date IS NULL)
        AND migration.week_start(o) = child_week_ids.monday
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.child_week_ids(UUID, TEXT, DATE) FROM PUBLIC;
