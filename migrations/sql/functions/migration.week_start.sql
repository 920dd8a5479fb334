-- migration.week_start: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0010, 0019, 0023; 0039 renamed its argument's type, the legacy table's row type, to habit_tracker_old).
-- No revision runs this file: each runs its own frozen migration.week_start@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.week_start(h public.habit_tracker_old)  -- noqa: CP05
RETURNS DATE
LANGUAGE sql STABLE
AS $$
    -- The legacy row's first day: its week_start_date, else the date its label begins with.
    -- Any day of the week: each filled day is placed on its own date (migration.placement()).
    SELECT coalesce(h.week_start_date, migration.parse_week_period(h.week_period))
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.week_start(public.habit_tracker_old)  FROM PUBLIC;
