-- migration.week_start: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0010, 0019).
-- No revision runs this file: each runs its own frozen migration.week_start@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.week_start(h public.habit_tracker)  -- noqa: CP05
RETURNS DATE
LANGUAGE sql STABLE
AS $$
    SELECT CASE
        WHEN h.week_start_date IS NULL THEN migration.parse_week_period(h.week_period)
        WHEN extract(DOW FROM h.week_start_date) = 0 AND migration.repair_sunday_starts()
            THEN h.week_start_date + 1
        ELSE h.week_start_date
    END
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.week_start(public.habit_tracker)  FROM PUBLIC;
