-- migration.child_week_rows: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0012, 0019).
-- No revision runs this file: each runs its own frozen migration.child_week_rows@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.child_week_rows(h public.habit_tracker)  -- noqa: CP05
RETURNS SETOF BIGINT
LANGUAGE sql STABLE
AS $$
    SELECT o.id
    FROM public.habit_tracker AS o
    WHERE o.user_id = h.user_id AND o.child_name = h.child_name AND o.id <> h.id
        AND (o.week_start_date IN (migration.week_start(h), migration.week_start(h) - 1) OR o.week_start_date IS NULL)
        AND migration.week_start(o) = migration.week_start(h)
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.child_week_rows(public.habit_tracker)  FROM PUBLIC;
